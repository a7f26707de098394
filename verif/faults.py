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
(``faults=``), ``--sim amaranth`` the Amaranth netlist (:func:`simulate_fault_maps`).
"""

import argparse
import pathlib

#: default bit error rates and ECC modes of the campaign
DEFAULT_BER = "1e-5,3e-5,1e-4,3e-4,1e-3,3e-3,1e-2"
#: the campaign's default design: a full-product table in RAM (9-bit entries for fp4)
DEFAULT_DESIGN = {"multiplier": "fulllut", "lut_storage": "ram"}
#: simulators of the RTL replay (see the module docstring)
REPLAY_SIMS = ("amaranth", "icarus", "verilator")
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
    from nvlut.gen.params import add_design_arguments, add_sweep_argument
    from nvlut.spec.ecc import ECC_SWEEP
    parser.add_argument("--ber", type=_float_list, default=_float_list(DEFAULT_BER),
                        help=f"bit error rates, comma-separated (default {DEFAULT_BER})")
    add_sweep_argument(parser, "--ecc-modes", ECC_SWEEP, "ECC modes of the campaign")
    add_design_arguments(parser, skip=("ecc",))
    parser.set_defaults(**DEFAULT_DESIGN)
    parser.add_argument("--n", type=int, default=1000, help="dot products per trial (default 1000)")
    parser.add_argument("--nb", type=int, default=4, help="blocks per dot product (default 4)")
    parser.add_argument("--trials", type=int, default=100,
                        help="fault maps per mode and bit error rate (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rtl-sample", type=int, default=50, metavar="K",
                        help="replay K dot products of a faulty trial per mode on the RTL "
                             "(default 50; 0: no replay)")
    parser.add_argument("--sim", default="icarus",
                        help="simulator of the replay: icarus | verilator (the generated Verilog) "
                             "| amaranth (default icarus)")
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


def campaign(params, bers, eccs, n, nb, trials, seed, sample_size=0, replay_eccs=()):
    """Run the campaign (golden model only): ``(rows, replays)``.

    ``rows``: one dict per (ecc, ber) with the storage figures and the metrics averaged over the
    trials (``max_rel_error``: the maximum). ``replays``: for :func:`replay_on_rtl`, per mode of
    ``replay_eccs``, the operands and the trial whose faults affect (change or flag) the most
    balanced share (closest to half) of the first ``sample_size`` results; a mode none of whose
    trials affects one of them is missing.
    """
    import numpy as np

    from nvlut import golden
    from nvlut.golden import faults
    from nvlut.spec.storage import storage_layout

    rng = np.random.default_rng(seed)
    ops = operands(params, n, nb, rng)
    y_ref = golden.dot(*ops, params.weights)
    table = faults.lut_table(params.multiplier, params.weights)
    rows, replays, best = [], {}, {}
    for ecc in eccs:
        design = params.replace(ecc=ecc)
        layout = storage_layout(table.width, ecc)
        for ber in bers:
            per_trial = []
            for _ in range(trials):
                fault_map = faults.random_fault_map(rng, table.depth, layout.stored_bits, ber)
                delivered = faults.faulty_table(design, fault_map)
                y, flags = faults.dot_with_table(design, delivered, *ops)
                per_trial.append(trial_metrics(y_ref, y, flags))
                affected = int(((y != y_ref) | flags["ecc_corrected"]
                                | flags["ecc_uncorrectable"])[:sample_size].sum())
                balance = min(affected, sample_size - affected)
                if ecc in replay_eccs and affected and (ecc not in replays
                                                        or balance > best[ecc]):
                    best[ecc] = balance
                    replays[ecc] = {"ecc": ecc, "ber": ber, "fault_map": fault_map,
                                    "entries": delivered[0], "y": y, "flags": flags,
                                    "operands": ops, "y_ref": y_ref}
            row = {"ecc": ecc, "ber": ber, "table_words": table.depth,
                   "entry_bits": table.width, "check_bits": layout.check_bits,
                   "stored_bits": table.depth * layout.stored_bits,
                   "overhead": layout.overhead}
            for name in METRICS:
                values = [m[name] for m in per_trial]
                row[name] = float(max(values) if name == "max_rel_error" else np.mean(values))
            rows.append(row)
    return rows, replays


def simulate_fault_maps(params, operands, fault_maps):
    """Simulate ``NvlutMac(params)`` (``lut_storage=ram``, ``fault_port``) in Amaranth's simulator.

    Loads the table through ``cfg``; then, per fault map (``uint64[depth]``, the XOR masks of
    ``nvlut.golden.faults``), brings the stored words to exactly that fault map through the
    ``fault`` port (one write per word that differs from the previous map) and streams the dot
    products ``operands`` (``(a, w, sa, sw, t)`` as for ``nvlut.golden.dot``, all of the same
    number of blocks) with ``o.ready`` high. Returns per map ``(y uint32[n], flags)``, ``flags``
    mapping each output flag of ``nvlut.hdl.OUTPUT_LAYOUT`` to bool[n].
    """
    import numpy as np
    from amaranth.sim import Simulator

    from nvlut.hdl import OUTPUT_LAYOUT, NvlutMac, input_layout, lut_image

    dut = NvlutMac(params)
    layout = input_layout(params)
    a, w, sa, sw, t = operands
    n, nb, _ = a.shape
    beats = [layout.const({"a": a[k, j].tolist(), "w": w[k, j].tolist(), "sa": int(sa[k, j]),
                           **({"sw": int(sw[k, j])} if params.block_scaled else {}),
                           "t": int(t[k]), "last": int(j == nb - 1)})
             for k in range(n) for j in range(nb)]
    payload = dut.o.payload.as_value()
    results = []

    async def bench(ctx):
        ctx.set(dut.cfg.en, 1)
        for addr, entry in enumerate(lut_image(params)):
            ctx.set(dut.cfg.addr, addr)
            ctx.set(dut.cfg.data, entry)
            await ctx.tick()
        ctx.set(dut.cfg.en, 0)
        ctx.set(dut.o.ready, 1)
        stored = np.zeros(len(lut_image(params)), np.uint64)  # the fault map now in the storage
        for fault_map in fault_maps:
            delta = stored ^ np.asarray(fault_map, np.uint64)
            stored = np.asarray(fault_map, np.uint64)
            ctx.set(dut.fault.en, 1)
            for addr in np.flatnonzero(delta):
                ctx.set(dut.fault.addr, int(addr))
                ctx.set(dut.fault.mask, int(delta[addr]))
                await ctx.tick()
            ctx.set(dut.fault.en, 0)
            outputs = []
            ctx.set(dut.i.valid, 1)
            for beat in beats:
                ctx.set(dut.i.payload, beat)
                if ctx.get(dut.o.valid):
                    outputs.append(ctx.get(payload))
                await ctx.tick()
            ctx.set(dut.i.valid, 0)
            while len(outputs) < n:
                if ctx.get(dut.o.valid):
                    outputs.append(ctx.get(payload))
                await ctx.tick()
            results.append(np.array(outputs, np.uint64))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    def field(words, name):
        f = OUTPUT_LAYOUT[name]
        return words >> np.uint64(f.offset) & np.uint64((1 << f.width) - 1)

    return [(field(words, "y").astype(np.uint32),
             {name: field(words, name).astype(bool) for name, _ in OUTPUT_LAYOUT if name != "y"})
            for words in results]


def replay_on_rtl(params, replay, count, sim):
    """Simulate the first ``count`` dot products of ``replay`` (from :func:`campaign`) on
    ``NvlutMac(params)`` with the replay's ``ecc`` and a fault port, through which the trial's
    fault map is applied (see the module docstring for ``sim``): a summary dict (``agree`` True
    when every output and flag matches the golden fault model)."""
    import numpy as np

    design_params = params.replace(ecc=replay["ecc"], fault_port=True)
    ops = tuple(None if x is None else x[:count] for x in replay["operands"])
    if sim == "amaranth":
        [(y, flags)] = simulate_fault_maps(design_params, ops, [replay["fault_map"]])
    else:
        from .sim import simulate

        y, flags = simulate(design_params, *ops, sim=sim, faults=replay["fault_map"])
    mismatches = int((y != replay["y"][:count]).sum())
    for name, values in flags.items():
        mismatches += int((values != replay["flags"][name][:count]).sum())
    flagged = replay["flags"]["ecc_corrected"] | replay["flags"]["ecc_uncorrectable"]
    return {"ecc": replay["ecc"], "design": design_params.name, "sim": sim, "ber": replay["ber"],
            "dot_products": count,
            "flipped_bits": int(np.bitwise_count(replay["fault_map"]).sum()),
            "changed": int((replay["y"][:count] != replay["y_ref"][:count]).sum()),
            "flagged": int(flagged[:count].sum()),
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
        return "\n".join(lines) + "\n"
    for r in rtl["modes"]:
        lines.append(f"RTL replay ({r['sim']}, {r['design']}, ecc={r['ecc']}, "
                     f"BER {_fmt(r['ber'])}, {r['flipped_bits']} flipped bits): "
                     f"{r['dot_products']} dot products, "
                     f"{r['changed']} of them changed and {r['flagged']} flagged by the faults, "
                     f"{r['mismatches']} mismatches "
                     f"({'agrees' if r['agree'] else 'DISAGREES'} with the golden fault model).")
    if rtl["not_replayed"]:
        lines.append(f"Not replayed: {', '.join(rtl['not_replayed'])} (no trial affected the "
                     f"sampled results).")
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

    from nvlut.util.files import write_if_changed

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
    write_if_changed(path, buf.getvalue())


def run(args):
    import json

    from nvlut.gen.params import params_from_args
    from nvlut.golden import faults
    from nvlut.spec.storage import storage_layout
    from nvlut.util.errors import CliError
    from nvlut.util.files import write_if_changed

    from .design import build_root

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
    write_if_changed(out_dir / "faults.md", markdown(params, args, rows, rtl))
    write_if_changed(out_dir / "faults.csv", csv_text(rows))
    summary = {"design": params.name, "params": params.as_dict(), "n": args.n, "nb": args.nb,
               "trials": args.trials, "seed": args.seed, "rows": rows, "rtl_replay": rtl}
    write_if_changed(out_dir / "faults.json", json.dumps(summary, indent=1) + "\n")
    plot(out_dir / "faults.png", params, rows)
    print(markdown(params, args, rows, rtl), end="")
    print(f"nvlut faults: wrote {out_dir}/faults.{{md,csv,json,png}}")
    return 0 if rtl is None or rtl["agree"] else 1
