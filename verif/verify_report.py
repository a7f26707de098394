"""The report of ``nvlut verify``: ``report.md`` (through :mod:`nvlut.util.report`) and the
console table."""

from nvlut.util.report import markdown_table

#: steps of a unit whose time the report breaks down (``stimulus`` includes loading the design)
STEPS = ("stimulus", "simulator", "golden", "coverage")


def console_table(rows, sim):
    """Print the per-design summary table."""
    head = (f"{'configuration':<42} {'simulator':<10} {'element checks':>14} "
            f"{'dot products':>12} {'fault-inj.':>10} {'mismatches':>10} {'dot prod./s':>11}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['design']:<42} {sim:<10} {r['element_vectors']:>14} {r['random_vectors']:>12} "
              f"{r['fault_vectors']:>10} {r['mismatches']:>10} {r['random_rate']:>11.0f}")


def report_markdown(summary):
    """report.md of a campaign ``summary`` (the contents of report.json)."""
    steps = summary["step_seconds"]
    busy = sum(steps.values())
    lines = ["# nvlut verify", "",
             f"Simulator {summary['sim']}; {summary['n']} random dot products per design (seed "
             f"{summary['seed']}) plus the exhaustive element-product check and, for designs with "
             f"ECC, fault-injected runs; {summary['jobs']} parallel jobs; wall time "
             f"{summary['wall_seconds']:.1f} s (of which {summary['build_seconds']:.1f} s "
             f"building); load average {summary['load_average']:.1f} at the end.", "",
             "Worker time by step: " + ", ".join(
                 f"{k} {v:.0f} s ({100 * v / max(busy, 1e-9):.0f} %)" for k, v in steps.items())
             + ".", "",
             "Throughput per worker process, end to end (stimulus, simulator, golden model, "
             "coverage): random dot products per second and element-product checks per second.",
             ""]
    lines += markdown_table(
        ["configuration", "simulator", "element checks", "random dot products", "fault-injected",
         "mismatches", "dot products/s", "element checks/s", "coverage bins", "holes"],
        [[r["design"], summary["sim"], r["element_vectors"], r["random_vectors"],
          r["fault_vectors"], r["mismatches"], f"{r['random_rate']:.0f}",
          f"{r['element_rate']:.0f}", r["coverage"]["bins"], len(r["coverage"]["holes"])]
         for r in summary["designs"]])
    lines += ["", "## Coverage holes", ""]
    any_holes = False
    for r in summary["designs"]:
        holes = r["coverage"]["holes"]
        if holes:
            any_holes = True
            shown = ", ".join(holes[:40]) + (f", ... ({len(holes)} in all)" if len(holes) > 40 else "")
            lines.append(f"- {r['design']}: {shown}")
    if not any_holes:
        lines.append("None: every bin of every design was hit.")
    lines += ["", "## Failures", ""]
    fails = [r for r in summary["designs"] if r["mismatches"] or r["problems"]]
    if not fails:
        lines.append("None.")
    for r in fails:
        lines.append(f"- {r['design']}: {r['mismatches']} mismatches; problems: "
                     f"{'; '.join(r['problems']) or 'none'}")
        for rep in r["reproducers"]:
            lines.append(f"  - reproducer {rep['npz']} ({rep['dot_products']} dot products), "
                         f"waveform {rep['waves']}: `{rep['command']}`")
    lines += ["", "Coverage bins: every E2M1 / weight code in every lane, every E4M3 scale code, "
              "the rounding cases exact / below half / tie to even / tie from odd / above half, "
              "the result classes zero / subnormal / normal / overflow / infinite / NaN, each flag "
              "0 and 1, block counts and back-pressure modes (see nvlut.verif.coverage).", ""]
    return "\n".join(lines)
