"""The synthesis report: report.json / report.csv (one record per design, target and metric),
report.md (side-by-side tables, ratios, the seed paper's claims beside ours), PNG bar charts, and
the short headline table.

Every output depends only on the results (no times, paths or dates), so the same results give the
same bytes.
"""

import json
import pathlib

from nvlut.spec.ecc import EccMode
from nvlut.util.files import write_if_changed
from nvlut.util.report import (csv_text, fmt_count, fmt_ratio, json_text, markdown_table,
                               png_bytes, pyplot)

from nvlut.util.yosys import YOSYS_VERSION

#: seed paper's claims, quoted beside our ratios
PAPER_CLAIMS = (
    "area reduced by up to 2.21x and 1.52x versus traditional LUTs",
    "26.85x / 22.85x energy reduction under ECC and voltage scaling",
)

VARIANT_ORDER = ("lut", "fulllut", "mul", "truth_table")
TARGETS = ("cmos", "depth", "osu018", "ice40", "xilinx", "xilinx_nodsp", "lower_bound", "sta",
           "sta_components", "energy", "energy_at_fmax", "ice40_hx8k", "ecp5_25f", "ecp5_45f")

# (target, metric, column title) of the side-by-side tables
MULTIPLIER_COLUMNS = (
    ("cmos", "transistors_logic", "CMOS transistors"),
    ("cmos", "gates", "CMOS gates"),
    ("depth", "levels", "depth (2-input gate levels)"),
    ("osu018", "area_logic", "OSU018 area um^2"),
    ("ice40", "lut4", "iCE40 LUT4"),
    ("ice40", "carry", "iCE40 carry"),
    ("xilinx", "lut", "7-series LUT"),
    ("xilinx", "carry4", "CARRY4"),
    ("xilinx", "dsp", "DSP48E1"),
    ("xilinx_nodsp", "lut", "LUT (-nodsp)"),
    ("xilinx_nodsp", "carry4", "CARRY4 (-nodsp)"),
)
MAC_COLUMNS = (
    ("cmos", "transistors_logic", "CMOS tr. logic"),
    ("cmos", "transistors_ff", "CMOS tr. FF"),
    ("cmos", "transistors_table", "CMOS tr. table"),
    ("cmos", "ff", "FFs"),
    ("cmos", "table_bits", "table bits"),
    ("depth", "levels", "depth"),
    ("osu018", "area_logic", "OSU018 logic um^2"),
    ("osu018", "area_ff", "OSU018 FF um^2"),
    ("osu018", "area_table", "OSU018 table um^2"),
    ("ice40", "lut4", "iCE40 LUT4"),
    ("ice40", "carry", "iCE40 carry"),
    ("ice40", "ff", "iCE40 FF"),
    ("ice40", "bram", "iCE40 BRAM"),
    ("xilinx", "lut", "7s LUT"),
    ("xilinx", "carry4", "7s CARRY4"),
    ("xilinx", "ff", "7s FF"),
    ("xilinx", "dsp", "7s DSP48E1"),
    ("xilinx", "lutram", "7s LUTRAM"),
    ("xilinx_nodsp", "lut", "7s LUT -nodsp"),
    ("xilinx_nodsp", "carry4", "7s CARRY4 -nodsp"),
)
#: the metric the ratios and charts are about
AREA = ("cmos", "transistors_logic")


# ---------------------------------------------------------------------------------------------
# records

def records_from_results(results):
    """Flatten run results into ``(records, equivalences)``, both sorted; energy per MAC and power
    at Fmax (target ``energy_at_fmax``) are derived from targets ``sta`` and ``energy``."""
    from .at_fmax import derived_records

    records, equivalences = [], []
    for r in results:
        if "equivalence" in r:
            e = r["equivalence"]
            equivalences.append({k: e[k] for k in ("gold", "gate", "equivalent", "counterexample",
                                                   "seconds")})
            continue
        d = r["design"]
        for target, metrics in r["targets"].items():
            for metric, value in metrics.items():
                records.append({"design": d.name, "kind": d.kind, "params": d.params,
                                "target": target, "metric": metric, "value": value})
    records += derived_records(records)
    records.sort(key=lambda x: (x["kind"], x["design"], TARGETS.index(x["target"]), x["metric"]))
    # designs of the pipeline sweep that are not in the manifest come as kind `mac_sweep`
    equivalences.sort(key=lambda x: (x["gold"], x["gate"]))
    return records, equivalences


def load_records(out):
    """The contents of ``out/report.json``."""
    path = pathlib.Path(out) / "report.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no synthesis results yet; run `nvlut synth` (make synth)")
    return json.loads(path.read_text())


class Table:
    """Lookup ``value(design, target, metric)`` over the records."""

    def __init__(self, records):
        self.values = {(r["design"], r["target"], r["metric"]): r["value"] for r in records}
        self.designs = {}
        for r in records:
            self.designs.setdefault(r["design"], (r["kind"], r["params"]))

    def value(self, design, target, metric):
        return self.values.get((design, target, metric))

    def of_kind(self, kind):
        return [(name, params) for name, (k, params) in self.designs.items() if k == kind]


def _ratio(num, den):
    return None if num is None or not den else num / den


# ---------------------------------------------------------------------------------------------
# report.md sections

def _variant_key(params):
    m = params["multiplier"]
    return VARIANT_ORDER.index(m) if m in VARIANT_ORDER else len(VARIANT_ORDER)


def _multiplier_section(t):
    lines = ["## Element multipliers", "",
             "One standalone element multiplier `a (E2M1) x w` (outputs `p`, `neg`, `inf`, `nan`; "
             "constant table), per weight format. `truth_table` is the bare case statement of "
             "`nvlut.golden.element_product` with the same outputs, synthesized by the same flow. "
             "Ratios are of CMOS logic transistors.", ""]
    designs = t.of_kind("multiplier") + t.of_kind("truth_table")
    for weights in ("fp4", "fp8", "fp16"):
        group = sorted([(n, p) for n, p in designs if p["weights"] == weights],
                       key=lambda x: _variant_key(x[1]))
        if not group:
            continue
        lut = next((n for n, p in group if p["multiplier"] == "lut"), None)
        rows = []
        for name, params in group:
            ratio = _ratio(t.value(name, *AREA), t.value(lut, *AREA)) if lut else None
            rows.append([params["multiplier"], *[fmt_count(t.value(name, tg, m))
                                                 for tg, m, _ in MULTIPLIER_COLUMNS],
                         fmt_ratio(ratio)])
        lines += [f"### {weights} weights", ""]
        lines += markdown_table(["variant", *[c for _, _, c in MULTIPLIER_COLUMNS], "vs lut"], rows)
        lines.append("")
    return lines


def _lower_bound_section(t):
    designs = t.of_kind("multiplier") + t.of_kind("truth_table")
    rows = []
    for weights in ("fp4", "fp8"):
        table = next((n for n, p in designs if p["weights"] == weights
                      and p["multiplier"] == "truth_table"), None)
        bound = t.value(table, "lower_bound", "transistors") if table else None
        if bound is None:
            continue
        variants = [(n, p) for n, p in designs if p["weights"] == weights
                    and p["multiplier"] != "truth_table"]
        for name, params in sorted(variants, key=lambda x: _variant_key(x[1])):
            default = t.value(name, *AREA)
            heavy = t.value(name, "lower_bound", "transistors")
            rows.append([weights, params["multiplier"], fmt_count(default), fmt_count(heavy),
                         fmt_count(bound), fmt_ratio(_ratio(default, bound)),
                         fmt_ratio(_ratio(heavy, bound))])
        rows.append([weights, "truth_table", fmt_count(t.value(table, *AREA)), fmt_count(bound),
                     fmt_count(bound), fmt_ratio(_ratio(t.value(table, *AREA), bound)), "1.00x"])
    if not rows:
        return []
    return ["## Lower bound", "",
            "The bare truth table of the element product (every output for every code pair) after "
            "heavy ABC optimisation (`&deepsyn -T 20`, `dch -f`, area mapping `map -a` to the CMOS "
            "gates; `lower_bound.ys`) is the reference: the smallest circuit these tools find with no "
            "architecture imposed. It is an estimate, not a proof of minimality: when a structured "
            "variant after the same heavy optimisation comes out smaller (heavy / bound below 1), "
            "ABC could not rediscover that structure from the flat table, and the smallest heavy "
            "result of the row group is the better estimate of the minimum. Each variant is shown "
            "after the default flow and after the heavy optimisation (CMOS logic transistors).", "",
            *markdown_table(["weights", "variant", "default flow", "heavy ABC",
                             "truth table, heavy", "default / bound", "heavy / bound"], rows), ""]


def _config_label(params):
    stage = params.get("final_stage", "parallel")
    return (f"{params['weights']} {params['weight_scaling']} B{params['block']} "
            f"{params['multiplier']} {params['lut_storage']} ecc={params['ecc']}"
            + ("" if stage == "parallel" else f" {stage}"))


def _matching(t, params, **changes):
    """The MAC design whose parameters are ``params`` with ``changes``, or None."""
    want = dict(params, **changes)
    return next((n for n, p in t.of_kind("mac") if p == want), None)


def _mac_section(t):
    macs = t.of_kind("mac")
    if not macs:
        return ["## MAC configurations", "",
                "No MAC designs: build/verilog/manifest.json was missing (run `make verilog`).", ""]
    rows, ratio_rows, ecc_rows = [], [], []
    for name, params in macs:
        rows.append([f"`{name}`", *[fmt_count(t.value(name, tg, m)) for tg, m, _ in MAC_COLUMNS]])
        if params["multiplier"] == "lut":
            lut_total = _mac_total(t, name)
            ratios = []
            for other in ("mul", "fulllut"):
                o = _matching(t, params, multiplier=other)
                ratios.append(fmt_ratio(_ratio(_mac_total(t, o), lut_total)) if o else "-")
                ratios.append(fmt_ratio(_ratio(t.value(o, "xilinx", "lut"),
                                                t.value(name, "xilinx", "lut"))) if o else "-")
            if any(r != "-" for r in ratios):
                ratio_rows.append([_config_label(params).replace(" lut ", " "), *ratios])
        if EccMode.parse(params["ecc"]).enabled:
            base = _matching(t, params, ecc="none")
            if base:
                ecc_rows.append([f"`{name}`", f"`{base}`",
                                 fmt_ratio(_ratio(_mac_total(t, name), _mac_total(t, base))),
                                 fmt_ratio(_ratio(t.value(name, "xilinx", "lut"),
                                                   t.value(base, "xilinx", "lut")))])
    lines = ["## MAC configurations", "",
             "Each design of build/verilog/manifest.json (full `NvlutMac`, B lanes sharing one "
             "table). CMOS transistors are split into logic, flip-flops (pipeline and state) and "
             "table storage (the writable table's bits, one flip-flop each; a constant table is "
             "logic).", ""]
    lines += markdown_table(["design", *[c for _, _, c in MAC_COLUMNS]], rows)
    lines += ["", "### Ratios against the `lut` MAC with the same other parameters", "",
              "CMOS = all transistors (logic + flip-flops + table); LUT = 7-series LUTs (DSP48E1 "
              "inferred; the DSP counts are in the table above).", ""]
    lines += markdown_table(["configuration", "mul/lut CMOS", "mul/lut LUT", "fulllut/lut CMOS",
                        "fulllut/lut LUT"], ratio_rows) if ratio_rows else ["(no pairs)"]
    lines += ["", "### ECC overheads", ""]
    if ecc_rows:
        lines += markdown_table(["design", "without ECC", "CMOS ratio", "LUT ratio"], ecc_rows)
    else:
        lines.append("No ECC configuration in the manifest yet: nothing to compare.")
    lines.append("")
    return lines


def _mac_total(t, name):
    parts = [t.value(name, "cmos", m) for m in
             ("transistors_logic", "transistors_ff", "transistors_table")]
    return None if name is None or None in parts else sum(parts)


def _equivalence_section(equivalences):
    if not equivalences:
        return []
    rows = [[f"`{e['gold']}`", f"`{e['gate']}`",
             "proved equal" if e["equivalent"] else f"DIFFERENT: {e['counterexample']}"]
            for e in equivalences]
    return ["## Formal equivalence", "",
            "Yosys SAT miter (`equiv.ys`: `miter -equiv -flatten -make_outputs`, "
            "`sat -prove trigger 0`) over all inputs of the standalone element multipliers; "
            "`truth_table_*` is the case statement of `nvlut.golden.element_product`.", "",
            *markdown_table(["gold", "gate", "result"], rows), ""]


def _paper_section(t):
    lines = ["## Against the seed paper's claims", ""]
    lines += [f"- Paper: {c}." for c in PAPER_CLAIMS]
    pairs = []
    for weights in ("fp4", "fp8"):
        lut = f"mult_lut_{weights}"
        full = f"mult_fulllut_{weights}"
        mul = f"mult_mul_{weights}"
        r_full = _ratio(t.value(full, *AREA), t.value(lut, *AREA))
        r_mul = _ratio(t.value(mul, *AREA), t.value(lut, *AREA))
        if r_full is not None:
            pairs.append(f"- Ours, {weights} element multiplier, CMOS logic transistors: "
                         f"fulllut/lut = {fmt_ratio(r_full)}, mul/lut = {fmt_ratio(r_mul)}.")
    lines += pairs
    lines += ["",
              "Comparability: our `fulllut` (one full-product table per lookup) is the closest to a "
              "traditional LUT multiplier and `lut` (mantissa-product table, exponent add, shift) to "
              "the paper's reduced table; ratios above 1 mean `lut` is smaller. Our tables are "
              "constant (ROM) logic synthesized by Yosys/ABC to generic gates, not SRAM arrays laid "
              "out in a memory compiler; the paper's figures come from its own technology and table "
              "organisation, so only the direction and rough size of the ratio compare. The energy "
              "figures above are at nominal voltage only: the 26.85x / 22.85x figures depend on "
              "ECC-protected tables operated at scaled voltage, which `nvlut energy` models "
              "(build/energy/report.md); ECC area overheads are listed above.", ""]
    return lines


def missing_library_note():
    """A sentence saying that the OSU018 columns are absent and why, or ``None`` when the library
    is installed (a flow whose library is missing says so, never an absent column without a word)."""
    from nvlut.util import toolchain
    if toolchain.available("osu018"):
        return None
    return ("OSU 0.18 um library not found: the osu018 area columns are absent. Run `make tools` "
            "(unpacks Debian qflow-tech-osu018 into .tools/) or set NVLUT_OSU018.")


def markdown(records, equivalences):
    from . import report_timing as rt

    t = Table(records)
    lines = ["# nvlut synthesis report", "",
             f"Yosys: {YOSYS_VERSION}. Metrics and flows: docs/synthesis.md. Charts: "
             "multipliers.png, macs.png, pipeline.png.", ""]
    if missing_library_note():
        lines += [f"**{missing_library_note()}**", ""]
    for section in (_multiplier_section(t), _lower_bound_section(t), _equivalence_section(
            equivalences), _mac_section(t), rt.timing_section(t), rt.energy_section(t),
            rt.pnr_section(t), rt.pipeline_section(t),
            _paper_section(t)):
        lines += section
    return "\n".join(lines).rstrip() + "\n"


def records_csv(records):
    """report.csv: one row per record, one column per design parameter."""
    param_names = sorted({k for r in records for k in r["params"]})
    return csv_text(["design", "kind", *param_names, "target", "metric", "value"],
                    [[r["design"], r["kind"], *[r["params"].get(k, "") for k in param_names],
                      r["target"], r["metric"], r["value"]] for r in records])


# ---------------------------------------------------------------------------------------------
# charts

def multiplier_chart(t):
    """Bars per weight format (one panel each, linear scale): CMOS logic transistors of each
    multiplier variant and of the truth table, default flow."""
    plt = pyplot()

    designs = t.of_kind("multiplier") + t.of_kind("truth_table")
    formats = [w for w in ("fp4", "fp8", "fp16") if any(p["weights"] == w for _, p in designs)]
    fig, axes = plt.subplots(1, len(formats), figsize=(3.2 * len(formats) + 1, 4), squeeze=False)
    for ax, weights in zip(axes[0], formats):
        group = sorted([(n, p) for n, p in designs if p["weights"] == weights],
                       key=lambda x: _variant_key(x[1]))
        labels = [p["multiplier"] for _, p in group]
        values = [t.value(n, *AREA) or 0 for n, _ in group]
        bars = ax.bar(labels, values, color=[f"C{VARIANT_ORDER.index(v)}" for v in labels])
        ax.bar_label(bars, fmt="%d", fontsize=8)
        ax.set_title(f"{weights} weights")
        ax.tick_params(axis="x", labelsize=8)
    axes[0][0].set_ylabel("CMOS transistors (logic)")
    fig.suptitle("Element multiplier a(E2M1) x w: generic CMOS transistor estimate")
    fig.tight_layout()
    return fig


def mac_chart(t):
    """Stacked horizontal bars: CMOS transistors (logic, FF, table) per MAC design."""
    plt = pyplot()

    macs = t.of_kind("mac")
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(macs) + 1.5))
    labels = [_config_label(p) for _, p in macs]
    left = [0] * len(macs)
    for metric, label in (("transistors_logic", "logic"), ("transistors_ff", "flip-flops"),
                          ("transistors_table", "table storage")):
        values = [t.value(n, "cmos", metric) or 0 for n, _ in macs]
        ax.barh(range(len(macs)), values, left=left, label=label)
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(range(len(macs)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("CMOS transistors (generic gate estimate)")
    ax.set_title("NvlutMac configurations")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 / max(1, len(macs)) - 0.12), ncol=3)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# outputs

def write_reports(results, out):
    """Write every report file into ``out``; returns the paths written or found unchanged."""
    out = pathlib.Path(out)
    records, equivalences = records_from_results(results)
    t = Table(records)
    data = {"yosys": YOSYS_VERSION, "records": records, "equivalence": equivalences}
    files = {"report.json": json_text(data, sort_keys=True),
             "report.csv": records_csv(records),
             "report.md": markdown(records, equivalences)}
    charts = {"multipliers.png": multiplier_chart} if t.of_kind("multiplier") else {}
    if t.of_kind("mac"):
        charts["macs.png"] = mac_chart
    from . import report_timing
    if len(report_timing.sweep_rows(t)) > 1:       # a chart over the depths needs two
        charts["pipeline.png"] = report_timing.pipeline_chart
    for name, make in charts.items():
        fig = make(t)
        files[name] = png_bytes(fig)
    for name, content in files.items():
        write_if_changed(out / name, content)
    return [out / name for name in files]


def headline_text(data):
    """The short headline table from the contents of report.json."""
    t = Table(data["records"])
    lines = ["Synthesis headline (generic CMOS transistors, all; Xilinx 7-series LUTs with DSP48E1 "
             "inference; depth in 2-input gate levels)"]
    rows = []
    for name, params in sorted(t.of_kind("multiplier"), key=lambda x: (
            ("fp4", "fp8", "fp16").index(x[1]["weights"]), _variant_key(x[1]))):
        rows.append([f"multiplier {params['weights']} {params['multiplier']}",
                     fmt_count(t.value(name, *AREA)), fmt_count(t.value(name, "xilinx", "lut")),
                     fmt_count(t.value(name, "depth", "levels"))])
    rows = [r + ["-"] for r in rows]
    for name, params in t.of_kind("mac"):
        rows.append([f"MAC {_config_label(params)} p{params['pipeline']}",
                     fmt_count(_mac_total(t, name)), fmt_count(t.value(name, "xilinx", "lut")),
                     fmt_count(t.value(name, "depth", "levels")),
                     fmt_count(t.value(name, "sta", "fmax_mhz"))])
    header = ["design", "CMOS tr.", "7s LUT", "depth", "OSU018 Fmax MHz"]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths))))
    missing = next((r["value"] for r in data["records"] if r["metric"] == "missing"), None)
    if missing:
        lines.append(f"static timing not run: {missing}")
    proved = [e for e in data.get("equivalence", []) if e["equivalent"]]
    if data.get("equivalence"):
        lines.append(f"equivalence: {len(proved)}/{len(data['equivalence'])} multiplier pairs "
                     "proved equal")
    return "\n".join(lines)
