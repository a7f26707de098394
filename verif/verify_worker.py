"""The workers of ``nvlut verify``: build a design, simulate and check one unit of the plan
(:mod:`nvlut.verif.verify_plan`), and write a reproducer on a mismatch."""

import pathlib
import shutil
import time

from .verify_plan import unit_batch, unit_design


def run_unit(unit):
    """Simulate one unit and compare it: a result dict (runs in a worker process)."""
    import numpy as np

    from . import coverage, vectors
    from .sim import run_batch

    clock = time.monotonic()
    timing = {}

    def lap(name):
        nonlocal clock
        now = time.monotonic()
        timing[name] = now - clock
        clock = now

    design = unit_design(unit)
    params = design.params
    parts, mode, checks = unit_batch(unit, params)
    lap("stimulus")
    out = run_batch(design, parts, unit.sim, mode, seed=unit.chunk)
    lap("simulator")
    if mode == "none" and design.latency is not None and (out.latency != design.latency).any():
        out.problems.append(f"latency {sorted(set(out.latency.tolist()))} differs from the "
                            f"manifest's {design.latency}")
    expected = vectors.reference(params, parts, design.fault_map)
    bad = vectors.mismatches(expected, out.y, out.flags)
    lap("golden")
    cov = coverage.Coverage(params)
    cov.hit("backpressure", mode)
    lo = 0
    for part in parts:
        hi = min(lo + part.n, len(out.y))
        if hi > lo:
            cov.merge(coverage.collect(params, vectors.select(part, slice(0, hi - lo)),
                                       out.y[lo:hi], {k: v[lo:hi] for k, v in out.flags.items()}))
        lo += part.n
    lap("coverage")
    result = {"design": unit.record["name"], "kind": unit.kind, "chunk": unit.chunk, "mode": mode,
              "vectors": int(checks), "beats": int(sum(b.beats for b in parts)),
              "mismatches": int(bad.sum()), "problems": out.problems, "timing": timing,
              "seconds": sum(timing.values()), "coverage": cov, "flag_names": sorted(out.flags),
              "reproducer": None}
    if bad.any() or out.problems:
        first = int(np.nonzero(bad)[0][0]) if bad.any() else len(bad) - 1
        result["reproducer"] = write_reproducer(design, unit, parts, first, mode)
    return result


def _prefix(parts, count):
    """The first ``count`` dot products of the list of batches ``parts``, as one batch."""
    from . import vectors
    out, left = [], count
    for part in parts:
        if left <= 0:
            break
        out.append(vectors.select(part, slice(0, min(left, part.n))))
        left -= part.n
    return vectors.concat(out)


def write_reproducer(design, unit, parts, first, mode):
    """Save the smallest failing input found: the first failing dot product alone if it fails by
    itself (same back-pressure pattern), else the stream up to it; dump its waveform too (and the
    fault file of a fault unit)."""
    from nvlut.util.files import write_if_changed

    from . import harness, vectors
    from .sim import run_batch

    out_dir = pathlib.Path(unit.out_dir)
    stem = out_dir / f"repro_{design.tag}_{unit.kind}{unit.chunk}"
    upto = _prefix(parts, first + 1)
    run_dir = out_dir / f".{stem.name}.run"
    waves = f"{stem.name}.{'vcd' if unit.sim == 'verilator' else 'fst'}"
    for small in (vectors.select(upto, [first]), upto):
        out = run_batch(design, small, unit.sim, mode, seed=unit.chunk, workdir=run_dir,
                        waves=waves)
        again = vectors.mismatches(vectors.reference(design.params, small, design.fault_map),
                                   out.y, out.flags)
        if again.any() or out.problems:
            break
    out_dir.mkdir(parents=True, exist_ok=True)
    vectors.save_npz(f"{stem}.npz", small)
    faults_option = ""
    if design.fault_words:
        write_if_changed(pathlib.Path(f"{stem}.faults.txt"),
                         harness.fault_lines(design.fault_words))
        faults_option = f" --faults {stem}.faults.txt"
    wave_path = None
    if (run_dir / waves).exists():
        wave_path = out_dir / waves
        (run_dir / waves).replace(wave_path)
    shutil.rmtree(run_dir, ignore_errors=True)
    command = (f"nvlut sim {' '.join(design.params.to_argv())}{faults_option} --sim {unit.sim} "
               f"--backpressure {mode} --seed {unit.chunk} --vectors {stem}.npz "
               f"--out {stem}.out.npz")
    return {"npz": f"{stem}.npz", "waves": None if wave_path is None else str(wave_path),
            "dot_products": int(small.n), "command": command}


def build_record(item):
    """Build the design of a manifest record (or, with ``fault_port``, its fault-port variant);
    ``directory`` None: generate it from the record's parameters (Dask workers)."""
    from nvlut.spec.params import MacParams

    from .design import design_for, design_from_manifest
    from .runner import build
    record, directory, sim, fault_port = item
    design = (design_for(MacParams(**record["params"])) if directory is None
              else design_from_manifest(record, directory))
    build(design_for(design.params.replace(fault_port=True)) if fault_port else design, sim)
    return record["name"]
