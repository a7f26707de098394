"""The sweep's outputs: results.csv / results.json (every metric with its unit), report.md with the
Pareto fronts and what each front point dominates, and PNG plots with the fronts marked and the
seed paper's operating point labelled. The CSV, JSON and PNGs depend only on the rows;
report.md also says where the sweep ran and how much came from the cache."""

import pathlib

from nvlut.util import report as util_report
from nvlut.util.files import write_if_changed

from . import assumptions, pareto
from .space import DIMENSIONS
from .steps import COLUMNS

#: the two fronts of the report: title, objectives, and the plots of each (file, axes (x, y)):
#: a front over three objectives is drawn in two projections
FRONTS = (
    ("energy per MAC, area, accuracy loss",
     (("energy_pj_per_mac", "min"), ("area_um2", "min"), ("accuracy_loss_pp", "min")),
     (("front_energy_accuracy.png", ("energy_pj_per_mac", "accuracy_loss_pp")),
      ("front_area_accuracy.png", ("area_um2", "accuracy_loss_pp")))),
    ("area, Fmax", (("area_um2", "min"), ("fmax_mhz", "max")),
     (("front_area_fmax.png", ("area_um2", "fmax_mhz")),)),
)
PARAM_UNITS = {"block": "elements", "pipeline": "register stages", "voltage": "V"}


def field_names():
    return ["point", *DIMENSIONS, "seed_point", "status", *COLUMNS, "notes"]


def units():
    u = {d: PARAM_UNITS.get(d, "") for d in DIMENSIONS}
    u.update({c: unit for c, (unit, _) in COLUMNS.items()})
    return u


def csv_text(rows):
    """CSV of ``rows``; each header cell carries its unit, e.g. ``area_um2 [um^2]``."""
    names, u = field_names(), units()
    return util_report.csv_text([f"{n} [{u[n]}]" if u.get(n) else n for n in names],
                           [["" if r.get(n) is None else r.get(n) for n in names] for r in rows])


def _fmt(v):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _short(r):
    p = (f"{r['weights']}/{r['weight_scaling']} B{r['block']} {r['multiplier']} {r['lut_storage']}"
         f" {r['ecc']} p{r['pipeline']} {r['voltage']:g} V")
    return p + (" (seed)" if r["seed_point"] else "")


def front_sections(rows):
    lines, fronts = [], []
    for title, objectives, plots in FRONTS:
        have, missing = pareto.available_objectives(rows, objectives)
        lines += [f"## Pareto front: {title}", ""]
        for column, _ in missing:
            lines.append(f"- {column}: no point has a value (see the notes column), so this front "
                         "leaves it out.")
        if missing:
            lines.append("")
        if not have:
            lines += ["No objective measured: no front.", ""]
            fronts.append((plots, [], [], []))
            continue
        result, dominated, left_out = pareto.front(rows, have)
        fronts.append((plots, [r for r, _ in result], dominated, [c for c, _ in have]))
        lines.append("Objectives: " + ", ".join(f"{c} ({s})" for c, s in have) +
                     f". {len(result)} optimal points, {len(dominated)} dominated, "
                     f"{len(left_out)} left out (failed, or missing a metric).")
        lines += ["", "| point | " + " | ".join(c for c, _ in have) + " | dominates |",
                  "|---|" + "---|" * len(have) + "---|"]
        for r, beaten in result:
            lines.append(f"| {_short(r)} | " + " | ".join(_fmt(r[c]) for c, _ in have) + " | "
                         + (", ".join(_short(b) for b in beaten) or "none") + " |")
        lines.append("")
    return lines, fronts


def markdown(rows, skipped, meta):
    lines = ["# nvlut explore", "",
             f"{meta['points']} valid points of {meta['points'] + len(skipped)} combinations "
             f"({len(skipped)} skipped as invalid); ran on {meta['where']}; "
             f"{meta['computed']} points computed, {meta['reused']} taken from the cache.", "",
             "Space: " + "; ".join(f"{d} = {', '.join(map(str, v))}"
                                   for d, v in meta["space"].items()) + ".", "",
             "Workload: " + ", ".join(f"{k} = {v}" for k, v in meta["workload"].items()) + ".", ""]
    seed = [r for r in rows if r["seed_point"]]
    lines.append("Seed paper operating point (fp4, B = 16, LUT, ECC + voltage scaling): " +
                 (", ".join(r["point"] for r in seed) if seed else "not in this space") + ".")
    failed = [r for r in rows if r["status"] != "ok"]
    lines += ["", f"Failed or incomplete points: {len(failed)}."]
    for r in failed:
        lines.append(f"- {r['point']}: {r['status']}; {r['notes']}"
                     + (f"; reproduce: `{r['reproducer']}`" if r["reproducer"] else ""))
    sections, fronts = front_sections(rows)
    lines += [""] + sections
    shown = ["area_um2", "fmax_mhz", "energy_pj_per_mac", "ber", "accuracy_pct",
             "accuracy_loss_pp", "verify"]
    lines += ["## All points", "",
              "| point | " + " | ".join(f"{c} [{COLUMNS[c][0]}]" if COLUMNS[c][0] else c
                                      for c in shown) + " |",
              "|---|" + "---|" * len(shown)]
    for r in rows:
        lines.append(f"| {_short(r)} | " + " | ".join(_fmt(r[c]) for c in shown) + " |")
    notes = sorted({n for r in rows for n in r["notes"].split("; ") if n})
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    lines += ["", "## Skipped combinations", ""]
    reasons = {}
    for _, reason in skipped:
        reasons[reason] = reasons.get(reason, 0) + 1
    lines += [f"- {n} x {reason}" for reason, n in sorted(reasons.items())] or ["None."]
    lines += ["", "## Plots", ""] + [f"![{png}]({png})" for png, *_ in fronts]
    lines += ["", "## Columns", "", "| column | unit | meaning |", "|---|---|---|"]
    lines += [f"| {c} | {u} | {d} |" for c, (u, d) in COLUMNS.items()]
    lines += ["", "## Assumptions (nvlut/explore/assumptions.py)", "", assumptions.TEXT.strip(), ""]
    return "\n".join(lines), fronts


def plot(rows, axes, front_rows, title, join=True):
    """PNG bytes of ``rows`` on ``axes`` with the front joined and the seed point(s) labelled."""
    plt = util_report.pyplot()
    x, y = axes
    fig, ax = plt.subplots(figsize=(7, 4.5))
    usable = [r for r in rows if r.get(x) is not None and r.get(y) is not None]
    ax.scatter([r[x] for r in usable], [r[y] for r in usable], s=18, color="0.6",
               label="design points")
    f = sorted((r for r in front_rows if r in usable), key=lambda r: (r[x], r[y]))
    if f:
        # a front over more objectives than the two axes is not a line in this projection
        ax.plot([r[x] for r in f], [r[y] for r in f], "o-" if join else "o", color="tab:red",
                ms=5, label="Pareto front" if join else "Pareto-optimal points")
    seeds = {}
    for r in usable:
        if r["seed_point"]:
            seeds.setdefault((r[x], r[y]), []).append(r)
    for k, ((px, py), group) in enumerate(sorted(seeds.items())):
        ax.scatter([px], [py], marker="*", s=160, color="tab:blue", zorder=5)
        label = ", ".join(sorted({g["ecc"] for g in group}))
        volts = ", ".join(f"{v:g}" for v in sorted({g["voltage"] for g in group}))
        # points close together (voltage variants) get their labels stacked, not overprinted
        ax.annotate(f"seed paper point ({label}; {volts} V)", (px, py),
                    textcoords="offset points", xytext=(6, 6 - 11 * k), fontsize=8,
                    color="tab:blue")
    ax.set_xlabel(f"{x} [{COLUMNS[x][0]}]")
    ax.set_ylabel(f"{y} [{COLUMNS[y][0]}]")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return util_report.png_bytes(fig)


def write(out, rows, skipped, meta):
    """Write every output into ``out``; returns the paths written or unchanged."""
    out = pathlib.Path(out)
    text, fronts = markdown(rows, skipped, meta)
    files = {"results.csv": csv_text(rows),
             "results.json": util_report.json_text(
                 {"units": units(), "columns": {c: d for c, (_, d) in COLUMNS.items()},
                  "rows": rows, "skipped": [{"combination": c, "reason": r} for c, r in skipped]},
                 sort_keys=True),
             "report.md": text}
    for (title, objectives, plots), (_, front_rows, _, used) in zip(FRONTS, fronts):
        left = [c for c, _ in objectives if c not in used]
        for png, axes in plots:
            files[png] = plot(rows, axes, front_rows,
                              f"Pareto front: {title}" + (f" ({', '.join(left)} not measured)"
                                                          if left else ""),
                              join=set(used) <= set(axes))
    for name, data in files.items():
        write_if_changed(out / name, data)
    return [out / n for n in files]
