"""Results of an ablation run: ``results.csv``, ``results.json``, PNG plots and ``report.md``.

Every file is written to a temporary name and renamed, so an interrupted run never leaves a
half-written one. Accuracies are aggregated over seeds as mean and sample standard deviation. The
report sets the paper's findings beside ours; each verdict is computed from the numbers with the
criterion stated next to it.
"""

import os
import statistics

from nvlut.util.files import write_if_changed
from nvlut.util.report import csv_from_dicts, json_text, markdown_table, pyplot, write_png

#: percentage points
PP = 100.0
CHANCE = 0.1

COLUMNS = ("model", "dataset", "study", "variant", "seed", "mode", "n_test", "accuracy", "block",
           "bits_per_element", "fake_accuracy", "agreement", "ecc", "ber", "trial", "flipped_bits")


def to_csv(rows):
    return csv_from_dicts(rows, COLUMNS)


class Summary:
    """Accuracy over seeds per (study, model, variant, mode[, ber])."""

    def __init__(self, rows):
        self.groups = {}
        for r in rows:
            key = (r["study"], r["model"], r["variant"], r["mode"], r.get("ber", ""))
            self.groups.setdefault(key, []).append(r)

    def values(self, study, model, variant, mode="fake", ber=""):
        return [r["accuracy"] for r in self.groups.get((study, model, variant, mode, ber), [])]

    def mean(self, *key, **kw):
        v = self.values(*key, **kw)
        return statistics.fmean(v) if v else None

    def std(self, *key, **kw):
        v = self.values(*key, **kw)
        return statistics.stdev(v) if len(v) > 1 else 0.0

    def rows_of(self, study, model, variant, mode="fake", ber=""):
        return self.groups.get((study, model, variant, mode, ber), [])

    def variants(self, study, mode="fake"):
        seen = []
        for (s, _, v, m, _b) in self.groups:
            if s == study and m == mode and v not in seen:
                seen.append(v)
        return seen

    def models(self, study):
        seen = []
        for (s, m, *_rest) in self.groups:
            if s == study and m not in seen:
                seen.append(m)
        return seen

    def cell(self, study, model, variant, mode="fake", ber=""):
        m = self.mean(study, model, variant, mode, ber=ber)
        if m is None:
            return "-"
        return f"{m * PP:.1f} ± {self.std(study, model, variant, mode, ber=ber) * PP:.1f}"


def _table(header, body):
    return "\n".join(markdown_table(header, body))


def study_table(s, study):
    variants = s.variants(study)
    body = [[m] + [s.cell(study, m, v) for v in variants] for m in s.models(study)]
    return _table(["model"] + variants, body)


def exact_table(s, study):
    body = []
    for m in s.models(study):
        for v in s.variants(study, "exact"):
            rows = s.rows_of(study, m, v, "exact")
            if not rows:
                continue
            n = rows[0]["n_test"]
            fake = statistics.fmean(r["fake_accuracy"] for r in rows)
            exact = statistics.fmean(r["accuracy"] for r in rows)
            agree = statistics.fmean(r["agreement"] for r in rows)
            body.append([m, v, n, f"{fake * PP:.2f}", f"{exact * PP:.2f}",
                         f"{(exact - fake) * PP:+.2f}", f"{agree * PP:.2f}"])
    return _table(["model", "variant", "samples", "fake-quant %", "exact %", "exact - fake (pp)",
                   "same prediction %"], body)


def faults_table(s):
    bers = sorted({k[4] for k in s.groups if k[0] == "faults" and k[4] not in ("", 0.0)})
    body = []
    for m in s.models("faults"):
        for v in s.variants("faults", "exact"):
            if v == "fault-free":
                continue
            body.append([m, v, s.cell("faults", m, "fault-free", "exact", ber=0.0)] +
                        [s.cell("faults", m, v, "exact", ber=b) for b in bers])
    return _table(["model", "ECC", "no faults"] + [f"BER {b:g}" for b in bers], body)


#: (column title, study, variant) of the one-line-per-model summary
SUMMARY = (("float32", "retrain", "float32"), ("NVFP4 B=16", "retrain", "NVFP4"),
           ("NVFP4 + QAT", "retrain", "NVFP4 + QAT"), ("FP4 unscaled", "retrain", "FP4 unscaled"),
           ("fp8 weights", "weights", "fp8 weights"), ("fp16 weights", "weights", "fp16 weights"),
           ("MXFP4", "scales", "MXFP4 (E8M0, B=32)"), ("NVFP4 B=128", "block", "B=128"))


def summary_table(s):
    cols = [c for c in SUMMARY if any(s.values(c[1], m, c[2]) for m in s.models(c[1]))]
    models = []
    for _, study, _ in cols:
        models += [m for m in s.models(study) if m not in models]
    body = [[m] + [s.cell(study, m, v) for _, study, v in cols] for m in models]
    return _table(["model"] + [c[0] for c in cols], body)


# --- the paper's findings, checked ------------------------------------------------------------

def _pp(x):
    return f"{x * PP:+.1f} pp"


def finding_block(s):
    out = []
    for m in s.models("block"):
        a4, a16, a128 = (s.mean("block", m, f"B={b}") for b in (4, 16, 128))
        if None in (a4, a16):
            continue
        holds = a4 - a16 <= 0.01
        extra = "" if a128 is None else f"; B=128 vs B=16: {_pp(a128 - a16)}"
        out.append((m, holds, f"B=4 vs B=16: {_pp(a4 - a16)}{extra}"))
    return ("NVFP4 with B=16 is the practical trade-off (4.5078 bits/element for N=4096): smaller "
            "blocks buy little.", "holds when B=4 is at most 1 pp more accurate than B=16", out)


def finding_weights(s):
    out = []
    for m in s.models("weights"):
        a4, a8, a16 = (s.mean("weights", m, f"{w} weights") for w in ("fp4", "fp8", "fp16"))
        if None in (a4, a8, a16):
            continue
        gain = max(a8, a16) - a4
        out.append((m, gain <= 0.02, f"best of fp8/fp16 vs fp4: {_pp(gain)}"))
    return ("FP8/FP16 weights are only modestly better than FP4 weights.",
            "holds when the better of fp8/fp16 beats fp4 weights by at most 2 pp", out)


def finding_unscaled(s):
    out = []
    for m in s.models("retrain"):
        f32, un = s.mean("retrain", m, "float32"), s.mean("retrain", m, "FP4 unscaled")
        if None in (f32, un):
            continue
        out.append((m, un < (f32 + CHANCE) / 2,
                    f"FP4 unscaled {un * PP:.1f} % vs float32 {f32 * PP:.1f} % ({_pp(un - f32)})"))
    return ("Unscaled FP4 collapses.",
            "holds when pure FP4 falls below halfway between float32 and chance (10 %)", out)


def finding_retrain(s):
    out = []
    for m in s.models("retrain"):
        acc = {v: s.mean("retrain", m, v) for v in ("FP4 unscaled", "NVFP4", "NVFP4 + QAT")}
        if None in acc.values():
            continue
        best = max(acc.values())
        out.append((m, acc["NVFP4 + QAT"] >= best,
                    f"QAT {acc['NVFP4 + QAT'] * PP:.1f} %, NVFP4 {acc['NVFP4'] * PP:.1f} %, "
                    f"FP4 unscaled {acc['FP4 unscaled'] * PP:.1f} %"))
    return ("NVFP4 with retraining is the best of the FP4 variants.",
            "holds when NVFP4 + QAT has the highest mean accuracy of the three", out)


FINDINGS = (finding_block, finding_weights, finding_unscaled, finding_retrain)


def findings_section(s):
    lines = []
    for f in FINDINGS:
        claim, criterion, per_model = f(s)
        if not per_model:
            continue
        n = sum(h for _, h, _ in per_model)
        verdict = ("holds on every model" if n == len(per_model) else
                   "does not hold on any model" if n == 0 else
                   f"holds on {n} of {len(per_model)} models")
        lines += [f"**Paper: {claim}** Ours: {verdict} ({criterion}).", ""]
        lines += [f"- {m}: {'holds' if h else 'does not hold'} — {d}" for m, h, d in per_model]
        lines.append("")
    return "\n".join(lines)


# --- plots --------------------------------------------------------------------------------------

def _model_grid(n):
    """A figure with one subplot per model, three per row."""
    cols = min(3, n)
    rows = -(-n // cols)
    return pyplot().subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)


def _finish_grid(fig, axes, n, path):
    """Hide the subplots beyond the ``n`` models, save the figure to ``path`` and close it."""
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    write_png(path, fig)


def plot_block(s, path):
    models = s.models("block")
    fig, axes = _model_grid(len(models))
    for ax, m in zip(axes.flat, models):
        pts = []
        for v in s.variants("block"):
            rs = s.rows_of("block", m, v)
            if v != "float32" and rs:
                pts.append((rs[0]["bits_per_element"], s.mean("block", m, v) * PP,
                            s.std("block", m, v) * PP, v))
        pts.sort()
        ax.errorbar([p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts], marker="o",
                    capsize=3, label="NVFP4")
        for x, y, _, v in pts:
            ax.annotate(v, (x, y), textcoords="offset points", xytext=(3, -10), fontsize=7)
        ax.axhline(s.mean("block", m, "float32") * PP, ls="--", color="gray", label="float32")
        ax.set_title(m)
        ax.set_xlabel("weight bits/element (4 + 8/B + 32/N)")
        ax.set_ylabel("test accuracy %")
        ax.legend(fontsize=7)
    _finish_grid(fig, axes, len(models), path)


def plot_bars(s, study, path, title):
    plt = pyplot()
    import numpy as np

    models, variants = s.models(study), s.variants(study)
    fig, ax = plt.subplots(figsize=(min(11.0, max(6.0, 0.45 * len(models) * len(variants))), 4.4))
    width = 0.8 / len(variants)
    x = np.arange(len(models))
    lowest = 100.0
    for i, v in enumerate(variants):
        means = [(s.mean(study, m, v) or 0) * PP for m in models]
        stds = [s.std(study, m, v) * PP for m in models]
        ax.bar(x + (i - (len(variants) - 1) / 2) * width, means, width, yerr=stds, capsize=2,
               label=v)
        lowest = min([lowest] + [m - d for m, d in zip(means, stds)])
    ax.set_xticks(x, models)
    ax.set_ylabel("test accuracy %")
    ax.set_ylim(max(0.0, 10 * (lowest // 10) - 10), 100)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=min(len(variants), 6), loc="upper center",
              bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    write_png(path, fig)


def plot_faults(s, path):
    models = s.models("faults")
    fig, axes = _model_grid(len(models))
    bers = sorted({k[4] for k in s.groups if k[0] == "faults" and k[4] not in ("", 0.0)})
    for ax, m in zip(axes.flat, models):
        for v in s.variants("faults", "exact"):
            if v == "fault-free":
                continue
            ax.errorbar(bers, [s.mean("faults", m, v, "exact", ber=b) * PP for b in bers],
                        [s.std("faults", m, v, "exact", ber=b) * PP for b in bers], marker="o",
                        capsize=3, label=v)
        ax.axhline(s.mean("faults", m, "fault-free", "exact", ber=0.0) * PP, ls="--",
                   color="gray", label="fault-free")
        ax.set_xscale("log")
        ax.set_ylim(top=101)          # accuracy cannot exceed 100 %: crop the +-1 std bars there
        ax.set_title(m)
        ax.set_xlabel("bit error rate of the table storage")
        ax.set_ylabel("test accuracy % (exact)")
        ax.legend(fontsize=7)
    _finish_grid(fig, axes, len(models), path)


PLOTS = {
    "block": ("block.png", plot_block),
    "weights": ("weights.png", lambda s, p: plot_bars(s, "weights", p,
                                                       "Weight precision (NVFP4 activations, B=16)")),
    "scales": ("scales.png", lambda s, p: plot_bars(s, "scales", p,
                                                     "Block-scale precision (B=16)")),
    "retrain": ("retrain.png", lambda s, p: plot_bars(s, "retrain", p,
                                                       "Unscaled FP4 vs NVFP4 vs NVFP4 + QAT")),
    "faults": ("faults.png", plot_faults),
}

TITLES = {"block": "Block size", "weights": "Weight precision", "scales": "Block-scale precision",
          "retrain": "Retraining", "faults": "Table storage faults"}


def write(out_dir, rows, meta):
    """Write ``results.csv``, ``results.json``, the plots and ``report.md`` (last) to ``out_dir``."""
    s = Summary(rows)
    write_if_changed(os.path.join(out_dir, "results.csv"), to_csv(rows))
    write_if_changed(os.path.join(out_dir, "results.json"),
                     json_text({"meta": meta, "rows": rows}, sort_keys=True))
    studies = [st for st in meta["studies"] if s.models(st)]
    for st in studies:
        name, fn = PLOTS[st]
        fn(s, os.path.join(out_dir, name))
    md = [f"# NVFP4 accuracy ablations ({'quick smoke run' if meta['quick'] else 'full run'})", "",
          f"Models: {', '.join(meta['models'])}. Seeds: {meta['seeds']} (mean ± sample standard "
          f"deviation over seeds, test accuracy in %). Exact mode (`nvlut.golden.dot`, what the MAC "
          f"returns) on the first {meta['exact_samples']} test samples. NVFP4 quantizer recipe: "
          f"`{meta['recipe']}` (`docs/numerics.md` section 3). Method: `docs/ablate.md`.",
          ""]
    if meta.get("skipped"):
        md += [f"Not run: {meta['skipped']}", ""]
    md += ["## Summary", "", summary_table(s), "",
           "## The paper's findings on these models", "",
           "Verdicts compare means over seeds; a difference smaller than the seed spread shown in "
           "the tables is not evidence either way.", "", findings_section(s)]
    for st in studies:
        md += [f"## {TITLES[st]}", "", f"![{st}]({PLOTS[st][0]})", ""]
        if st == "faults":
            md += [faults_table(s), ""]
            continue
        md += [study_table(s, st), ""]
        if s.variants(st, "exact"):
            md += ["Exact mode versus fake quantization (mean over seeds):", "",
                   exact_table(s, st), ""]
    write_if_changed(os.path.join(out_dir, "report.md"), "\n".join(md))
