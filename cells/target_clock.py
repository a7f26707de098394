"""The shallowest pipeline depth meeting a target clock: ``nvlut generate --target-mhz``.

    nvlut generate --block 4 --target-mhz 40 [--target-flow osu018] -o build/mac.v

With --target-mhz F the pipeline depth is not given (--pipeline together with --target-mhz is an
error) but chosen: the design is generated at every depth of ``PIPELINE_RANGE``, shallowest first,
and timed on the --target-flow until one meets F; the command (:mod:`nvlut.verif.package`) writes
that depth. The only flow is ``osu018``: ``nvlut synth``'s static timing (``cells/timing.py``:
OSU 0.18 um netlist, OpenSTA, the constraints stated there), with its cache and work directories
under --synth-out, so a depth timed by ``nvlut synth`` (the pipeline sweep of the reference design)
or an earlier run is not timed again. When no depth meets F, :func:`params_for` raises
:class:`CliError` (exit status 2) naming the best Fmax and the path that limits it.
"""

import dataclasses
import pathlib
import sys
import time

from nvlut.gen.generate import verilog_for
from nvlut.spec.params import PIPELINE_RANGE, MacParams
from nvlut.util.errors import CliError

#: flows --target-mhz can time a design on
TARGET_FLOWS = ("osu018",)
DEFAULT_SYNTH_OUT = pathlib.Path("build/synth")


def add_target_arguments(parser):
    """Add --target-mhz, --target-flow and --synth-out to a parser that has the design flags;
    :func:`base_params` and :func:`params_for` read them back."""
    # None tells "not given" apart from the default depth (--pipeline excludes --target-mhz)
    parser.set_defaults(pipeline=None)
    g = parser.add_argument_group("target clock")
    g.add_argument("--target-mhz", type=float, metavar="F",
                   help="choose the shallowest pipeline depth whose measured Fmax is at least F MHz "
                        "(instead of --pipeline)")
    g.add_argument("--target-flow", default=None,
                   help=f"flow timing the depths: {'|'.join(TARGET_FLOWS)} (default "
                        f"{TARGET_FLOWS[0]}: nvlut synth's OpenSTA timing on OSU 0.18 um cells)")
    g.add_argument("--synth-out", type=pathlib.Path, default=DEFAULT_SYNTH_OUT,
                   help=f"nvlut synth's output directory whose cache/ and work/ --target-mhz uses "
                        f"(default {DEFAULT_SYNTH_OUT})")


def check_target(target_mhz, flow):
    """Validate --target-mhz / --target-flow; raise :class:`CliError` naming the allowed values."""
    if flow not in TARGET_FLOWS:
        raise CliError(f"target-flow: {flow!r} is not allowed; choose one of "
                       f"{', '.join(TARGET_FLOWS)}")
    if not target_mhz > 0 or target_mhz == float("inf"):
        raise CliError(f"target-mhz: {target_mhz:g} is not allowed; use a clock in MHz > 0")


def measure(params, synth_out, timeout=None):
    """``nvlut synth``'s static timing (:func:`nvlut.cells.timing.time_verilog`) of ``params``,
    cached in ``synth_out/cache``, worked in ``synth_out/work/<name>/sta`` as ``nvlut synth``
    does."""
    from nvlut.util.cache import Cache

    from . import timing

    synth_out = pathlib.Path(synth_out)
    verilog, _ = verilog_for(params)
    return timing.time_verilog(verilog.encode(), synth_out / "work" / params.name / "sta",
                               Cache(synth_out / "cache"), timeout)


def shallowest_depth(params, target_mhz, synth_out, stream=None):
    """``(depth, measured)``: the shallowest pipeline depth of ``PIPELINE_RANGE`` whose Fmax meets
    ``target_mhz`` (None when none does) and ``{depth: timing result}`` of the depths timed, printing
    one progress line per depth to ``stream``."""
    from nvlut.util.yosys import TIMEOUT

    stream = sys.stdout if stream is None else stream
    measured = {}
    for depth in range(PIPELINE_RANGE[0], PIPELINE_RANGE[1] + 1):
        start = time.monotonic()
        r = measure(dataclasses.replace(params, pipeline=depth), synth_out, TIMEOUT)
        measured[depth] = r
        print(f"pipeline {depth}: Fmax {r['fmax_mhz']} MHz, critical path {r['critical_ns']} ns "
              f"({time.monotonic() - start:.0f} s)", file=stream, flush=True)
        if r["fmax_mhz"] >= target_mhz:
            return depth, measured
    return None, measured


def base_params(args):
    """Check the design flags and :func:`add_target_arguments`' flags (quick, before any work);
    the :class:`MacParams` at --pipeline (default ``MacParams().pipeline``), which
    :func:`params_for` replaces by the chosen depth under --target-mhz. Raises :class:`CliError`
    (or ``ValueError`` naming the parameter) on bad or conflicting flags."""
    from nvlut.gen.params import params_from_args

    if args.target_mhz is None:
        if args.target_flow is not None:
            raise CliError("target-flow: only applies with --target-mhz")
    else:
        if args.pipeline is not None:
            raise CliError("pipeline: not allowed together with --target-mhz, which chooses the "
                           "depth; give one of them")
        flow = args.target_flow or TARGET_FLOWS[0]
        check_target(args.target_mhz, flow)
        from . import timing
        missing = timing.missing_tools()
        if missing:
            raise CliError(f"target-mhz: cannot time the design on {flow}: {missing} (make tools)")
    return params_from_args(args, pipeline=MacParams().pipeline if args.pipeline is None
                            else args.pipeline)


def params_for(args, params, stream=None):
    """``params`` (from :func:`base_params`) at the shallowest depth meeting --target-mhz
    (progress and the choice printed to ``stream``), or unchanged without --target-mhz. Raises
    :class:`CliError` when no depth meets the target."""
    if args.target_mhz is None:
        return params
    stream = sys.stdout if stream is None else stream
    flow = args.target_flow or TARGET_FLOWS[0]
    print(f"nvlut generate: the shallowest pipeline depth meeting {args.target_mhz:g} MHz on "
          f"{flow} (cache {args.synth_out / 'cache'})", file=stream, flush=True)
    depth, measured = shallowest_depth(params, args.target_mhz, args.synth_out, stream)
    if depth is None:
        best_depth = max(measured, key=lambda d: measured[d]["fmax_mhz"])
        best = measured[best_depth]
        raise CliError(
            f"target-mhz: no pipeline depth {PIPELINE_RANGE[0]}..{PIPELINE_RANGE[1]} meets "
            f"{args.target_mhz:g} MHz on {flow}; the best is {best['fmax_mhz']} MHz at depth "
            f"{best_depth}, limited by the path {best['start']} -> {best['end']} "
            f"({best['critical_ns']} ns)")
    r = measured[depth]
    print(f"pipeline {depth} chosen: Fmax {r['fmax_mhz']} MHz >= {args.target_mhz:g} MHz on {flow} "
          f"(critical path {r['critical_ns']} ns, {r['start']} -> {r['end']})", file=stream,
          flush=True)
    return dataclasses.replace(params, pipeline=depth)
