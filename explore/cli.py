"""Sweep a design space and report its Pareto fronts (energy, area, accuracy loss; area, Fmax).

    nvlut explore [--space FILE.toml|yaml] [--weights fp4,fp8] [--blocks 8..64*2]
                  [--ecc-modes none,secded] [--voltages 1.0,0.57,0.55] ...
                  [--jobs N | --scheduler tcp://HOST:PORT|local:N]

For every valid combination of the dimensions (invalid ones are skipped with the reason, counted in
the report) it generates the design, runs a short bit-exact check (a failed point keeps its
reproducer), synthesizes it (OSU018 area), times it with OpenSTA (Fmax), asks ``nvlut energy`` for
the energy per MAC where installed, and measures the accuracy loss on the ablate models with the
fault model at the point's table voltage. Writes <out>/results.csv, results.json, report.md and
PNG plots. Every step is cached by the hash of what it depends on, so a rerun computes only new or
changed points and an interrupted sweep resumes. Points run on local processes (--jobs) or on a
Dask cluster (--scheduler); see docs/explore.md and docs/scale-out.md.
"""

import concurrent.futures
import json
import pathlib

from nvlut.util import executor

from .space import DIMENSIONS, FLAGS

STEP_NAMES = ("verify", "area", "fmax", "energy", "accuracy")


def add_arguments(parser):
    from .steps import Workload
    d = Workload()
    parser.add_argument("--space", type=pathlib.Path,
                        help="TOML or YAML file of dimension = list of values (flags override it)")
    g = parser.add_argument_group("space (comma-separated values or ranges LO..HI, LO..HI+STEP, "
                                  "LO..HI*FACTOR; default: the reference design)")
    for dim in DIMENSIONS:
        g.add_argument(FLAGS[dim], dest=f"dim_{dim}", metavar="VALUES",
                       help=f"{dim} values (default {', '.join(map(str, DIMENSIONS[dim][1]))})"
                       + (" in V; < 1.0 needs lut-storage ram" if dim == "voltage" else ""))
    w = parser.add_argument_group("workload")
    w.add_argument("--steps", default=",".join(d.steps),
                   help=f"metric steps to run, comma-separated (default all: {','.join(d.steps)})")
    w.add_argument("--sim", default=d.sim, help=f"simulator of the short check (default {d.sim})")
    w.add_argument("--verify-n", type=int, default=d.verify_n,
                   help=f"random dot products of the short check (default {d.verify_n})")
    w.add_argument("--seed", type=int, default=d.seed, help="seed of stimulus, training, faults")
    w.add_argument("--models", default=",".join(d.models),
                   help=f"ablate models of the accuracy metric (default {','.join(d.models)})")
    w.add_argument("--quick-training", action="store_true",
                   help="train missing models with ablate's --quick settings (3 epochs)")
    w.add_argument("--exact-samples", type=int, default=d.exact_samples,
                   help=f"test samples of the exact-mode fault penalty (default {d.exact_samples})")
    w.add_argument("--fault-trials", type=int, default=d.fault_trials,
                   help=f"fault maps per point and model (default {d.fault_trials})")
    w.add_argument("--ckpt-dir", default=d.ckpt_dir,
                   help=f"ablate checkpoint cache (default {d.ckpt_dir}, shared with nvlut ablate)")
    w.add_argument("--synth-cache", default=d.synth_cache,
                   help=f"synthesis cache (default {d.synth_cache}, shared with nvlut synth)")
    w.add_argument("--energy-cache", default=d.energy_cache,
                   help=f"gate-level energy cache (default {d.energy_cache}, shared with nvlut "
                        "energy)")
    parser.add_argument("--out", default=d.out, help=f"output directory (default {d.out})")
    executor.add_arguments(parser, jobs_help="points evaluated in parallel on local processes "
                                             "(default: CPU count)")


def _space(args):
    from . import space
    file_values = space.read_file(args.space) if args.space else {}
    flags = {dim: space.parse_values(dim, getattr(args, f"dim_{dim}"))
             for dim in DIMENSIONS if getattr(args, f"dim_{dim}") is not None}
    s = space.Space.build(file_values, flags)
    space.check_values(s.values)
    return s


def _workload(args):
    from nvlut.ablate.choices import MODEL_NAMES
    from nvlut.util.cli_lists import check_choices
    from nvlut.verif.runner import check_sim

    from .steps import Workload
    steps = tuple(s for s in args.steps.replace(",", " ").split())
    check_choices("steps", steps, STEP_NAMES)
    models = tuple(m for m in args.models.replace(",", " ").split())
    if "accuracy" in steps:
        check_choices("models", models, MODEL_NAMES)
        if not models:
            raise ValueError(f"models: none given; choose from {', '.join(MODEL_NAMES)}")
    check_sim(args.sim)
    for name in ("verify_n", "exact_samples"):
        if getattr(args, name) < 1:
            raise ValueError(f"{name.replace('_', '-')}: {getattr(args, name)} is not allowed; "
                             "use an integer >= 1")
    if args.fault_trials < 1:
        raise ValueError(f"fault-trials: {args.fault_trials} is not allowed; use >= 1")
    from nvlut.util.files import check_output_dir
    check_output_dir(args.out, "--out")
    if "energy" in steps:
        check_output_dir(args.energy_cache, "--energy-cache")
    return Workload(steps=steps, sim=args.sim, verify_n=args.verify_n, seed=args.seed,
                    models=models, quick_training=args.quick_training,
                    exact_samples=args.exact_samples, fault_trials=args.fault_trials,
                    ckpt_dir=args.ckpt_dir, synth_cache=args.synth_cache,
                    energy_cache=args.energy_cache, out=args.out)


def row_key(point, workload):
    """Cache key of a whole row: the point, the workload, every nvlut source and tool version."""
    import dataclasses
    import importlib.metadata

    from nvlut.util import yosys
    from nvlut.util.cache import cache_key

    from nvlut.util.sources import sources_digest

    from .steps import simulator_version
    tools = [yosys.YOSYS_VERSION, "torch " + importlib.metadata.version("torch"),
             "amaranth " + importlib.metadata.version("amaranth")]
    if "verify" in workload.steps:
        tools.append(simulator_version(workload.sim))
    if "fmax" in workload.steps:
        from nvlut.util import toolchain
        from nvlut.cells import opensta
        if toolchain.available("opensta"):
            tools.append(opensta.version())
    return "row-" + cache_key(json.dumps(point.as_dict(), sort_keys=True),
                              json.dumps(dataclasses.asdict(workload), sort_keys=True),
                              sources_digest("nvlut.explore.point", "nvlut.explore.report",
                                             "nvlut.energy"),
                              *tools)


def sweep(points, workload, jobs=1, scheduler=None, stream=None, on_result=None):
    """Evaluate ``points`` (cached rows reused); ``(rows in the order of points, computed,
    reused)``. ``on_result(index, row)`` is called as each computed row arrives."""
    from nvlut.util.cache import Cache

    from . import point as point_mod
    from .steps import prepare_model

    rows = [None] * len(points)
    cache = Cache(pathlib.Path(workload.out) / "cache" / "rows")
    keys = [row_key(p, workload) for p in points]
    for i, key in enumerate(keys):
        rows[i] = cache.get(key)
    todo = [i for i, r in enumerate(rows) if r is None]
    reused = len(points) - len(todo)
    print(f"nvlut explore: {len(points)} points, {reused} from the cache, {len(todo)} to compute "
          f"on {executor.describe(jobs, scheduler)}", file=stream, flush=True)
    if not todo:
        return rows, 0, reused
    wdict = point_mod.workload_dict(workload)
    with executor.executor(jobs, scheduler) as pool:
        if "accuracy" in workload.steps:
            # train missing models once, before the points that all need them
            list(pool.map(prepare_model, workload.models, [workload] * len(workload.models)))
        # one task per design: its voltage variants reuse its verify, synthesis and timing
        groups = {}
        for i in todo:
            groups.setdefault(points[i].params.name, []).append(i)
        futures = {pool.submit(point_mod.evaluate_group, [points[i].as_dict() for i in group],
                               wdict): group for group in groups.values()}
        progress = executor.Progress(len(todo), "nvlut explore ", stream)
        try:
            for fut in concurrent.futures.as_completed(futures):
                for i, (row, seconds) in zip(futures[fut], fut.result()):
                    rows[i] = row
                    if row["status"] != "error":
                        cache.put(keys[i], row)
                    progress.step(row["point"], f"{row['status']} in {sum(seconds.values()):.0f}"
                                  " s (" + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
                                  + ")")
                    if on_result:
                        on_result(i, row)
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    return rows, len(todo), reused


def run(args):
    from . import report

    s = _space(args)
    workload = _workload(args)
    executor.check(args.jobs, args.scheduler)
    points, skipped = s.points()
    if not points:
        reasons = sorted({r for _, r in skipped})
        raise ValueError("space: no valid point; every combination is invalid: "
                         + " | ".join(reasons[:5]))
    print(f"nvlut explore: {len(points)} valid points, {len(skipped)} combinations skipped "
          "(reasons in the report)", flush=True)
    rows, computed, reused = sweep(points, workload, args.jobs, args.scheduler)
    meta = {"points": len(points), "computed": computed, "reused": reused,
            "where": executor.describe(args.jobs, args.scheduler),
            "space": s.values, "workload": {k: v for k, v in vars(workload).items()
                                             if k not in ("out",)}}
    for path in report.write(args.out, rows, skipped, meta):
        print(f"wrote {path}")
    failed = [r for r in rows if r["status"] != "ok"]
    print(f"nvlut explore: {len(rows)} points, {len(failed)} failed or incomplete")
    return 1 if failed else 0
