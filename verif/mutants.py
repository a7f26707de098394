"""Deliberately broken variants of a generated design, to show that the campaign catches bugs.

Each mutant is a Verilog text derived from the real generator's output:

- ``lut_entry``: one wrong table entry (the last entry of the multiplier table, the product of the
  two largest significands, with its least significant bit flipped), generated from the Amaranth
  design with the table function patched (``lut`` / ``fulllut`` multipliers, ROM storage);
- ``truncate``: the final rounding truncates instead of rounding to nearest even (the rounding
  increment added to ``rounded`` in the binary32 rounder is dropped);
- ``drop_valid``: the output ``valid`` register stops holding while ``o__ready`` is low, so an
  output is lost under back-pressure.

The text mutations look for Yosys' rendering of named Amaranth signals (``rounded``,
``o__valid``) and raise ``ValueError`` when the generator's output no longer has that shape.
"""

import contextlib
import re

MUTANTS = ("lut_entry", "truncate", "drop_valid")


@contextlib.contextmanager
def _patched_table():
    from nvlut.hdl import lut_storage

    original = lut_storage.table_entries

    def wrong(multiplier, weights):
        entries = list(original(multiplier, weights))
        if entries:
            entries[-1] ^= 1
        return entries

    lut_storage.table_entries = wrong
    try:
        yield
    finally:
        lut_storage.table_entries = original


def lut_entry(params):
    """Verilog of ``NvlutMac(params)`` with one wrong table entry."""
    from nvlut.gen.generate import verilog_for

    if params.multiplier == "mul" or params.lut_storage != "rom":
        raise ValueError("mutant lut_entry: needs a table in ROM (multiplier lut or fulllut, "
                         "lut_storage rom)")
    with _patched_table():
        text, _ = verilog_for(params)
    return text


def _module(text, suffix):
    """(start, end) of the module whose name ends with ``suffix``."""
    m = re.search(rf"^module \\?\S*{re.escape(suffix)} ?\(", text, re.M)
    if m is None:
        raise ValueError(f"mutant: no module named *{suffix} in the generated Verilog")
    return m.start(), text.index("endmodule", m.start())


def truncate(text):
    """Drop the rounding increment: ``assign X = A + inc;`` feeding ``rounded`` becomes ``A``."""
    start, end = _module(text, ".rounder")
    body = text[start:end]
    src = re.search(r"assign rounded = (\\\$\d+) ?\[", body)
    if src is None:
        raise ValueError("mutant truncate: 'assign rounded = ...' not found in the rounder")
    name = re.escape(src.group(1))
    add = re.search(rf"assign {name}  = (\\\$\d+ ) \+ \\\$\d+ ;", body)
    if add is None:
        raise ValueError("mutant truncate: the rounding addition feeding 'rounded' not found")
    body = body[:add.start()] + f"assign {src.group(1)}  = {add.group(1)};" + body[add.end():]
    return text[:start] + body + text[end:]


def drop_valid(text, top):
    """Make the ``o__valid`` register fall instead of holding while the stream is stalled."""
    start, end = _module(text, top)
    body = text[start:end]
    reg = re.search(r"o__valid <= (\\\$\d+) ;", body)
    if reg is None:
        raise ValueError("mutant drop_valid: the o__valid register not found")
    hold = f"{reg.group(1)}  = o__valid;"
    if body.count(hold) != 1:
        raise ValueError("mutant drop_valid: the hold assignment of o__valid not found")
    body = body.replace(hold, f"{reg.group(1)}  = 1'h0;")
    return text[:start] + body + text[end:]


def mutant_verilog(params, kind, text=None):
    """The Verilog of mutant ``kind`` of ``NvlutMac(params)`` (``text``: the design's own Verilog,
    needed by the text mutations)."""
    if kind == "lut_entry":
        return lut_entry(params)
    if kind == "truncate":
        return truncate(text)
    if kind == "drop_valid":
        return drop_valid(text, params.name)
    raise ValueError(f"mutant: {kind!r} is not allowed; choose one of {', '.join(MUTANTS)}")
