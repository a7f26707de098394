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
designs share J processes (or, with ``--scheduler``, a Dask cluster whose workers generate the
designs from their parameters: docs/scale-out.md). Writes ``build/verify/report.md`` and ``report.json`` (per design:
vectors, mismatches, dot products/s, coverage holes; the wall time and where the workers spent
it). On a mismatch it writes a reproducer ``.npz`` (loadable by
``nvlut sim --vectors``, with a ``--faults`` file for fault runs) and its waveform next to the
report and exits with status 1.
"""

import concurrent.futures
import dataclasses
import os
import pathlib
import time

from nvlut.util import executor

#: the modules of the campaign: :mod:`nvlut.verif.verify_plan` (what runs),
#: :mod:`nvlut.verif.verify_worker` (one run), :mod:`nvlut.verif.verify_report` (the report)


def add_arguments(parser):
    parser.add_argument("--sim", default="verilator", help="icarus|verilator (default verilator)")
    parser.add_argument("--config", action="append",
                        help="design name from the manifest (repeatable; default: all)")
    parser.add_argument("--reference", action="store_true",
                        help="only the reference design (the manifest's first)")
    parser.add_argument("--n", type=int, default=1_000_000,
                        help="random dot products per design (default 1000000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="parallel simulator processes (default: CPU count)")
    executor.add_arguments(parser, jobs=False)
    parser.add_argument("--verilog", type=pathlib.Path, default=pathlib.Path("build/verilog"),
                        help="directory of manifest.json (default build/verilog)")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("build/verify"),
                        help="report directory (default build/verify)")
    from nvlut.gen.params import add_seed_argument
    add_seed_argument(parser, "seed of the random stimulus")
    parser.add_argument("--no-elements", action="store_true",
                        help="skip the exhaustive element-product check")


def run(args):
    from nvlut.spec.params import MacParams
    from nvlut.util.errors import CliError
    from nvlut.util.files import check_output_dir, write_if_changed
    from nvlut.util.report import json_text

    from .coverage import Coverage
    from .design import load_manifest
    from .runner import check_sim
    from .verify_plan import has_ecc, plan
    from .verify_report import STEPS, console_table, report_markdown
    from .verify_worker import build_record, run_unit

    check_sim(args.sim)
    if args.n < 0:
        raise CliError(f"--n: {args.n} is not allowed; use 0 or more")
    if args.jobs < 1:
        raise CliError(f"--jobs: {args.jobs} is not allowed; use 1 or more")
    executor.check(args.jobs, args.scheduler)
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
    if args.reference:
        records = records[:1]
    check_output_dir(args.out, "--out")
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    units = plan(records, args)
    # on a Dask cluster the workers generate the designs from their parameters (same bytes)
    verilog_dir = None if args.scheduler else str(args.verilog)
    units = [dataclasses.replace(u, verilog_dir=verilog_dir) for u in units]
    total = len(units)
    print(f"nvlut verify: {len(records)} designs on {args.sim}, {len(units)} runs, "
          f"{executor.describe(args.jobs, args.scheduler)}", flush=True)
    # build every design first (in parallel), so that runs never wait on a build lock
    with executor.executor(args.jobs, args.scheduler) as pool:
        builds = [(r, verilog_dir, args.sim, fault_port)
                  for r in records for fault_port in ((False, True) if has_ecc(r) else (False,))]
        list(pool.map(build_record, builds))
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
    write_if_changed(args.out / "report.json", json_text(summary))
    write_if_changed(args.out / "report.md", report_markdown(summary))
    print()
    console_table(designs, args.sim)
    failed = [d for d in designs if d["mismatches"] or d["problems"]]
    print()
    print(summary_text(designs, wall, args))
    for d in failed:
        for rep in d["reproducers"]:
            print(f"reproduce {d['design']}: {rep['command']} (waveform {rep['waves']})")
    return 1 if failed else 0


def summary_text(designs, wall, args):
    """The closing lines of a campaign, in words: the verdict, what was checked, and how much of
    the coverage model this run reached (a short run is not expected to reach all of it)."""
    checked = sum(d["random_vectors"] + d["fault_vectors"] for d in designs)
    elements = sum(d["element_vectors"] for d in designs)
    mismatches = sum(d["mismatches"] for d in designs)
    failed = [d for d in designs if d["mismatches"] or d["problems"]]
    bins = sum(d["coverage"]["bins"] for d in designs)
    unhit = sum(len(d["coverage"]["holes"]) for d in designs)
    what = (f"{checked:,} dot products" + (f" and {elements:,} element products" if elements else "")
            + f" on {len(designs)} design{'s' if len(designs) != 1 else ''}")
    if failed:
        verdict = (f"FAILED: {mismatches:,} mismatches (or protocol problems) in {len(failed)} "
                   f"design(s) among {what}")
    else:
        verdict = f"PASS: every result bit-exact ({what}, {args.sim})"
    if unhit == 0:
        cov = f"coverage: all {bins:,} bins hit"
    else:
        cov = (f"coverage: {bins - unhit:,} of {bins:,} bins hit; {unhit:,} not reached by this "
               f"run (the bins list every code in every lane, every scale, rounding case, result "
               f"class, flag value, block count and back-pressure mode; the full campaign, "
               f"`make verify`, reaches all of them; list in the report)")
    return (f"nvlut verify: {verdict}\nnvlut verify: {cov}\nnvlut verify: wall time {wall:.1f} s; "
            f"report: {args.out / 'report.md'}")
