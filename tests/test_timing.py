"""Static timing (nvlut.cells.timing): one path timed by OpenSTA is recomputed by hand from the
OSU018 Liberty tables (bilinear interpolation, as the Liberty table model defines it), the parser is
checked on a report excerpt, and the per-component attribution on a mapped design."""

import numpy as np
import pytest

from nvlut.util import toolchain
from nvlut.cells import netlist as netlist_mod
from nvlut.cells import timing

needs_sta = pytest.mark.skipif(not (toolchain.available("osu018") and toolchain.available("opensta")),
                               reason="OSU018 Liberty or OpenSTA missing (run `make tools`)")
needs_osu018 = pytest.mark.skipif(not toolchain.available("osu018"),
                                  reason="OSU018 Liberty missing (run `make tools`)")

# r0 -> INVX1 u1 -> NAND2X1 u2 (B from port b) -> D of r1, r2, r3 (fanout 3)
HAND_NETLIST = """module hand (clk, b, d, q1, q2, q3);
  input clk; input b; input d; output q1; output q2; output q3;
  wire n0; wire n1; wire n2;
  DFFPOSX1 r0 (.CLK(clk), .D(d), .Q(n0));
  INVX1 u1 (.A(n0), .Y(n1));
  NAND2X1 u2 (.A(n1), .B(b), .Y(n2));
  DFFPOSX1 r1 (.CLK(clk), .D(n2), .Q(q1));
  DFFPOSX1 r2 (.CLK(clk), .D(n2), .Q(q2));
  DFFPOSX1 r3 (.CLK(clk), .D(n2), .Q(q3));
endmodule
"""


class Lib:
    """Just enough of the Liberty file, read with liberty-parser, for the hand computation."""

    def __init__(self):
        from liberty.parser import parse_liberty
        self.lib = parse_liberty(toolchain.osu018_liberty().read_text())

    def cell(self, name):
        return next(c for c in self.lib.get_groups("cell") if str(c.args[0]).strip('"') == name)

    def pin(self, cell, pin):
        return next(p for p in self.cell(cell).get_groups("pin") if str(p.args[0]).strip('"') == pin)

    def cap(self, cell, pin, edge):
        return float(self.pin(cell, pin)[f"{edge}_capacitance"])

    def arc(self, cell, out_pin, related, kind=None):
        for t in self.pin(cell, out_pin).get_groups("timing"):
            if str(t["related_pin"]).strip('"') == related and (
                    kind is None or str(t["timing_type"]).strip('"') == kind):
                return t
        raise KeyError((cell, out_pin, related, kind))


def lookup(group, x1, x2):
    """Bilinear interpolation (linear extrapolation outside) of a 2-D Liberty table at
    (index_1 = x1, index_2 = x2)."""
    i1 = group.get_array("index_1")[0]
    i2 = group.get_array("index_2")[0]
    v = group.get_array("values")

    def bracket(index, x):
        k = int(np.clip(np.searchsorted(index, x) - 1, 0, len(index) - 2))
        return k, (x - index[k]) / (index[k + 1] - index[k])
    a, fa = bracket(i1, x1)
    b, fb = bracket(i2, x2)
    return ((1 - fa) * (1 - fb) * v[a, b] + fa * (1 - fb) * v[a + 1, b]
            + (1 - fa) * fb * v[a, b + 1] + fa * fb * v[a + 1, b + 1])


def hand_reg2reg(lib):
    """Worst r0 -> r{1,2,3} path: clock-to-Q, two inverting cells, setup; both edges at Q."""
    worst = 0.0
    flip = {"rise": "fall", "fall": "rise"}
    for q_edge in ("rise", "fall"):
        # r0 clock to Q: table (load, clock slew 0); load = INVX1 A
        clk_q = lib.arc("DFFPOSX1", "Q", "CLK")
        load = lib.cap("INVX1", "A", q_edge)
        t = lookup(clk_q.get_group(f"cell_{q_edge}"), load, 0.0)
        slew = lookup(clk_q.get_group(f"{q_edge}_transition"), load, 0.0)
        edge = q_edge
        for cell, pin, load in (("INVX1", "A", None), ("NAND2X1", "A", None)):
            edge = flip[edge]  # both cells are negative unate
            if cell == "INVX1":
                load = lib.cap("NAND2X1", "A", edge)
                arc = lib.arc("INVX1", "Y", "A")
            else:
                load = 3 * lib.cap("DFFPOSX1", "D", edge)
                arc = lib.arc("NAND2X1", "Y", "A")
            t += lookup(arc.get_group(f"cell_{edge}"), load, slew)
            slew = lookup(arc.get_group(f"{edge}_transition"), load, slew)
        setup = lookup(lib.arc("DFFPOSX1", "D", "CLK", "setup_rising").get_group(
            f"{edge}_constraint"), 0.0, slew)
        worst = max(worst, t + setup)
    return worst


@needs_sta
def test_register_path_matches_liberty_tables_by_hand(tmp_path):
    nl = netlist_mod.GateNetlist(HAND_NETLIST, "hand", {
        "r0": "DFFPOSX1", "u1": "INVX1", "u2": "NAND2X1", "r1": "DFFPOSX1", "r2": "DFFPOSX1",
        "r3": "DFFPOSX1"})
    r = timing.analyze(nl, tmp_path, period=5.0)
    expected = hand_reg2reg(Lib())
    assert 0.3 < expected < 2.0
    assert r["reg2reg"]["critical_ns"] == pytest.approx(expected, abs=0.002)
    # the worst of all paths is this one: port b reaches the NAND later than r0's output never does
    assert r["critical_ns"] == pytest.approx(expected, abs=0.002)
    assert r["slack_ns"] == pytest.approx(5.0 - expected, abs=0.002)
    assert r["fmax_mhz"] == pytest.approx(1000 / expected, rel=5e-3)  # critical_ns is rounded to 1 ps
    assert r["start"].startswith("top/r0") and r["end"].startswith("top/r")
    assert set(r["path_ns"]) == {"stream/pipeline registers + glue"}
    assert r["area_total_um2"] == 4 * 96 + 16 + 24  # DFFPOSX1, INVX1, NAND2X1 areas


REPORT = """Startpoint: accumulator__g1 (rising edge-triggered flip-flop clocked by clk)
Endpoint: o__payload[3] (output port clocked by clk)
Path Group: clk
Path Type: max

   Delay     Time   Description
-----------------------------------------------------------
   0.000    0.000   clock clk (rise edge)
   0.000    0.000   clock network delay (ideal)
   0.000    0.000 ^ accumulator__g1/CLK (DFFPOSX1)
   0.250    0.250 v accumulator__g1/Q (DFFPOSX1)
   1.500    1.750 ^ tensor_scale__g2/Y (INVX1)
   0.000    1.750 ^ o__payload[3] (out)
           1.750   data arrival time

  10.000   10.000   clock clk (rise edge)
   0.000   10.000   output external delay
           10.000   data required time
-----------------------------------------------------------
          10.000   data required time
          -1.750   data arrival time
-----------------------------------------------------------
           8.250   slack (MET)
"""


@needs_osu018
def test_parse_paths_and_components():
    (path,) = timing.parse_paths(REPORT)
    assert (path.startpoint, path.endpoint, path.arrival, path.slack) == (
        "accumulator__g1", "o__payload[3]", 1.75, 8.25)
    assert [s.pin for s in path.steps] == [
        "accumulator__g1/CLK", "accumulator__g1/Q", "tensor_scale__g2/Y", "o__payload[3]"]
    nl = netlist_mod.GateNetlist("", "t", {"accumulator__g1": "DFFPOSX1", "tensor_scale__g2": "INVX1"})
    assert timing.path_components(nl, path) == {"accumulator": 0.25, "tensor scale + rounding": 1.5}
    assert timing.point_component(nl, "o__payload[3]") == "port"
    assert timing.point_component(nl, "accumulator__g1/CLK") == "accumulator"


NEXTPNR_REPORT = {
    "fmax": {"clk$SB_IO_IN_$glb_clk": {"achieved": 36.4245, "constraint": 100}},
    "utilization": {"ICESTORM_LC": {"available": 7680, "used": 6617},
                    "ICESTORM_RAM": {"available": 32, "used": 0}},
    "critical_paths": [{"from": "posedge clk", "to": "posedge clk", "path": [
        {"delay": 0.54, "type": "clk-to-q",
         "from": {"cell": "core.normalized_SB_DFFESR_Q_9_D_SB_LUT4_O_LC", "port": "O"},
         "to": {"cell": "core.normalized_SB_DFFESR_Q_9_D_SB_LUT4_O_LC", "port": "O"}},
        {"delay": 2.5, "type": "logic",
         "from": {"cell": "$nextpnr_ICESTORM_LC_8", "port": "I1"},
         "to": {"cell": "core.block_dot.lane3.x_LC", "port": "O"}},
        {"delay": 1.0, "type": "routing",
         "from": {"cell": "core.block_dot.lane3.x_LC", "port": "O"},
         "to": {"cell": "sout_SB_DFFESR_Q_D_SB_LUT4_O_LC", "port": "I0"}}]}],
}


def test_nextpnr_report():
    from nvlut.synth import pnr
    m = pnr.parse_report(NEXTPNR_REPORT)
    assert m["fmax_mhz"] == 36.42 and m["target_mhz"] == 100
    assert (m["ICESTORM_LC"], m["ICESTORM_LC_avail"]) == (6617, 7680)
    assert "ICESTORM_RAM" not in m  # unused resources are left out
    assert (m["start_component"], m["end_component"], m["critical_ns"]) == ("top", "wrapper", 4.04)
    assert pnr.component_of("core.block_dot.lane3.x_LC") == "block_dot__laneN"
    assert pnr.component_of("$abc$123$lut") == "?"
    assert pnr.component_of("core.result$52.normalize.mag_SB_DFFESR_Q") == "result__normalize"


def _records(**sta):
    from nvlut.spec.params import MacParams
    out = []
    for depth, fmax in ((1, 41.1), (5, 104.2)):
        p = MacParams(pipeline=depth)
        metrics = {"sta": {"fmax_mhz": fmax, "critical_ns": round(1000 / fmax, 3),
                           "slack_ns": 0.4, "start_component": "accumulator",
                           "end_component": "port", "gmacs": 16 * fmax / 1000,
                           "area_total_um2": 100.0, **sta},
                   "sta_components": {"area_um2:tensor scale + rounding": 60.0,
                                      "area_um2:stream/pipeline registers + glue": 40.0,
                                      "path_ns:tensor scale + rounding": 9.0},
                   "ice40_hx8k": {"fits": 1, "fmax_mhz": 14.67 * depth, "ICESTORM_LC": 7000,
                                  "ICESTORM_LC_avail": 7680, "start_component": "accumulator",
                                  "end_component": "wrapper", "critical_ns": 68.2}}
        for target, values in metrics.items():
            out += [{"design": p.name, "kind": "mac", "params": p.as_dict(), "target": target,
                     "metric": k, "value": v} for k, v in values.items()]
    return out


def test_report_sections():
    from nvlut.spec.params import MacParams
    from nvlut.synth import report
    md = report.markdown(_records(), [])
    assert "| `fp4_block_b16_lut_rom_none_mb256_p5` | 6 | 9.60 | 104 |" in md
    from nvlut.synth.report_timing import latency
    # 1 + pipeline 1 + the iterative unit: latch 1, multiply 24, normalize 13 (79-bit product, a
    # normal m_t >= 2^23: at most 55 = 6 * 8 + 7 shifts)
    assert latency(MacParams(final_stage="iterative").as_dict()) == 40
    assert "60% / 9.0 ns" in md  # the final stage's area share and path delay
    assert "OSU018: the shallowest depth reaching 100 MHz is 5." in md
    assert "iCE40 HX8K: no depth reaches 100 MHz; the best is 73.3 MHz at depth 5." in md
    assert "LC 7,000/7,680" in md and "synthesis-only" in md


def test_report_says_when_timing_tools_are_missing():
    from nvlut.synth import report
    from nvlut.spec.params import MacParams
    p = MacParams()
    rec = [{"design": p.name, "kind": "mac", "params": p.as_dict(), "target": "sta",
            "metric": "missing", "value": "OpenSTA: no 'sta' executable found"}]
    md = report.markdown(rec, [])
    assert "**Not run: OpenSTA: no 'sta' executable found**" in md
    assert "static timing not run: OpenSTA" in report.headline_text({"records": rec})


def test_missing_opensta_is_named(monkeypatch, tmp_path):
    from nvlut.synth import designs, flow
    monkeypatch.setenv("NVLUT_STA", str(tmp_path / "no-sta"))
    assert "OpenSTA" in timing.missing_tools()
    design = designs.Design("d", "mac", {"block": 16}, "module d; endmodule\n")
    (task,) = flow._timing_tasks([design], tmp_path, None)
    assert "OpenSTA" in task.run()["targets"]["sta"]["missing"]


def test_default_place_and_route_plan():
    """By default: every pipeline depth of the reference design on the iCE40, the reference design
    and its iterative final stage also on the ECP5; --full adds every MAC design."""
    from nvlut.spec.params import PIPELINE_RANGE, MacParams
    from nvlut.synth import designs, flow

    def design(params, kind="mac"):
        return designs.Design(params.name, kind, params.as_dict(), "")
    macs = [design(MacParams()), design(MacParams(pipeline=5)), design(MacParams(block=8)),
            design(MacParams(final_stage="iterative"))]
    sweep = [design(MacParams(pipeline=p), "mac_sweep") for p in range(PIPELINE_RANGE[1])
             if p not in (1, 5)]
    plan = {(d.name, dev) for d, dev in flow._pnr_plan(macs, sweep, full=False)}
    assert {n for n, dev in plan if dev == "ice40_hx8k"} == {
        MacParams(pipeline=p).name for p in range(PIPELINE_RANGE[1] + 1)} | {macs[3].name}
    assert {n for n, dev in plan if dev != "ice40_hx8k"} == {macs[0].name, macs[3].name}
    full = {(d.name, dev) for d, dev in flow._pnr_plan(macs, sweep, full=True)}
    assert (macs[2].name, "ecp5_45f") in full and (macs[2].name, "ice40_hx8k") in full
