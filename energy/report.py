"""``build/energy/report.{md,csv,json}`` and the PNG plots of ``nvlut energy``.

Everything is rendered in memory and written at the end (atomically, file by file, through the
project's writer), so an interrupted run leaves the previous report, never half of one.
"""

import csv
import io
import json

from nvlut.util.report import markdown_table, png_bytes, pyplot

from nvlut.cells import components

from . import modes

SEED_CLAIMS = (
    ("26.85x", "energy reduction over traditional LUTs with ECC plus voltage scaling", 26.85),
    ("22.85x", "energy reduction under mixed-voltage operation", 22.85),
)
SEED_SOURCE = ("seed paper: \"Ablation Study of Block Size, Weight Precision, and Scale Precision in "
               "NVFP4 Inference for Low-Power Edge-Efficient Neural Networks\", arXiv 2606.06527, "
               "abstract; the paper does not publish its circuit, library, voltages or workload")


def _f(x, digits=3):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"


def _total(e):
    return sum(e.values())


def _table_part(e):
    keep = set(components.TABLE_DOMAIN) | {"ECC encoder", "ECC decoders", modes.LEVEL_SHIFTERS}
    return sum(v for k, v in e.items() if k in keep)


def markdown(data):
    out = ["# nvlut energy: energy per MAC from gate-level switching activity", ""]
    out += [data["status"], ""]
    if not data.get("measurements"):
        return "\n".join(out) + "\n"
    out += ["Each design is mapped to OSU 0.18 um cells by Yosys, simulated at gate level on "
            "Icarus with the library's cell models (outputs checked bit for bit against "
            "`nvlut.golden`), and every net's transitions are turned into energy with the "
            "Liberty tables (`nvlut.energy`, `docs/energy.md`). Energies are per dot product "
            "and per element MAC (one activation x weight product of the dot product), in pJ at "
            f"{data['vnom']} V unless a mode says otherwise.", ""]
    out += ["## Energy per dot product at nominal voltage", ""]
    rows = []
    for m in data["measurements"]:
        e = sum(sum(k.values()) for k in m["energy_pj"].values())
        rows.append([m.get("label", m["design"]), m["workload"], str(m["n"]), _f(m["elements_per_dot"]),
                     _f(e), _f(e / m["elements_per_dot"]), _f(m["cycles"] / m["n"])])
    out += markdown_table(["design", "workload", "dot products", "elements / dot", "pJ / dot",
                      "pJ / element MAC", "cycles / dot"], rows) + [""]
    out += [f"## Energy by component ({data['operating_point']})", ""]
    classes = [c for c in components.CLASSES if any(
        c in m["energy_pj"] for m in data["measurements"])]
    rows = []
    for m in data["measurements"]:
        if m["workload"] != data["operating_workload"]:
            continue
        per = m["elements_per_dot"]
        rows.append([m.get("label", m["design"])] + [_f(sum(m["energy_pj"].get(c, {}).values()) / per)
                                     for c in classes])
    out += markdown_table(["design (pJ / element MAC)"] + classes, rows) + [""]
    ref = next(m for m in data["measurements"] if m["workload"] == data["operating_workload"])
    parts = {c: sum(v.values()) for c, v in ref["energy_pj"].items()}
    top = max(parts, key=parts.get)
    out += [f"Largest component of {ref.get('label', ref['design'])}: **{top}**, "
            f"{100 * parts[top] / sum(parts.values()):.0f} % of its energy per MAC.", ""]
    out += ["Kinds (all designs, same workload): " + "; ".join(
        f"{m.get('label', m['design'])}: " + ", ".join(
            f"{k} {_f(sum(v[k] for v in m['energy_pj'].values()) / m['elements_per_dot'])}"
            for k in ("switching", "internal", "clock", "leakage"))
        for m in data["measurements"] if m["workload"] == data["operating_workload"]), ""]
    out += ["## Voltage-scaled table storage: modes, energy and accuracy", ""]
    out += [f"BER from {data['ber_name']} mapped by V/Vnom (an assumption); accuracy: "
            f"{data['accuracy_note']}", ""]
    rows = [[r["design"], r["mode"], _f(r["v_low"], 4), _f(r["ratio"], 3), _f(r["ber"]),
             _f(r["pj_per_mac"]), _f(r["pj_per_mac_sb"]), _f(r["saving"]),
             r["accuracy_text"], _f(r["fault_free_clock_factor"])]
            for r in data["modes"]]
    out += markdown_table(["design", "mode", "V_low (V)", "V_low / Vnom", "BER", "pJ / MAC (V^2)",
                      "pJ / MAC (Stillmaker-Baas)", "x vs nominal", "accuracy (mean +- std)",
                      "clock period for a fault-free table (x nominal)"], rows) + [""]
    out += ["## The seed's 26.85x and 22.85x beside ours", ""]
    out += [f"Seed claims ({SEED_SOURCE}): " + "; ".join(f"{c} {t}" for c, t, _ in SEED_CLAIMS), ""]
    rows = [[c["comparison"], _f(c["v_low"], 4), _f(c["whole_mac"]), _f(c["table_only"]),
             _f(c["table_share_full"]), _f(c["table_share_lut"]), c["seed"]]
            for c in data["comparisons"]]
    out += markdown_table(["comparison (traditional fulllut / nvlut lut, same workload)", "V_low (V)",
                      "whole MAC ratio", "table storage + codecs + shifters ratio",
                      "table share of fulllut MAC", "table share of lut MAC", "seed"], rows) + [""]
    for paragraph in data["decomposition"]:
        out += [paragraph, ""]
    out += ["## Cross-check against OpenSTA", ""] + data["opensta"] + [""]
    out += ["## Assumptions (energy/assumptions.toml, printed in full)", "", "```toml",
            data["assumptions"].rstrip(), "```", "", "BER data file:", "", "```",
            *data["ber_source"], "```", ""]
    out += ["Plots: `energy_vs_vlow.png`, `components.png`, `energy_vs_accuracy.png`.", ""]
    return "\n".join(out) + "\n"


def csv_text(data):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["design", "workload", "mode", "v_low", "ratio", "ber", "component", "kind", "pj_per_dot",
                "pj_per_mac"])
    for m in data["measurements"]:
        for c, kinds in sorted(m["energy_pj"].items()):
            for k, v in kinds.items():
                w.writerow([m["design"], m["workload"], "nominal", data["vnom"], 1.0, 0.0, c, k,
                            f"{v:.6g}", f"{v / m['elements_per_dot']:.6g}"])
    for r in data["modes"]:
        for c, v in sorted(r["components"].items()):
            w.writerow([r["design"], data["operating_workload"], r["mode"], r["v_low"],
                        r["ratio"], r["ber"], c, "total", f"{v * r['elements']:.6g}", f"{v:.6g}"])
    return buf.getvalue()


def json_text(data):
    return json.dumps(data, indent=1, sort_keys=True, default=float)


def plot_vlow(data):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    series = {}
    for r in data["modes"]:
        if r["mode"] != "nominal":
            series.setdefault((r["design"], r["mode"]), []).append((r["v_low"], r["pj_per_mac"]))
    for (d, mode), pts in sorted(series.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{d} {mode}")
    ax.set_xlabel("table-storage supply V_low (V, OSU018; mapped from 28 nm data by V/Vnom)")
    ax.set_ylabel("energy per element MAC (pJ)")
    ax2 = ax.twinx()
    bers = sorted({(r["v_low"], r["ber"]) for r in data["modes"] if r["ber"] > 0})
    ax2.semilogy([b[0] for b in bers], [b[1] for b in bers], "k--", label="BER")
    ax2.set_ylabel("bit error rate (dashed)")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("Energy per MAC versus table voltage, by design and mode")
    fig.tight_layout()
    return png_bytes(fig)


def plot_components(data):
    plt = pyplot()
    ms = [m for m in data["measurements"] if m["workload"] == data["operating_workload"]]
    classes = [c for c in components.CLASSES if any(c in m["energy_pj"] for m in ms)]
    fig, ax = plt.subplots(figsize=(9, 5))
    bottom = [0.0] * len(ms)
    cmap = plt.get_cmap("tab20")
    for k, c in enumerate(classes):
        vals = [sum(m["energy_pj"].get(c, {}).values()) / m["elements_per_dot"] for m in ms]
        ax.bar(range(len(ms)), vals, bottom=bottom, label=c, color=cmap(k))
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xticks(range(len(ms)), [m.get("label", m["design"]) for m in ms], rotation=30, ha="right",
                  fontsize=8)
    ax.set_ylabel("pJ per element MAC")
    ax.set_title(f"Energy by component, {data['operating_point']}")
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    return png_bytes(fig)


def plot_accuracy(data):
    plt = pyplot()
    pts = [(r["pj_per_mac"], r["accuracy"], f"{r['design']} {r['mode']}") for r in data["modes"]
           if r["accuracy"] is not None]
    fig, ax = plt.subplots(figsize=(8, 5))
    labels = sorted({p[2] for p in pts})
    cmap = plt.get_cmap("tab20")
    for k, lab in enumerate(labels):
        sel = [p for p in pts if p[2] == lab]
        ax.scatter([p[0] for p in sel], [100 * p[1] for p in sel], label=lab, s=18,
                   color=cmap(k % 20))
    front, best = [], -1.0
    for e, a, _ in sorted(pts):
        if a > best:
            front.append((e, a))
            best = a
    if front:
        ax.step([p[0] for p in front], [100 * p[1] for p in front], "k-", where="post")
        ax.plot([p[0] for p in front], [100 * p[1] for p in front], "ko", mfc="none", ms=11,
                label="Pareto front (no design both cheaper and more accurate)")
    ax.set_xlabel("energy per element MAC (pJ)")
    ax.set_ylabel(f"accuracy of {data.get('accuracy_model', 'the model')} (%)")
    ax.legend(fontsize=7)
    ax.set_title("Energy versus accuracy over designs, modes and V_low")
    fig.tight_layout()
    return png_bytes(fig)
