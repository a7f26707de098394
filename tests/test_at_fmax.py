"""Energy per MAC and power at Fmax in the synthesis report (``nvlut.synth.at_fmax``,
``nvlut.energy.at_clock``): the synth figure of a small design is the one ``nvlut.energy``
computes, leakage power is the Liberty leakage of its cells (read here from the Liberty text), the
at-clock formula holds, the report shows the columns, and a design not measured says why."""

import dataclasses
import re

import pytest

from nvlut.gen.cli import main
from nvlut.spec.params import MacParams
from nvlut.util import toolchain

needs_tools = pytest.mark.skipif(
    not (toolchain.available("osu018") and toolchain.available("icarus")),
    reason="needs the OSU018 library and Icarus (make tools)")

SMALL = MacParams(block=4, max_blocks=4)


def _design(params, kind="mac"):
    from nvlut.synth.designs import Design
    from nvlut.verif.design import design_for

    return Design(params.name, kind, params.as_dict(), design_for(params).verilog)


def _sta(design, fmax_mhz):
    """A timing result of the synth flow for ``design`` at ``fmax_mhz`` (an input of the tests)."""
    return {"design": design, "flow": "sta", "cached": True, "seconds": 0,
            "targets": {"sta": {"fmax_mhz": fmax_mhz, "critical_ns": round(1000 / fmax_mhz, 3),
                                "gmacs": design.params["block"] * fmax_mhz / 1000}}}


def _liberty_leakage_w(netlist):
    """Sum of ``cell_leakage_power`` of the netlist's cells, read from the Liberty text here."""
    text = toolchain.osu018_liberty().read_text()
    assert re.search(r'leakage_power_unit : "1nW"', text)
    leak = {name: float(v) for name, v in re.findall(
        r"^cell \((\w+)\) \{.*?cell_leakage_power : ([-\d.eE+]+);", text, re.S | re.M)}
    return sum(leak[cell] for cell in netlist.cells.values()) * 1e-9


def _energy_section(md):
    return md.split("## Energy per MAC and power at Fmax")[1].split("\n## ")[0]


def test_at_clock_from_the_kinds():
    """split() and at_clock() against the formula worked out here from a measurement's kinds."""
    from nvlut.energy.at_clock import at_clock, macs_per_cycle, split

    kinds = {"lanes": {"switching": 3.0, "internal": 5.0, "clock": 1.0, "leakage": 0.02},
             "clock": {"switching": 2.0, "internal": 0.0, "clock": 0.0, "leakage": 0.0},
             "table": {"switching": 0.5, "internal": 0.25, "clock": 0.25, "leakage": 0.06}}
    m = {"energy_pj": kinds, "n": 10, "cycles": 41, "elements_per_dot": 16.0}
    dynamic, leak_w = split(m, 10.0)
    assert dynamic == pytest.approx((3 + 5 + 1 + 2 + 0.5 + 0.25 + 0.25) / 16.0)
    # 0.08 pJ per dot product over 10 dot products in 41 cycles of 10 ns
    assert leak_w == pytest.approx(0.08e-12 * 10 / (41 * 10e-9))
    # 10 dot products of 16 elements in 41 cycles: 160 / 41 MACs per cycle, not B
    assert macs_per_cycle(m) == pytest.approx(160 / 41)
    rate, f_mhz = 160 / 41, 50.0
    r = at_clock(dynamic, leak_w, rate, f_mhz)
    cycle_s = 1 / (f_mhz * 1e6)
    e_mac = dynamic + leak_w * cycle_s / rate * 1e12
    assert r["pj_per_mac"] == pytest.approx(e_mac, rel=1e-12)
    assert r["leakage_pj_per_mac"] == pytest.approx(e_mac - dynamic, rel=1e-9)
    assert r["power_mw"] == pytest.approx(e_mac * 1e-12 * rate * f_mhz * 1e6 * 1e3, rel=1e-12)
    assert r["power_mw"] == pytest.approx(dynamic * 1e-12 * rate * f_mhz * 1e9
                                          + leak_w * 1e3, rel=1e-12)
    with pytest.raises(ValueError, match="clock_mhz"):
        at_clock(dynamic, leak_w, rate, 0.0)


@needs_tools
@pytest.mark.sim
def test_synth_energy_is_nvlut_energys_figure(tmp_path):
    """The energy task of ``nvlut synth`` on a B=4 design gives nvlut.energy's figure; its
    leakage is the Liberty sum; the report's at-Fmax values follow from them."""
    import nvlut.energy
    from nvlut.synth import flow, report
    from nvlut.verif.design import design_for
    from nvlut.verif.gate import netlist_of

    design = _design(SMALL)
    cache = tmp_path / "energy-cache"
    (task,) = flow._energy_tasks([design], tmp_path, None, quick=False, cache_dir=cache)
    result = task.run()
    e = result["targets"]["energy"]
    again = task.run()      # from the energy cache, no second simulation
    assert not result["cached"] and again["cached"] and again["targets"] == result["targets"]
    assert e["workload"] == "random" and e["voltage_v"] == 1.8
    netlist = netlist_of(design_for(SMALL))
    assert e["cells"] == len(netlist.cells)
    leak_w = _liberty_leakage_w(netlist)
    assert e["leakage_mw"] == pytest.approx(leak_w * 1e3, rel=1e-9)

    # nvlut.energy's own figure (the energy report's: leakage charged at its stated clock over
    # the simulation window) from the same cached measurement
    workdir = tmp_path / "work" / design.name / "energy"
    m = nvlut.energy.nominal_measurement(SMALL, workdir, cache)
    direct = nvlut.energy.energy_per_mac(SMALL, 1.0, None, workdir, cache)
    window_leak_pj = leak_w * m["cycles"] * e["stated_period_ns"] * 1e-9 * 1e12 / (
        m["n"] * m["elements_per_dot"])
    assert e["dynamic_pj_per_mac"] + window_leak_pj == pytest.approx(direct, rel=1e-6)

    fmax = 43.71
    records, _ = report.records_from_results([result, _sta(design, fmax)])
    at = {r["metric"]: r["value"] for r in records if r["target"] == "energy_at_fmax"}
    # the throughput the design reached on the workload: its elements over its cycles (at most B
    # per cycle), not an assumed B
    rate = m["elements_per_dot"] * m["n"] / m["cycles"]
    assert e["macs_per_cycle"] == pytest.approx(rate, rel=1e-12) and 0 < rate <= SMALL.block
    macs_per_s = rate * fmax * 1e6
    e_mac = e["dynamic_pj_per_mac"] + leak_w / macs_per_s * 1e12
    assert at["pj_per_mac"] == pytest.approx(e_mac, rel=1e-9)
    assert at["power_mw"] == pytest.approx(e_mac * 1e-12 * macs_per_s * 1e3, rel=1e-9)
    assert at["leakage_pj_per_mac"] == pytest.approx(leak_w / macs_per_s * 1e12, rel=1e-9)
    md = _energy_section(report.markdown(records, []))
    for column in ("T MACs/cycle", "dynamic pJ/MAC", "leakage mW", "leakage pJ/MAC at Fmax", "pJ/MAC at Fmax",
                   "power at Fmax mW"):
        assert column in md
    assert "energy/assumptions.toml" in md and "1/Fmax" in md and "1.8 V" in md
    row = next(line for line in md.splitlines() if line.startswith(f"| `{design.name}`"))
    assert f"{at['power_mw']:.4g}" in row and f"{e['dynamic_pj_per_mac']:.4g}" in row


@needs_tools
def test_a_design_not_measured_says_why(tmp_path, monkeypatch):
    from nvlut.synth import at_fmax, report

    small = _design(SMALL)
    fp8 = _design(MacParams(block=4, max_blocks=4, weights="fp8", weight_scaling="tensor"))
    results = [at_fmax.task_result(small, tmp_path, max_cells=100, cache_dir=tmp_path / "c"),
               at_fmax.task_result(fp8, tmp_path, cache_dir=tmp_path / "c"),
               at_fmax.task_result(_design(dataclasses.replace(SMALL, pipeline=2), "mac_sweep"),
                                   tmp_path, quick=True)]
    reasons = [r["targets"]["energy"]["not_measured"] for r in results]
    assert re.search(r"^[\d,]+ cells > 100, .*`nvlut synth --energy-max-cells \d+`", reasons[0])
    assert reasons[1].startswith("fp8 weights")
    assert reasons[2] == at_fmax.QUICK
    monkeypatch.setenv("NVLUT_OSU018", str(tmp_path / "none"))
    missing = at_fmax.task_result(small, tmp_path, cache_dir=tmp_path / "c")
    missing = missing["targets"]["energy"]["not_measured"]
    assert "osu018" in missing
    records, _ = report.records_from_results(results + [_sta(small, 40.0)])
    assert not [r for r in records if r["target"] == "energy_at_fmax"]
    md = _energy_section(report.markdown(records, []))
    row = next(line for line in md.splitlines() if line.startswith(f"| `{small.name}`"))
    assert row.count("not measured") == 6
    for d, reason in zip((small, fp8), reasons):
        assert f"- `{d.name}`: not measured: {reason}" in md


@pytest.mark.parametrize("argv, message", [
    (["--energy-max-cells", "-1"], "energy-max-cells: -1 is not allowed"),
    (["--designs", "nope"], "designs: 'nope' is not a MAC design"),
    (["--designs", "x", "--quick"], "designs: not allowed with --quick"),
])
def test_synth_bad_input(tmp_path, capsys, argv, message):
    (tmp_path / "manifest.json").write_text('{"designs": []}')
    with pytest.raises(SystemExit) as exc:
        main(["synth", "--manifest", str(tmp_path / "manifest.json"), "--out",
              str(tmp_path / "out"), *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_designs_restricts_the_run_to_those_macs(tmp_path):
    """--designs: only the named MAC's tasks (timing, energy, its place and route), no element
    multipliers, truth tables or equivalence proofs; a sweep depth is generated only if named."""
    from nvlut.synth import flow

    depth2 = dataclasses.replace(MacParams(), pipeline=2).name
    tasks, _ = flow.collect_tasks(tmp_path / "no-manifest.json", tmp_path, quick=False,
                                  names=[depth2])
    assert sorted(t.label for t in tasks) == [f"{depth2} {x}" for x in ("energy", "ice40_hx8k",
                                                                        "sta")]
