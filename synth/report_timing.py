"""Timing, energy-at-Fmax, place-and-route and pipeline-depth sections of the synthesis report,
and the pipeline chart. They read the records of ``nvlut.synth.report`` (targets ``sta``,
``sta_components``, ``energy``, ``energy_at_fmax`` and one per FPGA device of
``nvlut.synth.pnr``)."""

from nvlut.util.report import fmt_count as fmt
from nvlut.util.report import fmt_sig
from nvlut.util.report import markdown_table as md_table
from nvlut.util.report import pyplot

from nvlut.cells import components, timing

from . import pnr

#: columns of the per-component tables: the cell classes of :mod:`nvlut.cells.components`
#: (``inputs`` and ``clock`` are nets, not cells)
CELL_CLASSES = tuple(c for c in components.CLASSES if c not in ("inputs", "clock"))
DEVICE_COLUMNS = {
    "ice40": (("ICESTORM_LC", "LC"), ("ICESTORM_RAM", "RAM"), ("ICESTORM_DSP", "DSP"),
              ("SB_IO", "I/O")),
    "ecp5": (("TRELLIS_COMB", "LUT4"), ("TRELLIS_FF", "FF"), ("DP16KD", "RAM"),
             ("MULT18X18D", "DSP"), ("TRELLIS_IO", "I/O")),
}


def latency(params):
    """Cycles from accepting a ``last`` beat to the result (docs/hardware.md section 3)."""
    from nvlut.hdl.iterative_scale import iterative_extra_latency
    from nvlut.spec.params import MacParams

    extra = (iterative_extra_latency(MacParams(**params))
             if params.get("final_stage") == "iterative" else 0)
    return 1 + params["pipeline"] + extra


def class_values(t, design, prefix):
    """``{component class: value}`` of the ``sta_components`` metrics ``<prefix>:<class>``."""
    return {metric.split(":", 1)[1]: value for (name, target, metric), value in t.values.items()
            if name == design and target == "sta_components" and metric.startswith(prefix + ":")}


def _timed(t, kinds=("mac", "mac_sweep")):
    return [(n, p) for k in kinds for n, p in t.of_kind(k)
            if t.value(n, "sta", "fmax_mhz") is not None]


def _missing(t):
    for (_, target, metric), value in t.values.items():
        if target == "sta" and metric == "missing":
            return value
    return None


def timing_section(t):
    missing = _missing(t)
    lines = ["## Static timing (OSU 0.18 um cells, OpenSTA)", ""]
    if missing:
        return lines + [f"**Not run: {missing}** Every Fmax, slack and per-component column of "
                        "this report is therefore absent.", ""]
    designs = _timed(t)
    if not designs:
        return lines + ["No MAC design was timed (no manifest: run `make verilog`).", ""]
    lines += [
        "Each design's Verilog is mapped to the OSU018 cells component by component "
        "(`cells/netlist.ys`: ABC on the Liberty, then high-fanout buffering and resizing), "
        "flattened and timed by OpenSTA 2.0.17 `report_checks` (`cells/timing.py`). "
        "Constraints: ideal clock on `clk`, inputs arrive at the clock edge and outputs are "
        "due at the next one (input/output delay 0: the MAC sits between flip-flops of the "
        "surrounding design, whose clock-to-Q and setup are not counted), every path group "
        "timed; cell delays from the Liberty tables at the actual slew and load, no wire load "
        "(the library has none). `critical` = clock period minus the worst slack (arrival plus "
        f"setup, or arrival at an output); Fmax = 1 / critical; slack at a stated "
        f"{timing.STATED_PERIOD_NS:g} ns ({1000 / timing.STATED_PERIOD_NS:g} MHz) clock; "
        "B x Fmax = element MACs per second (one block per cycle). Area: sum of the Liberty cell "
        "areas of this per-component netlist (a little above the flat `osu018` figures of the "
        "MAC table, which optimise across components). Energy per MAC and power at Fmax: next "
        "section.", ""]
    rows = []
    for name, p in designs:
        v = lambda m: t.value(name, "sta", m)  # noqa: E731
        rows.append([f"`{name}`", str(latency(p)), fmt(v("critical_ns")),
                     fmt(v("fmax_mhz")), fmt(v("slack_ns")),
                     f"{v('start_component')} -> {v('end_component')}",
                     fmt(v("reg2reg_critical_ns")), fmt(v("gmacs")), fmt(v("area_total_um2"))])
    lines += md_table(["design", "latency", "critical ns", "Fmax MHz",
                       f"slack @ {timing.STATED_PERIOD_NS:g} ns", "worst path (components)",
                       "reg-to-reg ns", "B x Fmax GMAC/s", "area um^2"], rows)
    lines += ["", "Worst path of each design, start and end cell (flip-flops named by the net "
              "they drive):", ""]
    lines += [f"- `{n}`: {t.value(n, 'sta', 'start')} -> {t.value(n, 'sta', 'end')} "
              f"({t.value(n, 'sta', 'cells_on_path')} cells)" for n, _ in designs]
    lines += ["", "### Where the area and the critical path go, per component", "",
              "Per design: each component class's share of the cell area, and the ns it adds "
              "to the worst path (cell delays of its cells on that path). The classes are "
              "those of the energy report (`nvlut.cells.components`).", ""]
    rows = []
    for name, _ in designs:
        area = class_values(t, name, "area_um2")
        path = class_values(t, name, "path_ns")
        total = sum(area.values()) or 1
        rows.append([f"`{name}`"] + [
            f"{100 * area.get(b, 0) / total:.0f}% / {path[b]:.1f} ns" if b in path
            else f"{100 * area.get(b, 0) / total:.0f}%" for b in CELL_CLASSES])
    lines += md_table(["design", *CELL_CLASSES], rows)
    lines.append("")
    return lines


def energy_section(t):
    """Energy per element MAC and power at Fmax of every design with an ``energy`` record (the
    timed MAC designs): measured figures, or the reason a design was not measured."""
    designs = [(n, p) for k in ("mac", "mac_sweep") for n, p in t.of_kind(k)
               if any(t.value(n, "energy", m) is not None
                      for m in ("dynamic_pj_per_mac", "not_measured"))]
    lines = ["## Energy per MAC and power at Fmax (OSU 0.18 um, gate level)", ""]
    if not designs:
        return lines + ["No MAC design in this run (no manifest: run `make verilog`).", ""]
    measured = [n for n, _ in designs if t.value(n, "energy", "dynamic_pj_per_mac") is not None]
    first = measured[0] if measured else None
    workload = (f"workload `{t.value(first, 'energy', 'workload')}` "
                f"({t.value(first, 'energy', 'dot_products')} dot products of random fp4 codes)"
                if first else "workload `random`")
    volts = f"{t.value(first, 'energy', 'voltage_v'):g} V" if first else "1.8 V"
    stated = f"{t.value(first, 'energy', 'stated_period_ns'):g} ns" if first else "10 ns"
    lines += [
        "Source: the `nvlut energy` model (`nvlut.energy`, docs/energy.md; every assumption in "
        "`energy/assumptions.toml`, printed in full by build/energy/report.md), the same cached "
        "gate-level measurement `nvlut energy` and `nvlut explore` make: each design's OSU018 "
        "netlist (`cells/netlist.ys`, the netlist timed above) simulated on Icarus with zero cell "
        f"delays on {workload}, every output checked bit for bit against `nvlut.golden`, every "
        "net's transitions priced with the Liberty tables; everything at the library's nominal "
        f"{volts} (no voltage scaling here). Dynamic = switching + internal + clock energy per "
        "element MAC (per transition, so independent of the clock in this zero-delay model); "
        "leakage = the cells' Liberty `cell_leakage_power`. At Fmax, leakage is re-evaluated "
        f"at the design's own cycle time 1/Fmax, not at the energy report's stated {stated} "
        "clock, at the throughput T the design reached on the workload (element MACs per cycle "
        "over the simulation: B for a design that takes one block per cycle, the peak B x Fmax "
        "above; fewer where it stalls, e.g. the iterative final stage on these dot products of "
        "4 blocks, shorter than its latency): pJ/MAC at Fmax = dynamic + leakage x (1/Fmax) / T, "
        "and power at Fmax = pJ/MAC at Fmax x T x Fmax = dynamic x T x Fmax + leakage. Glitches are not simulated and wires are "
        "free (no wire-load model), so the dynamic figures are lower bounds.", ""]
    rows, reasons = [], []
    for name, p in designs:
        e = lambda m: t.value(name, "energy", m)  # noqa: E731
        fmax, gmacs = t.value(name, "sta", "fmax_mhz"), t.value(name, "sta", "gmacs")
        head = [f"`{name}`", fmt(fmax) if fmax is not None else "no Fmax", fmt(gmacs)]
        if e("dynamic_pj_per_mac") is None:
            rows.append(head + ["-"] + ["not measured"] * 6)
            reasons.append(f"- `{name}`: not measured: {e('not_measured')}")
            continue
        at = lambda m: t.value(name, "energy_at_fmax", m)  # noqa: E731
        rows.append(head + [fmt(e("cells")), fmt_sig(e("macs_per_cycle"), 3),
                            fmt_sig(e("dynamic_pj_per_mac"), 4),
                            fmt_sig(e("leakage_mw"), 3)]
                    + [fmt_sig(at(m), 3 if m.startswith("leakage") else 4)
                       if at(m) is not None else "no Fmax"
                       for m in ("leakage_pj_per_mac", "pj_per_mac", "power_mw")])
    lines += md_table(["design", "Fmax MHz", "B x Fmax GMAC/s", "cells", "T MACs/cycle",
                       "dynamic pJ/MAC",
                       "leakage mW", "leakage pJ/MAC at Fmax", "pJ/MAC at Fmax",
                       "power at Fmax mW"], rows)
    lines.append("")
    if reasons:
        lines += ["Not measured:", ""] + reasons + [""]
    return lines


def _pnr_records(t):
    out = []
    for name, (kind, params) in t.designs.items():
        for device in pnr.DEVICES:
            fits = t.value(name, device, "fits")
            if fits is not None:
                out.append((name, params, device, fits))
    return out


def pnr_section(t):
    lines = ["## Place and route (nextpnr from PyPI)", "",
             f"Each design inside the serial I/O wrapper (`nvlut.hdl.serial_wrapper`: ten pins, "
             f"every boundary registered, so every path is register to register and the Fmax is "
             f"the MAC's own), Yosys `synth_ice40` / `synth_ecp5` (LUT mapping of `lutmap.ys`), "
             f"nextpnr `--freq {pnr.TARGET_MHZ} --timing-allow-fail --seed {pnr.SEED}` "
             f"({pnr.NEXTPNR_VERSION['ice40']}, {pnr.NEXTPNR_VERSION['ecp5']}); Fmax after "
             "routing as nextpnr reports it, utilization as used / available (the wrapper's "
             "shift registers included: about one logic cell per port bit). By default the "
             "reference design (iCE40 HX8K ct256 and ECP5 LFE5U-25F) and the pipeline sweep "
             "(iCE40); `nvlut synth --full` adds every MAC design (iCE40 HX8K where it fits, "
             "ECP5 LFE5U-45F). Xilinx 7-series stays synthesis-only (no open router for it): "
             "its columns in the MAC table are mapped cells before placement.", ""]
    records = _pnr_records(t)
    if not records:
        return lines + ["No place-and-route result in this run (`--quick`, or no manifest).", ""]
    rows = []
    for name, params, device, fits in sorted(records, key=lambda r: (r[2], r[0])):
        family = pnr.DEVICES[device].family
        v = lambda m: t.value(name, device, m)  # noqa: E731
        if not fits:
            rows.append([f"`{name}`", device, "does not fit: " + str(v("error")), "", ""])
            continue
        use = ", ".join(f"{label} {fmt(v(key))}/{fmt(v(key + '_avail'))}"
                        for key, label in DEVICE_COLUMNS[family] if v(key) is not None)
        rows.append([f"`{name}`", device, fmt(v("fmax_mhz")), use,
                     f"{v('start_component')} -> {v('end_component')} "
                     f"({fmt(v('critical_ns'))} ns)"])
    lines += md_table(["design", "device", "Fmax MHz", "utilization", "critical path"], rows)
    lines += ["", "Critical-path components are read from nextpnr's cell names (`?`: a LUT "
              "whose name lost its hierarchy in ABC).", ""]
    return lines


def sweep_rows(t):
    """``[(depth, name)]`` of the pipeline sweep designs present in the records."""
    from .designs import sweep_params

    out = []
    for params in sweep_params():
        name = next((n for n, (_, p) in t.designs.items() if p == params), None)
        if name is not None:
            out.append((params["pipeline"], name))
    return out


def pipeline_section(t):
    rows = sweep_rows(t)
    if not rows:
        return []
    if len(rows) == 1:
        return ["## Pipeline depth", "", "Only one depth of the reference design was timed in this "
                "run (`--quick` or `--designs`); `nvlut synth` without them times every "
                "`--pipeline` depth 0..5 and draws pipeline.png.", ""]
    lines = ["## Pipeline depth", "",
             "The reference design (fp4, B = 16, `lut`, ROM, max_blocks 256) at every "
             "`--pipeline` depth: latency (cycles from accepting the last block to the result), "
             "OSU018 Fmax and area (static timing above), iCE40 HX8K Fmax and logic cells after "
             "place and route. Register cuts: 1 before the accumulator, 2 after the tensor-scale "
             "product, 3 after the block dot product, 4 between normalization and rounding, 5 "
             "inside the tensor-scale multiplier. Chart: pipeline.png.", ""]
    table = []
    for depth, name in rows:
        table.append([str(depth), str(depth + 1), fmt(t.value(name, "sta", "fmax_mhz")),
                      fmt(t.value(name, "sta", "area_total_um2")),
                      str(t.value(name, "sta", "end_component") or "-"),
                      fmt(t.value(name, "ice40_hx8k", "fmax_mhz")),
                      fmt(t.value(name, "ice40_hx8k", "ICESTORM_LC")),
                      str(t.value(name, "ice40_hx8k", "end_component") or "-")])
    lines += md_table(["pipeline", "latency", "OSU018 Fmax MHz", "OSU018 area um^2",
                       "OSU018 worst path ends in", "iCE40 Fmax MHz", "iCE40 LCs",
                       "iCE40 worst path ends in"], table)
    lines.append("")
    for target, label in (("sta", "OSU018"), ("ice40_hx8k", "iCE40 HX8K")):
        fmax = [(d, t.value(n, target, "fmax_mhz")) for d, n in rows]
        fmax = [(d, f) for d, f in fmax if f is not None]
        if not fmax:
            continue
        meets = [d for d, f in fmax if f >= 100]
        best = max(fmax, key=lambda x: x[1])
        lines.append(f"- {label}: " + (f"the shallowest depth reaching 100 MHz is {meets[0]}."
                                       if meets else
                                       f"no depth reaches 100 MHz; the best is {best[1]:.1f} MHz "
                                       f"at depth {best[0]}."))
    lines.append("")
    return lines


def pipeline_chart(t):
    """Three panels over the pipeline depth: Fmax (OSU018, iCE40), area (OSU018 um^2, iCE40
    logic cells), latency."""
    plt = pyplot()
    rows = sweep_rows(t)
    depths = [d for d, _ in rows]

    def series(target, metric):
        pts = [(d, t.value(n, target, metric)) for d, n in rows]
        return [d for d, v in pts if v is not None], [v for _, v in pts if v is not None]

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for target, label, marker in (("sta", "OSU018 (OpenSTA)", "o"),
                                  ("ice40_hx8k", "iCE40 HX8K (nextpnr)", "s")):
        axes[0].plot(*series(target, "fmax_mhz"), marker=marker, label=label)
    axes[0].axhline(100, color="grey", linestyle=":", linewidth=1)
    axes[0].set_ylabel("Fmax (MHz)")
    axes[0].legend(fontsize=8)
    axes[1].plot(*series("sta", "area_total_um2"), marker="o", color="C0", label="OSU018 um^2")
    axes[1].set_ylabel("OSU018 area (um^2)")
    twin = axes[1].twinx()
    twin.plot(*series("ice40_hx8k", "ICESTORM_LC"), marker="s", color="C1", label="iCE40 LCs")
    twin.set_ylabel("iCE40 logic cells (with wrapper)")
    axes[1].legend(loc="upper left", fontsize=8)
    twin.legend(loc="lower right", fontsize=8)
    axes[2].plot(depths, [d + 1 for d in depths], marker="o", color="C2")
    axes[2].set_ylabel("latency (cycles)")
    for ax in axes:
        ax.set_xlabel("--pipeline")
        ax.set_xticks(depths)
    fig.suptitle("Reference MAC (fp4, B=16, lut): clock, area and latency vs pipeline depth")
    fig.tight_layout()
    return fig
