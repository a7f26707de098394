"""Synthesize the element multipliers and MAC designs with Yosys; prove the multipliers equivalent.

For every design of build/verilog/manifest.json and every standalone element multiplier (lut,
fulllut, mul per weight format), reports generic CMOS transistors, 2-input gate depth, OSU 0.18 um
standard-cell area, iCE40 and Xilinx 7-series resources (with and without DSP48E1); times the MAC
designs on OSU 0.18 um cells (Fmax) and, except with --quick, measures their gate-level energy
(``nvlut energy``'s model) for energy per MAC and power at Fmax. Proves the
multiplier variants equal (Yosys SAT miter) and compares the fp4/fp8 multipliers with the heavily
optimized bare truth table of the element product (lower bound). Writes build/synth/report.md,
report.csv, report.json and PNG charts; caches results in build/synth/cache/ keyed on the Verilog,
the Yosys script and the Yosys version. See docs/synthesis.md.
"""

import concurrent.futures
import dataclasses
import os
import pathlib
import sys
import time

from nvlut.util import executor
from nvlut.util.yosys import TIMEOUT

DEFAULT_OUT = pathlib.Path("build/synth")
DEFAULT_MANIFEST = pathlib.Path("build/verilog/manifest.json")
#: flows run on every MAC design, element multiplier and truth table
DESIGN_FLOWS = ("gates", "ice40", "xilinx", "xilinx_nodsp")
#: weight formats whose multipliers (and truth tables) get the lower-bound flow
LOWER_BOUND_WEIGHTS = ("fp4", "fp8")
EQUIV_WEIGHTS = ("fp4", "fp8", "fp16")
QUICK_WEIGHTS = ("fp4",)


def add_arguments(parser):
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="Yosys runs in parallel (default: number of CPUs)")
    executor.add_arguments(parser, jobs=False)
    parser.add_argument("--manifest", type=pathlib.Path, default=DEFAULT_MANIFEST,
                        help=f"manifest of the MAC designs (default {DEFAULT_MANIFEST}); "
                             "MAC designs are skipped when it does not exist")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT,
                        help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument("--quick", action="store_true",
                        help="fp4 multipliers and the reference MAC only, no lower bound, no "
                             "place and route")
    parser.add_argument("--full", action="store_true",
                        help="place and route every MAC design (default: the reference design "
                             "and the pipeline sweep only)")
    from nvlut.util import cli_lists

    from .at_fmax import DEFAULT_CACHE, MAX_CELLS
    parser.add_argument("--designs", type=cli_lists.words, default=None, metavar="NAMES",
                        help="comma-separated MAC design names (of the manifest or the pipeline "
                             "sweep): only their flows, timing, energy and place and route; no "
                             "element multipliers, truth tables or equivalence proofs")
    parser.add_argument("--energy-max-cells", type=int, default=MAX_CELLS, metavar="N",
                        help="measure the gate-level energy of the timed MAC designs of at most N "
                             f"cells (default {MAX_CELLS}; larger ones are named in the report)")
    parser.add_argument("--energy-cache", type=pathlib.Path, default=DEFAULT_CACHE,
                        help=f"gate-level energy cache (default {DEFAULT_CACHE}, shared with nvlut "
                             "energy and nvlut explore)")


@dataclasses.dataclass(frozen=True)
class Task:
    """One unit of work: a flow on a design, or an equivalence check."""

    label: str
    run: object  # () -> result dict


def _design_tasks(design_list, flow_names, out, cache):
    from . import flows

    tasks = []
    for design in design_list:
        for name in flow_names:
            flow = flows.FLOWS[name]
            workdir = out / "work" / design.name / name

            def run(design=design, flow=flow, workdir=workdir):
                r = flows.run_flow(flow, design.verilog.encode(), workdir, cache, TIMEOUT)
                return {"design": design, "flow": flow.name, **r}
            tasks.append(Task(f"{design.name} {name}", run))
    return tasks


def _equiv_tasks(weights_list, out, cache):
    from . import equiv

    tasks = []
    for gold, gold_v, gate, gate_v in equiv.standard_checks(weights_list):
        workdir = out / "work" / "equiv" / f"{gold}__{gate}"

        def run(gold=gold, gold_v=gold_v, gate=gate, gate_v=gate_v, workdir=workdir):
            r = equiv.check_cached(gold, gold_v, gate, gate_v, workdir, cache, TIMEOUT)
            return {"equivalence": r}
        tasks.append(Task(f"equivalence {gold} == {gate}", run))
    return tasks


def _timing_tasks(design_list, out, cache):
    """Static timing (OSU018 netlist + OpenSTA) of each design; a record saying what is missing
    when the cells or OpenSTA are not installed."""
    from nvlut.cells import timing

    missing = timing.missing_tools()
    tasks = []
    for design in design_list:
        workdir = out / "work" / design.name / "sta"

        def run(design=design, workdir=workdir):
            if missing:
                return {"design": design, "flow": "sta", "cached": True, "seconds": 0,
                        "targets": {"sta": {"missing": missing}}}
            start = time.monotonic()
            result = timing.time_verilog(design.verilog.encode(), workdir, cache, TIMEOUT)
            return {"design": design, "flow": "sta", "cached": False,
                    "seconds": round(time.monotonic() - start, 1),
                    "targets": timing.as_targets(result, design.params["block"])}
        tasks.append(Task(f"{design.name} sta", run))
    return tasks


def _energy_tasks(design_list, out, max_cells, quick, cache_dir=None):
    """Gate-level energy of each timed design (:mod:`nvlut.synth.at_fmax`, results in
    ``cache_dir``, default ``nvlut energy``'s cache); with ``quick`` a record saying it was not
    run."""
    from . import at_fmax

    max_cells = at_fmax.MAX_CELLS if max_cells is None else max_cells
    cache_dir = at_fmax.DEFAULT_CACHE if cache_dir is None else cache_dir
    tasks = []
    for design in design_list:
        def run(design=design):
            return at_fmax.task_result(design, out, max_cells, quick, cache_dir)
        tasks.append(Task(f"{design.name} energy", run))
    return tasks


def _pnr_tasks(design_devices, out, cache):
    """Place and route of ``(design, device name)`` pairs (:mod:`nvlut.synth.pnr`)."""
    from nvlut.spec.params import MacParams

    from . import pnr

    tasks = []
    for design, device in design_devices:
        workdir = out / "work" / design.name / device

        def run(design=design, device=device, workdir=workdir):
            verilog = pnr.wrapped_verilog(MacParams(**design.params))
            return {"design": design, "flow": device,
                    **pnr.run(verilog, device, workdir, cache, TIMEOUT)}
        tasks.append(Task(f"{design.name} {device}", run))
    return tasks


#: place and route by default: every sweep depth on the iCE40, the reference design and its
#: iterative final stage on both; with --full also every MAC design (ECP5 45F for the larger ones)
SWEEP_DEVICES = ("ice40_hx8k",)
REFERENCE_DEVICES = ("ice40_hx8k", "ecp5_25f")
FULL_DEVICES = ("ice40_hx8k", "ecp5_45f")


def _pnr_plan(macs, sweep, full):
    from nvlut.spec.params import MacParams

    reference = MacParams().name
    plan = []
    for design in macs + sweep:
        devices = set()
        if design.name in (reference, MacParams(final_stage="iterative").name):
            devices.update(REFERENCE_DEVICES)
        if design.kind == "mac_sweep" or (
                design.params == dict(MacParams().as_dict(), pipeline=design.params["pipeline"])):
            devices.update(SWEEP_DEVICES)
        if full and design.kind == "mac":
            devices.update(FULL_DEVICES)
        plan += [(design, d) for d in sorted(devices)]
    return plan


def collect_tasks(manifest, out, quick, full=False, energy_max_cells=None, names=None,
                  energy_cache=None):
    """Every task of one ``nvlut synth`` run, longest first; with ``names``, only the tasks of
    those MAC designs (raises ``ValueError`` for a name that is none)."""
    from nvlut.spec.params import MacParams
    from nvlut.util.cache import Cache

    from . import designs

    if names is not None and quick:
        raise ValueError("designs: not allowed with --quick (which takes the reference design)")
    cache = Cache(out / "cache")
    macs = designs.mac_designs(manifest) if manifest.exists() else []
    have_macs = bool(macs)
    if quick:
        macs = macs[:1]
    # the sweep's depths that the manifest lacks; with names, also those not selected
    skip = {d.name for d in macs}
    if names is not None:
        known = [d.name for d in macs]
        known += [n for n in (MacParams(**p).name for p in designs.sweep_params()) if n not in skip]
        for name in names:
            if name not in known:
                raise ValueError(f"designs: {name!r} is not a MAC design of {manifest} or the "
                                 f"pipeline sweep; choose from {', '.join(known)}")
        macs = [d for d in macs if d.name in names]
        skip |= set(known) - set(names)
    sweep = [] if quick else designs.pipeline_sweep(skip)
    only_macs = names is not None
    multipliers = [] if only_macs else designs.multiplier_designs(QUICK_WEIGHTS if quick else None)
    tables = [] if quick or only_macs else designs.truth_table_designs()
    tasks = [] if quick else _pnr_tasks(_pnr_plan(macs, sweep, full), out, cache)
    tasks += _design_tasks(macs, DESIGN_FLOWS, out, cache)
    tasks += _timing_tasks(macs + sweep, out, cache)
    tasks += _energy_tasks(macs + sweep, out, energy_max_cells, quick, energy_cache)
    if not only_macs:
        tasks += _equiv_tasks(QUICK_WEIGHTS if quick else EQUIV_WEIGHTS, out, cache)
    tasks += _design_tasks(multipliers + tables, DESIGN_FLOWS, out, cache)
    if not quick:
        bounded = [d for d in multipliers + tables if d.params["weights"] in LOWER_BOUND_WEIGHTS]
        tasks += _design_tasks(bounded, ("lower_bound",), out, cache)
    return tasks, have_macs


def run_tasks(tasks, jobs, stream=sys.stdout, scheduler=None):
    """Run ``tasks`` on ``jobs`` threads (each drives one Yosys process) or on the Dask
    ``scheduler`` (:mod:`nvlut.util.executor`; the tasks carry the Verilog text), printing
    progress."""
    results, failures = [], []
    start = time.monotonic()
    with executor.executor(max(1, jobs), scheduler, threads=True) as pool:
        futures = {pool.submit(task.run): task for task in tasks}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            task = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # one failed run must not lose the others' results
                failures.append((task.label, exc))
                status = f"FAILED: {str(exc).splitlines()[0]}"
            else:
                results.append(result)
                status = _status(result)
            print(f"[{done}/{len(tasks)} {time.monotonic() - start:6.0f} s] {task.label}: {status}",
                  file=stream, flush=True)
    return results, failures


def _status(result):
    if "equivalence" in result:
        e = result["equivalence"]
        verdict = "proved" if e["equivalent"] else f"DIFFER at {e['counterexample']}"
        return f"{verdict} ({'cached' if e['cached'] else str(e['seconds']) + ' s'})"
    done = "cached" if result["cached"] else f"{result['seconds']} s"
    figures = [f"{name} {m['fmax_mhz']} MHz" for name, m in result["targets"].items()
               if isinstance(m, dict) and "fmax_mhz" in m]
    figures += [f"{m['dynamic_pj_per_mac']:.3g} pJ/MAC dynamic, {m['leakage_mw']:.3g} mW leakage"
                for m in result["targets"].values() if "dynamic_pj_per_mac" in m]
    figures += [f"{name}: " + (m.get("missing") or m.get("error")
                               or "not measured: " + m["not_measured"])
                for name, m in result["targets"].items()
                if "missing" in m or "error" in m or "not_measured" in m]
    return done + (f" ({'; '.join(figures)})" if figures else "")


def run(args):
    from . import report

    start = time.monotonic()
    if args.jobs < 1:
        raise ValueError(f"jobs: {args.jobs} is not allowed; use an integer >= 1")
    executor.check(args.jobs, args.scheduler)
    from nvlut.util.files import check_output_dir
    check_output_dir(args.out, "--out")
    if not args.quick:
        check_output_dir(args.energy_cache, "--energy-cache")
    if args.energy_max_cells < 0:
        raise ValueError(f"energy-max-cells: {args.energy_max_cells} is not allowed; use an "
                         "integer >= 0")
    tasks, have_macs = collect_tasks(args.manifest, args.out, args.quick, args.full,
                                     args.energy_max_cells, args.designs, args.energy_cache)
    if not have_macs:
        print(f"nvlut synth: {args.manifest} not found; run `nvlut verilog` (make verilog) for the "
              "MAC designs. Synthesizing the element multipliers only.", flush=True)
    print(f"nvlut synth: {len(tasks)} runs on "
          f"{executor.describe(args.jobs, args.scheduler)}", flush=True)
    missing = report.missing_library_note()
    if missing:
        print(f"nvlut synth: {missing}", flush=True)
    results, failures = run_tasks(tasks, args.jobs, scheduler=args.scheduler)
    written = report.write_reports(results, args.out)
    for path in written:
        print(f"wrote {path}")
    print()
    print(report.headline_text(report.load_records(args.out)))
    print(f"\nnvlut synth: {len(results)} runs done, {len(failures)} failed, "
          f"{time.monotonic() - start:.0f} s in total")
    for label, exc in failures:
        print(f"FAILED {label}: {exc}", file=sys.stderr)
    not_proved = [r["equivalence"] for r in results
                  if "equivalence" in r and not r["equivalence"]["equivalent"]]
    return 1 if failures or not_proved else 0


def headline_table(out=DEFAULT_OUT, stream=None):
    """Print the short headline table of the last ``nvlut synth`` run (from ``out/report.json``)
    to ``stream`` (default: the current ``sys.stdout``)."""
    from . import report

    stream = sys.stdout if stream is None else stream
    try:
        data = report.load_records(out)
    except FileNotFoundError as exc:
        print(f"synthesis: {exc}", file=stream)
        return
    print(report.headline_text(data), file=stream)
