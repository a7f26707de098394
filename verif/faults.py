"""Fault campaign: random bit flips in the LUT storage, per bit error rate and ECC mode.

    nvlut faults [--ber 1e-5,1e-4,...] [--ecc none,msb2,msb4,secded] [design params]
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

``--rtl-sample K`` replays the first K dot products of one faulty trial on the RTL
(``nvlut.verif.sim``) and checks bit-exact agreement with the golden fault model. Faults reach the
RTL through the ``cfg`` port (the corrupted table is written instead of the true one), which
reproduces stored-bit faults exactly for ``ecc=none`` only: with ECC the write path encodes
whatever is written, so replaying those modes needs a fault-injection port in the storage.
"""

import argparse
import pathlib

#: default bit error rates and ECC modes of the campaign
DEFAULT_BER = "1e-5,3e-5,1e-4,3e-4,1e-3,3e-3,1e-2"
DEFAULT_ECC = "none,msb2,msb4,secded"
#: the campaign's default design: a full-product table in RAM (9-bit entries for fp4)
DEFAULT_DESIGN = {"multiplier": "fulllut", "lut_storage": "ram"}
METRICS = ("wrong", "silent_wrong", "flagged_corrected", "flagged_uncorrectable",
           "mean_rel_error", "max_rel_error")


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
    from nvlut.gen.params import add_design_arguments
    parser.add_argument("--ber", type=_float_list, default=_float_list(DEFAULT_BER),
                        help=f"bit error rates, comma-separated (default {DEFAULT_BER})")
    # the design flag --ecc takes a comma-separated list of modes here
    add_design_arguments(parser)
    parser.set_defaults(ecc=DEFAULT_ECC, **DEFAULT_DESIGN)
    parser.add_argument("--n", type=int, default=1000, help="dot products per trial (default 1000)")
    parser.add_argument("--nb", type=int, default=4, help="blocks per dot product (default 4)")
    parser.add_argument("--trials", type=int, default=100,
                        help="fault maps per mode and bit error rate (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rtl-sample", type=int, default=50, metavar="K",
                        help="replay K dot products of a faulty ecc=none trial on the RTL "
                             "(default 50; 0: no replay)")
    parser.add_argument("--sim", default="icarus",
                        help="simulator of the replay: icarus|verilator (default icarus)")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="output directory (default <build>/faults)")


def operands(params, n, nb, rng):
    """``(a, w, sa, sw, t)`` of ``n`` dot products of ``nb`` blocks: NVFP4-quantized standard
    normal activations; standard normal weights quantized to the weight format (NVFP4 for
    block-scaled fp4, a tensor scale for fp4/fp8 otherwise, fp16 as is; ``sw`` = 1.0 for
    block-scaled fp8/fp16)."""
    import numpy as np

    from nvlut import golden

    shape = (n, nb * params.block)
    qa = golden.quantize_nvfp4(rng.standard_normal(shape).astype(np.float32), params.block)
    x = rng.standard_normal(shape).astype(np.float32)
    sw = None
    if params.weights == "fp4" and params.block_scaled:
        qw = golden.quantize_nvfp4(x, params.block)
        w, sw, g_w = qw.codes, qw.scales, np.float32(qw.tensor_scale)
    else:
        top = {"fp4": 6.0, "fp8": 448.0, "fp16": 1.0}[params.weights]
        g_w = np.float32(1.0) if params.weights == "fp16" else np.float32(np.abs(x).max() / top)
        scaled = x / g_w
        w = {"fp4": golden.encode_e2m1, "fp8": lambda v: golden.encode_e4m3(v, saturate=True),
             "fp16": golden.encode_fp16}[params.weights](scaled).reshape(n, nb, params.block)
        if params.block_scaled:
            sw = np.full((n, nb), 0x38, dtype=np.uint8)
    t = golden.encode_binary32(np.full(n, np.float32(qa.tensor_scale) * g_w, dtype=np.float32))
    return qa.codes, w, qa.scales, sw, t


def trial_metrics(y_ref, y, flags):
    """Metric name -> value of one trial (see the module docstring); relative errors over the
    dot products whose fault-free result is finite and nonzero."""
    import numpy as np

    from nvlut import golden

    wrong = y != y_ref
    ref = golden.decode_binary32(y_ref).astype(np.float64)
    got = golden.decode_binary32(y).astype(np.float64)
    usable = np.isfinite(ref) & (ref != 0)
    with np.errstate(invalid="ignore"):
        rel = np.abs(got[usable] - ref[usable]) / np.abs(ref[usable])
    rel = np.where(np.isnan(rel), np.inf, rel)
    return {
        "wrong": wrong.mean(),
        "silent_wrong": (wrong & ~flags["ecc_uncorrectable"]).mean(),
        "flagged_corrected": flags["ecc_corrected"].mean(),
        "flagged_uncorrectable": flags["ecc_uncorrectable"].mean(),
        "mean_rel_error": rel.mean() if rel.size else 0.0,
        "max_rel_error": rel.max() if rel.size else 0.0,
    }


def campaign(params, bers, eccs, n, nb, trials, seed, sample_size=0):
    """Run the campaign (golden model only): ``(rows, replay)``.

    ``rows``: one dict per (ecc, ber) with the storage figures and the metrics averaged over the
    trials (``max_rel_error``: the maximum). ``replay``: for :func:`replay_on_rtl`, the operands
    and the ``ecc=none`` trial whose faults change the most balanced share (closest to half) of
    the first ``sample_size`` results, or None without ``sample_size`` or ``ecc=none``.
    """
    import numpy as np

    from nvlut import golden
    from nvlut.golden import faults

    rng = np.random.default_rng(seed)
    ops = operands(params, n, nb, rng)
    y_ref = golden.dot(*ops, params.weights)
    table = faults.lut_table(params.multiplier, params.weights)
    rows, replay, best = [], None, 0
    for ecc in eccs:
        design = params.replace(ecc=ecc)
        layout = faults.storage_layout(table.width, ecc)
        for ber in bers:
            per_trial = []
            for _ in range(trials):
                fault_map = faults.random_fault_map(rng, table.depth, layout.stored_bits, ber)
                delivered = faults.faulty_table(design, fault_map)
                y, flags = faults.dot_with_table(design, delivered, *ops)
                per_trial.append(trial_metrics(y_ref, y, flags))
                changed = int((y[:sample_size] != y_ref[:sample_size]).sum())
                balance = min(changed, sample_size - changed)
                if ecc == "none" and changed and (replay is None or balance > best):
                    best = balance
                    replay = {"ber": ber, "fault_map": fault_map, "entries": delivered[0],
                              "y": y, "flags": flags, "operands": ops, "y_ref": y_ref}
            row = {"ecc": ecc, "ber": ber, "table_words": table.depth,
                   "entry_bits": table.width, "check_bits": layout.check_bits,
                   "stored_bits": table.depth * layout.stored_bits,
                   "overhead": layout.overhead}
            for name in METRICS:
                values = [m[name] for m in per_trial]
                row[name] = float(max(values) if name == "max_rel_error" else np.mean(values))
            rows.append(row)
    return rows, replay


def replay_on_rtl(params, replay, count, sim):
    """Simulate the first ``count`` dot products of ``replay`` on ``NvlutMac(params, ecc=none)``
    with the corrupted table written through ``cfg``: a summary dict (``agree`` True when every
    output and flag matches the golden fault model)."""
    import dataclasses

    import numpy as np

    from .design import design_for
    from .sim import simulate

    design_params = params.replace(ecc="none")
    design = design_for(design_params)
    faulty = dataclasses.replace(design, cfg_words=tuple(int(x) for x in replay["entries"]))
    a, w, sa, sw, t = (None if x is None else x[:count] for x in replay["operands"])
    y, flags = simulate(design_params, a, w, sa, sw, t, sim=sim, design=faulty)
    mismatches = int((y != replay["y"][:count]).sum())
    for name, values in flags.items():
        mismatches += int((values != replay["flags"][name][:count]).sum())
    return {"design": design_params.name, "sim": sim, "ber": replay["ber"], "dot_products": count,
            "flipped_bits": int(np.bitwise_count(replay["fault_map"]).sum()),
            "changed": int((replay["y"][:count] != replay["y_ref"][:count]).sum()),
            "mismatches": mismatches, "agree": mismatches == 0}


def _fmt(x):
    return f"{x:.3g}"


def markdown(params, args, rows, rtl):
    head = ("| ecc | BER | storage bits (overhead) | wrong | silent wrong | flagged corrected | "
            "flagged uncorrectable | mean rel. error | max rel. error |")
    lines = [f"# Fault campaign: {params.name}", "",
             f"{args.n} dot products of {args.nb} blocks (B = {params.block}), {args.trials} "
             f"fault maps per row, seed {args.seed}; table {rows[0]['table_words']} words of "
             f"{rows[0]['entry_bits']} bits.", "", head, "|---" * 9 + "|"]
    for r in rows:
        lines.append(f"| {r['ecc']} | {_fmt(r['ber'])} | {r['stored_bits']} "
                     f"(+{100 * r['overhead']:.0f}%) | "
                     + " | ".join(_fmt(r[m]) for m in METRICS) + " |")
    lines.append("")
    if rtl is None:
        lines.append("RTL replay: not run (--rtl-sample 0).")
    else:
        lines.append(f"RTL replay ({rtl['sim']}, {rtl['design']}, ecc=none, BER {_fmt(rtl['ber'])},"
                     f" {rtl['flipped_bits']} flipped bits): {rtl['dot_products']} dot products, "
                     f"{rtl['changed']} of them changed by the faults, "
                     f"{rtl['mismatches']} mismatches "
                     f"({'agrees' if rtl['agree'] else 'DISAGREES'} with the golden fault model).")
    return "\n".join(lines) + "\n"


def csv_text(rows):
    keys = list(rows[0])
    return "\n".join([",".join(keys)] + [",".join(str(r[k]) for k in keys) for r in rows]) + "\n"


def plot(path, params, rows):
    """Wrong-output fraction and mean relative error vs BER, one line per ECC mode."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from .design import write_atomic

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ecc in dict.fromkeys(r["ecc"] for r in rows):
        mode = [r for r in rows if r["ecc"] == ecc]
        bers = [r["ber"] for r in mode]
        label = f"{ecc} (+{100 * mode[0]['overhead']:.0f}% bits)"
        axes[0].plot(bers, [r["wrong"] for r in mode], "o-", label=label)
        axes[0].plot(bers, [r["silent_wrong"] for r in mode], "x:", color=axes[0].lines[-1]
                     .get_color())
        axes[1].plot(bers, [r["mean_rel_error"] for r in mode], "o-", label=label)
    axes[0].set_title("wrong outputs (o: all, x: without uncorrectable flag)")
    axes[1].set_title("mean relative error")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log", nonpositive="mask")
        ax.set_xlabel("bit error rate of the stored table")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(params.name, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    write_atomic(path, buf.getvalue())


def run(args):
    import json

    from nvlut.gen.cli import CliError
    from nvlut.gen.params import params_from_args
    from nvlut.golden import faults

    from .design import build_root, write_atomic

    for name in ("n", "nb", "trials"):
        if getattr(args, name) < 1:
            raise CliError(f"{name}: {getattr(args, name)} is not allowed; use an integer >= 1")
    if args.rtl_sample < 0:
        raise CliError(f"rtl_sample: {args.rtl_sample} is not allowed; use an integer >= 0")
    eccs = [e.strip() for e in args.ecc.split(",")]
    params = params_from_args(argparse.Namespace(**{**vars(args), "ecc": "none"}))
    if params.lut_storage != "ram" or params.multiplier == "mul":
        raise CliError("lut_storage: faults are injected into a writable table; use "
                       "--lut-storage ram with --multiplier lut or fulllut")
    table = faults.lut_table(params.multiplier, params.weights)
    for ecc in eccs:
        params.replace(ecc=ecc)  # MacParams validates the mode
        faults.storage_layout(table.width, ecc)  # and the layout that it fits the entries
    out_dir = (args.out or build_root() / "faults") / params.name
    sample_size = min(args.rtl_sample, args.n)
    rows, replay = campaign(params, args.ber, eccs, args.n, args.nb, args.trials, args.seed,
                            sample_size)
    rtl = None
    if sample_size:
        if replay is None:
            raise CliError("rtl_sample: no ecc=none trial changed one of the sampled results; "
                           "raise --ber, add 'none' to --ecc or use --rtl-sample 0")
        rtl = replay_on_rtl(params, replay, sample_size, args.sim)
    write_atomic(out_dir / "faults.md", markdown(params, args, rows, rtl))
    write_atomic(out_dir / "faults.csv", csv_text(rows))
    summary = {"design": params.name, "params": params.as_dict(), "n": args.n, "nb": args.nb,
               "trials": args.trials, "seed": args.seed, "rows": rows, "rtl_replay": rtl}
    write_atomic(out_dir / "faults.json", json.dumps(summary, indent=1) + "\n")
    plot(out_dir / "faults.png", params, rows)
    print(markdown(params, args, rows, rtl), end="")
    print(f"nvlut faults: wrote {out_dir}/faults.{{md,csv,json,png}}")
    return 0 if rtl is None or rtl["agree"] else 1
