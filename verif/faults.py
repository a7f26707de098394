"""Fault campaign: random bit flips in the LUT storage, per bit error rate and ECC mode.

    nvlut faults [--ber 1e-5,1e-4,...] [--ecc-modes none,msb2,msb4,secded] [design params]
                 [--n N] [--nb NB] [--trials T] [--seed S] [--rtl-sample K] [--out build/faults]

For every ECC mode and bit error rate (BER), ``T`` trials each draw a fault map that flips every
stored table bit (entry and check bits) independently with probability BER, and run the same
``N`` dot products of ``NB`` blocks (NVFP4-quantized Gaussian activations and weights) through the
golden fault model (``nvlut.golden.faults.dot_with_table``). Against the fault-free results it
reports per mode and BER: the fraction of wrong outputs, of wrong outputs without the
``ecc_uncorrectable`` flag (silent), of outputs flagged corrected / uncorrectable, the mean and
maximum relative error, and the table's storage in bits. Results go to ``<out>/<design>/``:
``faults.md``, ``faults.csv``, ``faults.json`` and ``faults.png`` (error vs BER per mode), all
byte-identical for the same arguments.

``--rtl-sample K`` replays the first K dot products of one faulty trial per mode on the RTL and
checks bit-exact agreement (``y`` and all six flags) with the golden fault model. The design gets
a ``fault`` port (``fault_port=True``): the true table is loaded through ``cfg`` and the trial's
fault map is XORed into the stored words (check bits included) through the fault port. ``--sim
icarus|verilator`` simulates the generated Verilog through :func:`nvlut.verif.sim.simulate`
(``faults=``), ``--sim amaranth`` the Amaranth netlist (:func:`nvlut.verif.amaranth_stream.stream`).
"""

import argparse
import pathlib

#: default bit error rates of the campaign (the ECC modes: nvlut.spec.ecc.ECC_SWEEP)
DEFAULT_BER = "1e-5,3e-5,1e-4,3e-4,1e-3,3e-3,1e-2"
#: the campaign's default design: a full-product table in RAM (9-bit entries for fp4)
DEFAULT_DESIGN = {"multiplier": "fulllut", "lut_storage": "ram"}
#: simulators of the RTL replay (see the module docstring)
REPLAY_SIMS = ("amaranth", "icarus", "verilator")


def _float_list(text):
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"ber: {text!r} is not a comma-separated list of "
                                         "numbers") from None
    if not values or any(not 0 <= v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"ber: {text!r}: each rate must lie in 0..1")
    return values


def add_arguments(parser):
    from nvlut.gen.params import add_design_arguments, add_seed_argument, add_sweep_argument
    from nvlut.spec.ecc import ECC_SWEEP
    parser.add_argument("--ber", type=_float_list, default=_float_list(DEFAULT_BER),
                        help=f"bit error rates, comma-separated (default {DEFAULT_BER})")
    add_sweep_argument(parser, "--ecc-modes", ECC_SWEEP, "ECC modes of the campaign")
    add_design_arguments(parser, skip=("ecc",), defaults=DEFAULT_DESIGN)
    parser.add_argument("--n", type=int, default=1000, help="dot products per trial (default 1000)")
    parser.add_argument("--nb", type=int, default=4, help="blocks per dot product (default 4)")
    parser.add_argument("--trials", type=int, default=100,
                        help="fault maps per mode and bit error rate (default 100)")
    add_seed_argument(parser, "seed of the fault maps and stimulus")
    parser.add_argument("--rtl-sample", type=int, default=50, metavar="K",
                        help="replay K dot products of a faulty trial per mode on the RTL "
                             "(default 50; 0: no replay)")
    parser.add_argument("--sim", default="icarus",
                        help="simulator of the replay: icarus | verilator (the generated Verilog) "
                             "| amaranth (default icarus)")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="output directory (default <build>/faults)")


def run(args):
    from nvlut.gen.params import params_from_args
    from nvlut.golden import faults
    from nvlut.spec.storage import storage_layout
    from nvlut.util.errors import CliError

    from . import fault_report
    from nvlut.util.files import check_output_dir
    from .design import build_root
    from .fault_campaign import campaign, replay_on_rtl

    for name in ("n", "nb", "trials"):
        if getattr(args, name) < 1:
            raise CliError(f"{name}: {getattr(args, name)} is not allowed; use an integer >= 1")
    if args.rtl_sample < 0:
        raise CliError(f"rtl_sample: {args.rtl_sample} is not allowed; use an integer >= 0")
    if args.sim not in REPLAY_SIMS:
        raise CliError(f"sim: {args.sim!r} is not allowed; choose one of {', '.join(REPLAY_SIMS)}")
    eccs = args.ecc_modes
    params = params_from_args(args, ecc="none")
    if params.lut_storage != "ram" or params.multiplier == "mul":
        raise CliError("lut_storage: faults are injected into a writable table; use "
                       "--lut-storage ram with --multiplier lut or fulllut")
    table = faults.lut_table(params.multiplier, params.weights)
    for ecc in eccs:
        params.replace(ecc=ecc)  # MacParams validates the mode
        storage_layout(table.width, ecc)  # and the layout that it fits the entries
    out_dir = (args.out or build_root() / "faults") / params.name
    check_output_dir(out_dir, "--out")
    sample_size = min(args.rtl_sample, args.n)
    rows, replays = campaign(params, args.ber, eccs, args.n, args.nb, args.trials, args.seed,
                             sample_size, eccs)
    rtl = None
    if sample_size:
        if not replays:
            raise CliError(f"rtl_sample: no trial of {', '.join(eccs)} affected one of the "
                           "sampled results; raise --ber or use --rtl-sample 0")
        modes = [replay_on_rtl(params, replays[e], sample_size, args.sim)
                 for e in eccs if e in replays]
        rtl = {"sim": args.sim, "dot_products": sample_size,
               "changed": sum(r["changed"] for r in modes),
               "mismatches": sum(r["mismatches"] for r in modes),
               "agree": all(r["agree"] for r in modes), "modes": modes,
               "not_replayed": [e for e in eccs if e not in replays]}
    print(fault_report.write(out_dir, params, args, rows, rtl), end="")
    print(f"nvlut faults: wrote {out_dir}/faults.{{md,csv,json,png}}")
    return 0 if rtl is None or rtl["agree"] else 1
