"""Formal equivalence of element multipliers: a Yosys SAT miter over all inputs (``equiv.ys``).

``miter -equiv -flatten -make_outputs`` joins two modules with the same ports into one whose
``trigger`` output is 1 when any output differs; ``sat -prove trigger 0`` either proves it never is
(for every input: a proof, not a simulation) or returns a counterexample. The variants are proved
equal to each other and, for fp4/fp8 weights, to the truth table of ``nvlut.golden``.
"""

import dataclasses
import re
import time

from nvlut.util import yosys
from nvlut.util.cache import cache_key

from . import designs, truth_table

_ROW_RE = re.compile(r"^\s+\\(\S+)\s+(-?\d+)\s+\S+\s+[01x]+\s*$", re.M)


@dataclasses.dataclass
class Equivalence:
    gold: str
    gate: str
    equivalent: bool
    counterexample: dict   # port -> value (inputs, both sides' outputs, trigger); empty when proved
    seconds: float


def parse_sat(text):
    """``(proved, values)`` from ``sat -prove ... -show-inputs -show-outputs`` output."""
    if "SAT proof finished - no model found: SUCCESS!" in text:
        return True, {}
    if "SAT proof finished - model found: FAIL!" in text:
        table = text.split("Signal Name", 1)[1]
        return False, {name: int(value) for name, value in _ROW_RE.findall(table)}
    raise ValueError("sat: the output holds neither a proof nor a counterexample")


def check(gold_name, gold_verilog, gate_name, gate_verilog, workdir, timeout=None):
    """Prove modules ``gold`` (in ``gold_verilog``) and ``gate`` (in ``gate_verilog``) equivalent.

    The two texts must name their top modules ``gold`` and ``gate``; ``gold_name``/``gate_name``
    label the result.
    """
    start = time.monotonic()
    run = yosys.run(workdir, yosys.script(__package__, "equiv"),
                    {"gold.v": gold_verilog, "gate.v": gate_verilog}, timeout=timeout)
    proved, values = parse_sat(run.read("sat.txt") or "")
    return Equivalence(gold_name, gate_name, proved, values, round(time.monotonic() - start, 2))


def check_cached(gold_name, gold_verilog, gate_name, gate_verilog, workdir, cache, timeout=None):
    """:func:`check` as a dict (plus ``cached``), from ``cache`` when it holds this exact pair."""
    key = cache_key(gold_verilog + "\0" + gate_verilog, yosys.script(__package__, "equiv"),
                    yosys.YOSYS_VERSION)
    hit = cache.get(key)
    if hit is not None:
        return dict(hit, gold=gold_name, gate=gate_name, cached=True)
    result = dataclasses.asdict(check(gold_name, gold_verilog, gate_name, gate_verilog, workdir,
                                      timeout))
    cache.put(key, result)
    return dict(result, cached=False)


def standard_checks(weights_list):
    """The (gold label, gold Verilog, gate label, gate Verilog) pairs proved by ``nvlut synth``:
    per weight format, ``lut`` against every other variant and, for fp4/fp8, against the truth
    table."""
    pairs = []
    variants = designs.multiplier_variants()
    for weights in weights_list:
        names = [m for w, m in variants if w == weights]
        ref = names[0]
        gold = designs.multiplier_verilog(weights, ref, "gold")
        for other in names[1:]:
            pairs.append((f"{ref}_{weights}", gold, f"{other}_{weights}",
                          designs.multiplier_verilog(weights, other, "gate")))
        if weights in truth_table.WEIGHTS:
            pairs.append((f"truth_table_{weights}", truth_table.truth_table_verilog(
                weights, "gold", designs.product_width(weights)), f"{ref}_{weights}",
                designs.multiplier_verilog(weights, ref, "gate")))
    return pairs
