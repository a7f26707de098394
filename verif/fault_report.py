"""The fault campaign's report: ``faults.md``, ``faults.csv``, ``faults.json`` and ``faults.png``
(error versus bit error rate per ECC mode), written through :mod:`nvlut.util.report`."""

from nvlut.util.report import csv_from_dicts, fmt_sig, json_text, markdown_table, pyplot, write_png

from .fault_campaign import METRICS


def markdown(params, args, rows, rtl):
    header = ["ecc", "BER", "storage bits (overhead)", "wrong", "silent wrong",
              "flagged corrected", "flagged uncorrectable", "mean rel. error", "max rel. error"]
    lines = [f"# Fault campaign: {params.name}", "",
             f"{args.n} dot products of {args.nb} blocks (B = {params.block}), {args.trials} "
             f"fault maps per row, seed {args.seed}; table {rows[0]['table_words']} words of "
             f"{rows[0]['entry_bits']} bits.", ""]
    lines += markdown_table(header, [
        [r["ecc"], fmt_sig(r["ber"]), f"{r['stored_bits']} (+{100 * r['overhead']:.0f}%)",
         *(fmt_sig(r[m]) for m in METRICS)] for r in rows])
    lines.append("")
    if rtl is None:
        lines.append("RTL replay: not run (--rtl-sample 0).")
        return "\n".join(lines) + "\n"
    for r in rtl["modes"]:
        lines.append(f"RTL replay ({r['sim']}, {r['design']}, ecc={r['ecc']}, "
                     f"BER {fmt_sig(r['ber'])}, {r['flipped_bits']} flipped bits): "
                     f"{r['dot_products']} dot products, "
                     f"{r['changed']} of them changed and {r['flagged']} flagged by the faults, "
                     f"{r['mismatches']} mismatches "
                     f"({'agrees' if r['agree'] else 'DISAGREES'} with the golden fault model).")
    if rtl["not_replayed"]:
        lines.append(f"Not replayed: {', '.join(rtl['not_replayed'])} (no trial affected the "
                     f"sampled results).")
    return "\n".join(lines) + "\n"


def plot(path, params, rows):
    """Wrong-output fraction and mean relative error vs BER, one line per ECC mode."""
    fig, axes = pyplot().subplots(1, 2, figsize=(10, 4))
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
    write_png(path, fig, dpi=100)


def write(out_dir, params, args, rows, rtl):
    """Write the four report files of a campaign to ``out_dir``; returns the Markdown text."""
    from nvlut.util.files import write_if_changed

    text = markdown(params, args, rows, rtl)
    write_if_changed(out_dir / "faults.md", text)
    write_if_changed(out_dir / "faults.csv", csv_from_dicts(rows))
    summary = {"design": params.name, "params": params.as_dict(), "n": args.n, "nb": args.nb,
               "trials": args.trials, "seed": args.seed, "rows": rows, "rtl_replay": rtl}
    write_if_changed(out_dir / "faults.json", json_text(summary))
    plot(out_dir / "faults.png", params, rows)
    return text
