"""Verify every generated design bit for bit against the golden model, with coverage.

    nvlut verify [--sim icarus|verilator] [--config NAME] [--n N] [--jobs J]

For each design of ``build/verilog/manifest.json`` (or the ones named by --config): the exhaustive
element-product check (every activation x weight code pair in every lane, fp16's 2^20 pairs
included) and N (default 1,000,000) random dot products from the adversarial
kinds of :mod:`nvlut.verif.stimulus` plus the directed special cases, in chunks that cycle through
every back-pressure mode. Designs with ECC also get fault-injected runs: the same parameters with a
fault port, single and double bit flips in the stored table
(:func:`nvlut.verif.stimulus.fault_map`) and 2,000 dot products (N if smaller) per fault map,
checked against ``nvlut.golden.faults.dot_with_table`` (ECC flags included). All runs of all
designs share J processes. Writes ``build/verify/report.md`` and ``report.json`` (per design:
vectors, mismatches, dot products/s, coverage holes; the wall time and where the workers spent
it). On a mismatch it writes a reproducer ``.npz`` (loadable by
``nvlut sim --vectors``, with a ``--faults`` file for fault runs) and its waveform next to the
report and exits with status 1.
"""

import concurrent.futures
import dataclasses
import json
import os
import pathlib
import shutil
import time
import zlib

#: random dot products per simulator run (each run costs about half a second of start-up)
CHUNK = 200_000
#: dot products per fault-injected run (designs with ECC; N if smaller), one run per fault map
FAULT_N = 2_000


def add_arguments(parser):
    parser.add_argument("--sim", default="verilator", help="icarus|verilator (default verilator)")
    parser.add_argument("--config", action="append",
                        help="design name from the manifest (repeatable; default: all)")
    parser.add_argument("--n", type=int, default=1_000_000,
                        help="random dot products per design (default 1000000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="parallel simulator processes (default: CPU count)")
    parser.add_argument("--verilog", type=pathlib.Path, default=pathlib.Path("build/verilog"),
                        help="directory of manifest.json (default build/verilog)")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("build/verify"),
                        help="report directory (default build/verify)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random stimulus")
    parser.add_argument("--no-elements", action="store_true",
                        help="skip the exhaustive element-product check")


@dataclasses.dataclass
class Unit:
    """One simulator run: ``kind`` is ``elements``, ``random`` or ``faults``; ``chunk`` numbers
    the random runs and, for ``faults``, the fault map (:data:`nvlut.verif.stimulus.FAULT_MAPS`)."""

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


#: steps of a unit whose time the report breaks down (``stimulus`` includes loading the design)
STEPS = ("stimulus", "simulator", "golden", "coverage")


def _print_table(rows, sim):
    head = (f"{'configuration':<42} {'simulator':<10} {'element checks':>14} "
            f"{'dot products':>12} {'fault-inj.':>10} {'mismatches':>10} {'dot prod./s':>11}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['design']:<42} {sim:<10} {r['element_vectors']:>14} {r['random_vectors']:>12} "
              f"{r['fault_vectors']:>10} {r['mismatches']:>10} {r['random_rate']:>11.0f}")


def report_markdown(summary):
    steps = summary["step_seconds"]
    busy = sum(steps.values())
    lines = ["# nvlut verify", "",
             f"Simulator {summary['sim']}; {summary['n']} random dot products per design (seed "
             f"{summary['seed']}) plus the exhaustive element-product check and, for designs with "
             f"ECC, fault-injected runs; {summary['jobs']} parallel jobs; wall time "
             f"{summary['wall_seconds']:.1f} s (of which {summary['build_seconds']:.1f} s "
             f"building); load average {summary['load_average']:.1f} at the end.", "",
             "Worker time by step: " + ", ".join(
                 f"{k} {v:.0f} s ({100 * v / max(busy, 1e-9):.0f} %)" for k, v in steps.items())
             + ".", "",
             "Throughput per worker process, end to end (stimulus, simulator, golden model, "
             "coverage): random dot products per second and element-product checks per second.",
             "",
             "| configuration | simulator | element checks | random dot products | "
             "fault-injected | mismatches | dot products/s | element checks/s | coverage bins | "
             "holes |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in summary["designs"]:
        lines.append(f"| {r['design']} | {summary['sim']} | {r['element_vectors']} | "
                     f"{r['random_vectors']} | {r['fault_vectors']} | {r['mismatches']} | "
                     f"{r['random_rate']:.0f} | {r['element_rate']:.0f} | "
                     f"{r['coverage']['bins']} | {len(r['coverage']['holes'])} |")
    lines += ["", "## Coverage holes", ""]
    any_holes = False
    for r in summary["designs"]:
        holes = r["coverage"]["holes"]
        if holes:
            any_holes = True
            shown = ", ".join(holes[:40]) + (f", ... ({len(holes)} in all)" if len(holes) > 40 else "")
            lines.append(f"- {r['design']}: {shown}")
    if not any_holes:
        lines.append("None: every bin of every design was hit.")
    lines += ["", "## Failures", ""]
    fails = [r for r in summary["designs"] if r["mismatches"] or r["problems"]]
    if not fails:
        lines.append("None.")
    for r in fails:
        lines.append(f"- {r['design']}: {r['mismatches']} mismatches; problems: "
                     f"{'; '.join(r['problems']) or 'none'}")
        for rep in r["reproducers"]:
            lines.append(f"  - reproducer {rep['npz']} ({rep['dot_products']} dot products), "
                         f"waveform {rep['waves']}: `{rep['command']}`")
    lines += ["", "Coverage bins: every E2M1 / weight code in every lane, every E4M3 scale code, "
              "the rounding cases exact / below half / tie to even / tie from odd / above half, "
              "the result classes zero / subnormal / normal / overflow / infinite / NaN, each flag "
              "0 and 1, block counts and back-pressure modes (see nvlut.verif.coverage).", ""]
    return "\n".join(lines)


def run(args):
    from nvlut.util.errors import CliError
    from nvlut.util.files import write_if_changed

    from nvlut.spec.params import MacParams

    from .coverage import Coverage
    from .design import load_manifest
    from .runner import check_sim

    check_sim(args.sim)
    if args.n < 0:
        raise CliError(f"--n: {args.n} is not allowed; use 0 or more")
    if args.jobs < 1:
        raise CliError(f"--jobs: {args.jobs} is not allowed; use 1 or more")
    try:
        records = load_manifest(args.verilog)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    if args.config:
        names = [r["name"] for r in records]
        unknown = [c for c in args.config if c not in names]
        if unknown:
            raise CliError(f"--config: {', '.join(unknown)} not in {args.verilog}/manifest.json; "
                           f"choose from: {', '.join(names)}")
        records = [r for r in records if r["name"] in args.config]
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    units = plan(records, args)
    total = len(units)
    print(f"nvlut verify: {len(records)} designs on {args.sim}, {len(units)} runs, "
          f"{args.jobs} jobs", flush=True)
    # build every design first (in parallel), so that runs never wait on a build lock
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        builds = [(r, str(args.verilog), args.sim, fault_port)
                  for r in records for fault_port in ((False, True) if has_ecc(r) else (False,))]
        list(pool.map(_build_record, builds))
        build_seconds = time.monotonic() - start
        print(f"nvlut verify: built {len(builds)} designs in {build_seconds:.0f} s", flush=True)
        results = []
        futures = {pool.submit(run_unit, u): u for u in units}
        for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            r = fut.result()
            results.append(r)
            status = "ok" if not r["mismatches"] and not r["problems"] else \
                f"{r['mismatches']} MISMATCHES {'; '.join(r['problems'])}"
            print(f"[{done}/{total}] {r['design']} {r['kind']} #{r['chunk']} ({r['mode']}): "
                  f"{r['vectors']} vectors, {r['vectors'] / max(r['seconds'], 1e-9):.0f}/s, "
                  f"{status} ({time.monotonic() - start:.0f} s)", flush=True)
    wall = time.monotonic() - start
    designs = []
    for rec in records:
        mine = [r for r in results if r["design"] == rec["name"]]
        cov = Coverage(MacParams(**rec["params"]))
        for r in mine:
            cov.merge(r["coverage"])
        flag_names = mine[0]["flag_names"] if mine else []
        count = {kind: sum(r["vectors"] for r in mine if r["kind"] == kind)
                 for kind in ("elements", "random", "faults")}
        seconds = {kind: sum(r["seconds"] for r in mine if r["kind"] == kind)
                   for kind in ("elements", "random", "faults")}
        designs.append({
            "design": rec["name"],
            "element_vectors": count["elements"], "random_vectors": count["random"],
            "fault_vectors": count["faults"],
            "beats": sum(r["beats"] for r in mine),
            "mismatches": sum(r["mismatches"] for r in mine),
            "problems": [p for r in mine for p in r["problems"]],
            "seconds": sum(seconds.values()),
            "random_rate": count["random"] / max(seconds["random"], 1e-9),
            "element_rate": count["elements"] / max(seconds["elements"], 1e-9),
            "coverage": cov.as_dict(flag_names),
            "reproducers": [r["reproducer"] for r in mine if r["reproducer"]],
        })
    summary = {"sim": args.sim, "n": args.n, "seed": args.seed, "jobs": args.jobs,
               "wall_seconds": wall, "build_seconds": build_seconds,
               "load_average": os.getloadavg()[0],
               "step_seconds": {k: sum(r["timing"][k] for r in results) for k in STEPS},
               "designs": designs}
    write_if_changed(args.out / "report.json", json.dumps(summary, indent=1) + "\n")
    write_if_changed(args.out / "report.md", report_markdown(summary))
    print()
    _print_table(designs, args.sim)
    holes = sum(len(d["coverage"]["holes"]) for d in designs)
    failed = [d for d in designs if d["mismatches"] or d["problems"]]
    print(f"\nwall time {wall:.1f} s; coverage holes: {holes}; report: {args.out / 'report.md'}")
    for d in failed:
        for rep in d["reproducers"]:
            print(f"reproduce {d['design']}: {rep['command']} (waveform {rep['waves']})")
    return 1 if failed else 0


def _build_record(item):
    """Build the design of a manifest record (or, with ``fault_port``, its fault-port variant)."""
    from .design import design_for, design_from_manifest
    from .runner import build
    record, directory, sim, fault_port = item
    design = design_from_manifest(record, directory)
    build(design_for(design.params.replace(fault_port=True)) if fault_port else design, sim)
    return record["name"]
