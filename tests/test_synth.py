"""Tests of the synthesis flow (nvlut.synth): output parsing, cache keys, the equivalence miter
catching a broken multiplier, and one quick synthesis of a small design."""

import json

import numpy as np
import pytest

from nvlut import golden
from nvlut.synth import designs, equiv, flows, stats, truth_table
from nvlut.util import cache

STAT_JSON = """{
   "creator": "Yosys 0.70",
   "invocation": "stat -json -tech cmos ",
   "modules": {
      "\\\\t": {
         "num_cells":         5,
         "num_cells_by_type": {"$_DFF_P_": 2, "$_NAND_": 2, "$scopeinfo": 1, "$mem_v2": 1},
         "estimated_num_transistors": "40+"
      }
   },
   "design": {
      "num_cells":         5,
      "num_cells_by_type": {"$_DFF_P_": 2, "$_NAND_": 2, "$scopeinfo": 1, "$mem_v2": 1},
      "estimated_num_transistors": "40+",
      "area": 12.5
   }
}"""

LTP_TEXT = """8. Executing LTP pass (find longest path).

Longest topological path in t (length=30):
    0: \\a [1]
    1: $abc$1022$new_n34 (via $abc$1022$blif$1022$1)
"""

MEMORY_DUMP = """
  attribute \\src "x"
  cell $mem_v2 \\rom
    parameter \\MEMID "\\\\rom"
    parameter \\WIDTH 4
    parameter \\SIZE 16
    parameter \\WR_PORTS 0
    connect \\RD_DATA \\x
  end
  cell $mem_v2 \\ram
    parameter \\WIDTH 8
    parameter \\SIZE 64
    parameter \\WR_PORTS 1
  end
"""


def test_parse_stat_json():
    s = stats.parse_stat_json(STAT_JSON)
    assert s.cells == {"$_DFF_P_": 2, "$_NAND_": 2, "$mem_v2": 1}  # $scopeinfo is no cell
    assert (s.transistors, s.transistors_exact, s.area, s.num_cells) == (40, False, 12.5, 5)


def test_parse_stat_json_empty_selection():
    s = stats.parse_stat_json('{"creator": "Yosys", "modules": {\n\n}\n}')
    assert (s.cells, s.transistors, s.area) == ({}, 0, 0.0)


def test_parse_ltp():
    assert stats.parse_ltp(LTP_TEXT) == 30
    with pytest.raises(ValueError, match="ltp"):
        stats.parse_ltp("something else entirely")


def test_parse_memory_bits_counts_writable_tables_only():
    assert stats.parse_memory_bits(MEMORY_DUMP) == 8 * 64


def test_target_metrics():
    x = stats.xilinx_metrics(stats.Stat({"LUT6": 3, "LUT2": 1, "INV": 2, "CARRY4": 1, "FDRE": 4,
                                         "DSP48E1": 1, "RAM64M": 2, "BUFG": 1}, 0, True, 0.0))
    assert (x["lut"], x["lut1"], x["lut6"], x["carry4"], x["ff"], x["dsp"], x["lutram"],
            x["other"]) == (6, 2, 3, 1, 4, 1, 2, 1)
    i = stats.ice40_metrics(stats.Stat({"SB_LUT4": 7, "SB_CARRY": 2, "SB_DFFE": 3,
                                        "SB_RAM40_4K": 1}, 0, True, 0.0))
    assert (i["lut4"], i["carry"], i["ff"], i["bram"], i["other"]) == (7, 2, 3, 1, 0)
    # 10 flip-flops of 16 transistors, 4 of them table bits
    c = stats.cmos_metrics(stats.Stat({"$_DFF_P_": 10, "$_NAND_": 5}, 180, True, 0.0),
                           stats.Stat({"$_DFF_P_": 10}, 160, True, 0.0), table_bits=4)
    assert c == {"transistors_logic": 20, "transistors_ff": 96, "transistors_table": 64,
                 "gates": 5, "ff": 6, "table_bits": 4}


def test_cache_key_changes_with_content(tmp_path):
    k = cache.cache_key("module a; endmodule", "synth", "yosys 1")
    assert k == cache.cache_key(b"module a; endmodule", "synth", "yosys 1")
    others = {cache.cache_key("module b; endmodule", "synth", "yosys 1"),
              cache.cache_key("module a; endmodule", "synth -flatten", "yosys 1"),
              cache.cache_key("module a; endmodule", "synth", "yosys 2"),
              # the parts are length-prefixed: moving text across the boundary changes the key
              cache.cache_key("module a; endmodule", "synthyosys 1", "")}
    assert k not in others and len(others) == 4
    c = cache.Cache(tmp_path)
    assert c.get(k) is None
    c.put(k, {"targets": {"cmos": {"gates": 3}}})
    assert c.get(k) == {"targets": {"cmos": {"gates": 3}}}


def test_truth_table_matches_golden():
    out = truth_table.element_outputs("fp8")
    a, w = 0x3, 0x45  # 1.5 * (8 + 5) * 2^(8 - 1 - 9)
    p, inf, nan = golden.element_product(np.uint8(a), np.uint8(w), "fp8")
    assert out["p"][a, w] == p and out["nan"][a, w] == nan and out["inf"][a, w] == (inf != 0)
    assert out["nan"][:, 0x7F].all() and out["nan"][:, 0xFF].all()
    with pytest.raises(ValueError, match="weights"):
        truth_table.element_outputs("fp16")
    with pytest.raises(ValueError, match="p_width"):
        truth_table.truth_table_verilog("fp4", "t", p_width=8)


def _broken_fp4():
    """The fp4 truth table with one product bit flipped: a=0x5 (3.0) times w=0x3 (1.5)."""
    out = truth_table.element_outputs("fp4")
    out["p"] = out["p"].copy()
    out["p"][0x5, 0x3] ^= 0x10
    return out


def test_miter_proves_variants_and_catches_broken_table(tmp_path):
    width = designs.product_width("fp4")
    lut = designs.multiplier_verilog("fp4", "lut", "gate")
    good = truth_table.truth_table_verilog("fp4", "gold", width)
    bad = truth_table.truth_table_verilog("fp4", "gold", width, outputs=_broken_fp4())
    proved = equiv.check("table", good, "lut", lut, tmp_path / "good")
    assert proved.equivalent and proved.counterexample == {}
    caught = equiv.check("broken", bad, "lut", lut, tmp_path / "bad")
    assert not caught.equivalent
    cex = caught.counterexample
    assert (cex["in_a"], cex["in_w"], cex["trigger"]) == (0x5, 0x3, 1)
    assert cex["gate_p"] == truth_table.element_outputs("fp4")["p"][0x5, 0x3]
    assert cex["gold_p"] != cex["gate_p"]


def test_quick_synthesis_of_multiplier(tmp_path):
    verilog = designs.multiplier_verilog("fp4", "mul", "mult_mul_fp4").encode()
    store = cache.Cache(tmp_path / "cache")
    r = flows.run_flow(flows.FLOWS["gates"], verilog, tmp_path / "work", store)
    cmos, depth = r["targets"]["cmos"], r["targets"]["depth"]
    assert not r["cached"]
    assert cmos["transistors_logic"] > 100 and cmos["gates"] > 20
    assert cmos["ff"] == 0 and cmos["transistors_ff"] == 0 and cmos["table_bits"] == 0
    # a 4-bit x 4-bit significand product and a shift cannot be shallower than a few gates
    assert 4 <= depth["levels"] < cmos["gates"]
    if flows.OSU018_LIBERTY is not None:
        assert r["targets"]["osu018"]["area_logic"] > 0
    again = flows.run_flow(flows.FLOWS["gates"], verilog, tmp_path / "work", store)
    assert again["cached"] and again["targets"] == json.loads(json.dumps(r["targets"]))


def _fake_results():
    """Results of the shape flows.run_flow returns, for two multipliers and two MACs."""
    def mac(multiplier):
        params = {"weights": "fp4", "weight_scaling": "block", "block": 16,
                  "multiplier": multiplier, "lut_storage": "rom", "ecc": "none",
                  "max_blocks": 256, "pipeline": 1, "fault_port": False}
        return designs.Design(f"mac_{multiplier}", "mac", params, "")
    out = []
    for design, transistors in ((designs.Design("mult_lut_fp4", "multiplier",
                                                {"weights": "fp4", "multiplier": "lut"}, ""), 400),
                                (designs.Design("mult_fulllut_fp4", "multiplier",
                                                {"weights": "fp4", "multiplier": "fulllut"}, ""),
                                 800),
                                (mac("lut"), 1000), (mac("mul"), 1500)):
        out.append({"design": design, "flow": "gates", "cached": False, "seconds": 1.0,
                    "targets": {"cmos": {"transistors_logic": transistors, "transistors_ff": 32,
                                         "transistors_table": 0, "gates": transistors // 6,
                                         "ff": 2, "table_bits": 0},
                                "depth": {"levels": 12}}})
    out.append({"equivalence": {"gold": "lut_fp4", "gate": "fulllut_fp4", "equivalent": True,
                                "counterexample": {}, "seconds": 0.1, "cached": False}})
    return out


def test_reports(tmp_path, capsys):
    from nvlut.synth import flow, report

    paths = report.write_reports(_fake_results(), tmp_path)
    assert {p.name for p in paths} == {"report.json", "report.csv", "report.md",
                                       "multipliers.png", "macs.png"}
    data = json.loads((tmp_path / "report.json").read_text())
    assert len(data["records"]) == 4 * 7 and data["equivalence"][0]["equivalent"]
    md = (tmp_path / "report.md").read_text()
    assert "| fulllut | 800 |" in md and "2.00x" in md  # fulllut / lut
    assert "1.48x" in md  # mul / lut MAC: (1500 + 32) / (1000 + 32)
    before = {p.name: p.read_bytes() for p in paths}
    report.write_reports(_fake_results(), tmp_path)
    assert before == {p.name: p.read_bytes() for p in paths}
    flow.headline_table(tmp_path)
    text = capsys.readouterr().out
    assert "multiplier fp4 fulllut" in text and "1/1 multiplier pairs proved" in text


def test_fpga_flows_use_fast_lut_mapping():
    """ice40, xilinx and xilinx_nodsp set abc9's script to the one of lutmap.ys (no &mfs, which
    took minutes per MAC), before synth_ice40 / synth_xilinx; the gates flow does not use it."""
    for name in ("ice40", "xilinx", "xilinx_nodsp"):
        lines = [line for line in flows.FLOWS[name].script_text().splitlines()
                 if line and not line.startswith("#")]
        setting = [i for i, line in enumerate(lines) if line.startswith("scratchpad -set abc9.script")]
        synth = [i for i, line in enumerate(lines) if line.startswith("synth_")]
        assert len(setting) == 1 and len(synth) == 1 and setting[0] < synth[0]
        assert "&if" in lines[setting[0]] and "&mfs" not in lines[setting[0]]
    assert "abc9.script" not in flows.FLOWS["gates"].script_text()
