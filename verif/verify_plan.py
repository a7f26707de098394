"""The plan of ``nvlut verify``: which simulator runs (units) check which design, and the
deterministic stimulus of each."""

import dataclasses
import zlib

#: random dot products per simulator run (each run costs about half a second of start-up)
CHUNK = 200_000
#: dot products per fault-injected run (designs with ECC; N if smaller), one run per fault map
FAULT_N = 2_000


@dataclasses.dataclass
class Unit:
    """One simulator run: ``kind`` is ``elements``, ``random`` or ``faults``; ``chunk`` numbers
    the random runs and, for ``faults``, the fault map (:data:`nvlut.verif.stimulus.FAULT_MAPS`).
    ``verilog_dir`` None: the worker generates the design from ``record["params"]`` (the same
    bytes, by the generator's contract) instead of reading the client's file (Dask workers)."""

    record: dict
    verilog_dir: str
    sim: str
    kind: str
    chunk: int
    n: int
    seed: int
    out_dir: str


def has_ecc(record):
    from nvlut.spec.params import MacParams
    return MacParams(**record["params"]).ecc_mode.enabled


def plan(records, args):
    """The list of :class:`Unit` for ``records``: element checks first (the longest), then the
    fault-injected runs of the designs with ECC, then random chunks interleaved across designs so
    that every design progresses."""
    from .backpressure import MODES
    from .stimulus import FAULT_MAPS
    units = []
    if not args.no_elements:
        units += [Unit(r, str(args.verilog), args.sim, "elements", 0, 0, args.seed, str(args.out))
                  for r in records]
    if args.n > 0:
        units += [Unit(r, str(args.verilog), args.sim, "faults", m, min(FAULT_N, args.n),
                       args.seed, str(args.out))
                  for r in records if has_ecc(r) for m in range(len(FAULT_MAPS))]
        # at least one chunk per back-pressure mode; sizes as equal as possible
        chunks = max(-(-args.n // CHUNK), len(MODES))
        for c in range(chunks):
            n = args.n // chunks + (c < args.n % chunks)
            units += [Unit(r, str(args.verilog), args.sim, "random", c, n, args.seed, str(args.out))
                      for r in records if n > 0]
    return units


def unit_design(unit):
    """The :class:`~nvlut.verif.design.Design` of ``unit``: the manifest's design, or for a fault
    unit the same parameters with a fault port (generated here, as the manifest's designs have
    none) and the unit's fault map (deterministic in its seed, design and map)."""
    import numpy as np

    from nvlut.spec.params import MacParams

    from . import stimulus
    from .design import design_for, design_from_manifest, with_faults

    if unit.kind != "faults":
        if unit.verilog_dir is None:
            return design_for(MacParams(**unit.record["params"]))
        return design_from_manifest(unit.record, unit.verilog_dir)
    params = MacParams(**unit.record["params"])
    rng = np.random.default_rng([unit.seed, unit.chunk, zlib.crc32(params.name.encode()), 1])
    fault_map = stimulus.fault_map(params, stimulus.FAULT_MAPS[unit.chunk], rng)
    return with_faults(design_for(params.replace(fault_port=True)), fault_map)


def unit_batch(unit, params):
    """``(batches, back-pressure mode, checks)``: the stimulus of ``unit`` (deterministic in its
    seed, design and chunk) as a list of batches streamed in one run; ``checks`` counts element
    products for element units, else dot products. Fault units run the short kinds (no ``long``:
    a faulty ``fulllut`` entry can exceed every true product, see docs/ecc.md)."""
    import numpy as np

    from . import stimulus
    from .backpressure import MODES
    if unit.kind == "elements":
        batch, checks = stimulus.element_pairs(params, all_lanes=True)
        return [batch], "none", checks
    rng = np.random.default_rng([unit.seed, unit.chunk, zlib.crc32(params.name.encode())])
    if unit.kind == "faults":
        parts = stimulus.adversarial(params, unit.n, rng,
                                     kinds=tuple(k for k in stimulus.KINDS if k != "long"))
        return parts, MODES[-1 - unit.chunk % len(MODES)], sum(b.n for b in parts)
    parts = stimulus.adversarial(params, unit.n, rng)
    if unit.chunk == 0:
        parts.insert(0, stimulus.directed(params))
    return parts, MODES[unit.chunk % len(MODES)], sum(b.n for b in parts)
