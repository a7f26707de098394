"""Per-net switching activity from a VCD: rising and falling transitions of every bit.

:func:`toggles` reads the VCD that the stream harness writes with ``+activity`` (the design's own
nets, ``$dumpvars(1, dut)``) with PyPI ``pyvcd``'s tokenizer and counts, for every bit, its
0->1 (rise) and 1->0 (fall) transitions from the ``$dumpvars`` snapshot to the first ``$dumpoff``
(the harness stops dumping when the last expected output is accepted). Transitions from or to x/z
are not counted (the design is out of reset when dumping starts, so none occur in practice; they are
reported). A vector variable ``name [m:l]`` gives nets ``name[k]``, a scalar its plain name.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Activity:
    """``nets``: net names; ``rise`` / ``fall``: int64 arrays of transitions per net (same order);
    ``cycles``: rising edges of ``clock`` in the window; ``unknown``: transitions involving x/z."""

    nets: tuple
    rise: np.ndarray
    fall: np.ndarray
    cycles: int
    unknown: int

    def counts(self):
        """Net -> (rise, fall)."""
        return {n: (int(r), int(f)) for n, r, f in zip(self.nets, self.rise, self.fall)}


def toggles(path, clock="clk"):
    """The :class:`Activity` of the VCD at ``path``; ``clock`` names the net whose rising edges
    count the cycles. Raises ``ValueError`` when the VCD has no such net."""
    from vcd.reader import TokenKind, tokenize

    bits = {}        # id code -> list of net indices, LSB first
    scalar = {}      # id code -> net index, for 1-bit variables
    nets = []
    state, rise, fall = [], [], []
    unknown = 0
    counting = False
    value_of = {"0": 0, "1": 1, 0: 0, 1: 1}
    change_scalar, change_vector = TokenKind.CHANGE_SCALAR, TokenKind.CHANGE_VECTOR
    with open(path, "rb") as f:
        for tok in tokenize(f):
            kind = tok.kind
            if kind is change_scalar:
                changes = ((scalar[tok.data.id_code], value_of.get(tok.data.value)),)
            elif kind is change_vector:
                idx = bits[tok.data.id_code]
                value = tok.data.value
                if isinstance(value, int):
                    values = [(value >> k) & 1 for k in range(len(idx))]
                else:
                    text = value.rjust(len(idx), value[0] if value[0] in "xz" else "0")
                    values = [value_of.get(c) for c in reversed(text[-len(idx):])]
                changes = zip(idx, values)
            else:
                if kind is TokenKind.VAR:
                    var = tok.data
                    if var.id_code in bits:      # an alias of a net already declared
                        continue
                    msb_lsb = var.bit_index
                    if var.size == 1 and not isinstance(msb_lsb, tuple):
                        names = [var.reference if msb_lsb is None
                                 else f"{var.reference}[{msb_lsb}]"]
                        scalar[var.id_code] = len(nets)
                    else:
                        msb, lsb = msb_lsb if isinstance(msb_lsb, tuple) else (var.size - 1, 0)
                        step = 1 if msb >= lsb else -1
                        names = [f"{var.reference}[{k}]" for k in range(lsb, msb + step, step)]
                    bits[var.id_code] = list(range(len(nets), len(nets) + len(names)))
                    nets.extend(names)
                    state.extend([None] * len(names))
                    rise.extend([0] * len(names))
                    fall.extend([0] * len(names))
                elif kind is TokenKind.DUMPVARS:
                    counting = False
                elif kind is TokenKind.END:
                    counting = True
                elif kind is TokenKind.DUMPOFF:
                    break
                continue
            for i, v in changes:
                old = state[i]
                if old != v:
                    if counting:
                        if old is None or v is None:
                            unknown += 1
                        elif v:
                            rise[i] += 1
                        else:
                            fall[i] += 1
                    state[i] = v
    try:
        k = nets.index(clock)
    except ValueError:
        raise ValueError(f"clock: no net {clock!r} in {path}") from None
    return Activity(tuple(nets), np.array(rise, np.int64), np.array(fall, np.int64), rise[k],
                    unknown)
