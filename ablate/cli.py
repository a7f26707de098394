"""Accuracy ablations of NVFP4 on small edge models, with the MAC's exact numerics.

Trains six small models from scratch (cached checkpoints), evaluates them with NVFP4 and the
comparison formats (block size, weight precision, block-scale precision, retraining, table faults)
and writes report.md, results.csv, results.json and PNG plots to --out. With --jobs N or --scheduler
(docs/scale-out.md) every (model, seed) runs as a task of its own. See docs/ablate.md.
"""

import os

from nvlut.gen.params import add_sweep_argument
from nvlut.golden.quantize import RECIPES
from nvlut.spec.ecc import ECC_SWEEP
from nvlut.spec.formats import WEIGHTS
from nvlut.spec.params import BLOCK_RANGE
from nvlut.util import cli_lists

from .choices import BLOCKS, MODEL_NAMES, SCALE_FORMATS, STUDIES

DEFAULT_OUT = os.path.join("build", "ablate")


def add_arguments(parser):
    parser.add_argument("--models", type=cli_lists.words, default=list(MODEL_NAMES),
                        help=f"comma-separated models (default all: {','.join(MODEL_NAMES)})")
    parser.add_argument("--study", action="append", metavar="STUDY",
                        help=f"study to run, repeatable: {'|'.join(STUDIES)} (default all)")
    parser.add_argument("--seeds", type=int,
                        help="training seeds per model (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 3 training epochs and 1 QAT epoch, and unless given "
                             "otherwise 1 seed, blocks 4,16, 16 exact samples, one fault rate")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument("--ckpt-dir", help="checkpoint cache (default <out>/ckpt)")
    parser.add_argument("--blocks", type=cli_lists.numbers("blocks", int),
                        help=f"block sizes of the block study, {BLOCK_RANGE[0]}..{BLOCK_RANGE[1]} "
                             f"(default {','.join(map(str, BLOCKS))})")
    parser.add_argument("--weights", type=cli_lists.words, default=list(WEIGHTS),
                        help="weight formats of the weights study (default fp4,fp8,fp16)")
    parser.add_argument("--scales", type=cli_lists.words, default=list(SCALE_FORMATS),
                        help="block-scale formats of the scales study (default e4m3,e8m0,fp16,none)")
    parser.add_argument("--recipe", default="torchao",
                        help=f"NVFP4 quantizer recipe, docs/numerics.md section 3: "
                             f"{'|'.join(RECIPES)} (default torchao)")
    parser.add_argument("--exact-samples", type=int,
                        help="test samples evaluated in exact mode per model (default 200, 16 with "
                             "--quick; 0: off)")
    parser.add_argument("--no-exact", action="store_true", help="skip exact mode")
    parser.add_argument("--bers", type=cli_lists.numbers("bers"), default=None,
                        help="bit error rates of the faults study (default 1e-3,1e-2,3e-2,1e-1)")
    add_sweep_argument(parser, "--ecc-modes", ECC_SWEEP, "ECC modes of the faults study")
    parser.add_argument("--fault-trials", type=int, default=2,
                        help="random fault maps per model, seed, ECC mode and rate (default 2)")
    parser.add_argument("--fault-multiplier", default="lut",
                        help="multiplier whose table the faults study corrupts: lut|fulllut")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: the machine is shared)")
    from nvlut.util import executor
    executor.add_arguments(parser, jobs_default=1,
                           jobs_help="(model, seed) runs in parallel processes (default 1: in "
                                     "this process)")


def _check(args):
    from nvlut.golden.quantize import check_block

    cli_lists.check_choices("models", args.models, MODEL_NAMES)
    if not args.models:
        raise ValueError(f"models: none given; choose from {', '.join(MODEL_NAMES)}")
    cli_lists.check_choices("study", args.study or [], STUDIES)
    for b in args.blocks or []:
        check_block(b, "blocks")
    cli_lists.check_choices("weights", args.weights, WEIGHTS)
    cli_lists.check_choices("scales", args.scales, SCALE_FORMATS)
    cli_lists.check_choices("recipe", [args.recipe], RECIPES)
    if args.seeds is not None and args.seeds < 1:
        raise ValueError(f"seeds: {args.seeds} is not allowed; use an integer >= 1")
    if args.exact_samples is not None and args.exact_samples < 0:
        raise ValueError(f"exact-samples: {args.exact_samples} is not allowed; use >= 0")
    if args.fault_trials < 1:
        raise ValueError(f"fault-trials: {args.fault_trials} is not allowed; use >= 1")
    if args.threads < 1:
        raise ValueError(f"threads: {args.threads} is not allowed; use >= 1")
    from nvlut.util import executor
    executor.check(args.jobs, args.scheduler)
    from . import faults
    from nvlut.spec.params import MacParams

    cli_lists.check_choices("fault-multiplier", [args.fault_multiplier], faults.MULTIPLIERS)
    for ecc in args.ecc_modes:
        MacParams(ecc=ecc, lut_storage="ram", multiplier=args.fault_multiplier)
    for ber in args.bers or []:
        if not 0.0 < ber <= 1.0:
            raise ValueError(f"bers: {ber!r} is not allowed; use probabilities in (0, 1]")


def run(args):
    import dataclasses
    import time

    import torch

    from . import faults, report, train

    from nvlut.util.files import check_output_dir

    _check(args)
    torch.set_num_threads(args.threads)
    quick = args.quick
    settings = train.QUICK if quick else train.FULL
    seeds = args.seeds or (1 if quick else 3)
    exact_samples = 0 if args.no_exact else (
        args.exact_samples if args.exact_samples is not None else 16 if quick else 200)
    blocks = args.blocks or ([4, 16] if quick else list(BLOCKS))
    bers = args.bers or ([1e-1] if quick else list(faults.BERS))
    eccs = args.ecc_modes
    chosen = args.study or list(STUDIES)
    skipped = ""
    if "faults" in chosen:
        reason = None if exact_samples else ("it runs in exact mode, which --no-exact / "
                                             "--exact-samples 0 turned off")
        if reason:
            if args.study:
                raise ValueError(f"study: faults is not available: {reason}")
            chosen = [s for s in chosen if s != "faults"]
            skipped = f"faults study ({reason})"
            print(f"nvlut ablate: skipping the faults study: {reason}", flush=True)
    ckpt_dir = args.ckpt_dir or os.path.join(args.out, "ckpt")
    check_output_dir(args.out, "--out")
    check_output_dir(ckpt_dir, "--ckpt-dir")
    start = time.monotonic()

    def log(msg):
        print(f"[{time.monotonic() - start:7.1f}s] {msg}", flush=True)

    log(f"NVFP4 quantizer recipe: {args.recipe}")

    jobs = [dict(name=name, seed=seed, settings=settings, ckpt_dir=ckpt_dir,
                 exact_samples=exact_samples, chosen=chosen, bers=bers, eccs=eccs,
                 fault_multiplier=args.fault_multiplier, fault_trials=args.fault_trials,
                 recipe=args.recipe,
                 choices={study: _choices(study, blocks, args) for study in chosen},
                 threads=args.threads)
            for name in args.models for seed in range(seeds)]
    if args.jobs == 1 and args.scheduler is None:
        rows = [row for job in jobs for row in _model_rows(job, log)]
    else:
        # one task per (model, seed); rows are kept in the order of the sequential run
        from nvlut.util import executor
        log(f"{len(jobs)} model runs on {executor.describe(args.jobs, args.scheduler)}")
        with executor.executor(args.jobs, args.scheduler) as pool:
            rows = [row for part in pool.map(_model_rows, jobs) for row in part]
    meta = {"models": args.models, "studies": chosen, "seeds": seeds, "quick": quick,
            "exact_samples": exact_samples, "settings": dataclasses.asdict(settings),
            "skipped": skipped, "threads": args.threads, "recipe": args.recipe}
    report.write(args.out, rows, meta)
    log(f"wrote {os.path.join(args.out, 'report.md')}")
    return 0


def _model_rows(job, log=None):
    """The rows of every chosen study for one model and seed (a task of its own with --jobs /
    --scheduler: plain parameters in, rows out)."""
    import time

    import torch

    from . import faults, studies

    if log is None:
        start = time.monotonic()

        def log(msg):
            print(f"[{job['name']} s{job['seed']} {time.monotonic() - start:7.1f}s] {msg}",
                  flush=True)
    torch.set_num_threads(job["threads"])
    log(f"{job['name']} seed {job['seed']}")
    ev = studies.Evaluator(job["name"], job["seed"], job["settings"], job["ckpt_dir"],
                           job["exact_samples"], log)
    rows = []
    for study in job["chosen"]:
        if study == "faults":
            new = faults.run_faults(ev, job["bers"], job["eccs"], job["fault_multiplier"],
                                    job["fault_trials"], job["recipe"])
        else:
            new = studies.run_study(study, ev, exact=bool(job["exact_samples"]),
                                    **job["choices"][study])
        rows += new
        log("  " + study + ": " + ", ".join(
            f"{r['variant']}{' (exact)' if r['mode'] == 'exact' else ''}"
            f"{' ber=%g' % r['ber'] if r.get('ber') else ''} {r['accuracy'] * 100:.1f}"
            for r in new))
    return rows


def _choices(study, blocks, args):
    choices = {"block": {"blocks": blocks}, "weights": {"weights": args.weights},
               "scales": {"scales": args.scales}}.get(study, {})
    return {**choices, "recipe": args.recipe}
