"""``nvlut energy`` end to end on one small design (a few hundred dot products), ``nvlut sim
--level gate`` bit for bit against golden, and the command's errors for bad input."""

import numpy as np
import pytest

from nvlut.util import toolchain
from nvlut.gen.cli import main
from nvlut.spec.params import MacParams

needs_tools = pytest.mark.skipif(
    not (toolchain.available("osu018") and toolchain.available("icarus")),
    reason="needs the OSU018 library and Icarus (make tools)")

SMALL = MacParams(block=4, max_blocks=4, lut_storage="ram", ecc="msb2")


@needs_tools
@pytest.mark.sim
def test_energy_of_a_small_design(tmp_path):
    from nvlut.energy import modes, voltage, workloads
    from nvlut.energy.measure import measure

    batch = workloads.synthetic(SMALL, "random", 150, 2)
    m = measure(SMALL, batch, "random", tmp_path / "work", tmp_path / "cache", log=lambda _: None)
    e = m["energy_pj"]
    for cls in ("table bits", "table read/write logic", "ECC encoder", "ECC decoders",
                "multiplier lanes", "accumulator", "tensor scale + rounding", "clock"):
        assert cls in e, cls
    assert sum(e["table bits"].values()) > 0 and e["table bits"]["clock"] > 0
    assert sum(e["ECC decoders"].values()) > 0 and m["crossing_toggles"] > 0
    assert m["cycles"] >= batch.beats and m["unknown_toggles"] == 0
    # cached: the same result without simulating again
    again = measure(SMALL, batch, "random", tmp_path / "nowhere", tmp_path / "cache")
    assert again == m and not (tmp_path / "nowhere").exists()
    vm = voltage.VoltageModel.from_assumptions()
    nominal = sum(modes.mode_energy(m, SMALL, "nominal", 1.0, vm).values())
    ecc = modes.mode_energy(m, SMALL, "ecc", 0.6, vm)
    mixed = sum(modes.mode_energy(m, SMALL, "mixed", 0.6, vm).values())
    assert sum(ecc.values()) < mixed < nominal
    assert ecc[modes.LEVEL_SHIFTERS] > 0
    table = sum(sum(e[c].values()) for c in ("table bits", "table read/write logic"))
    saved = nominal - sum(ecc.values()) + ecc[modes.LEVEL_SHIFTERS]
    assert saved < table            # only the table domain scales


@needs_tools
@pytest.mark.sim
def test_sim_level_gate_matches_golden(tmp_path):
    from nvlut.verif import stimulus, vectors
    params = MacParams(block=4, max_blocks=4)
    batch = vectors.concat(stimulus.adversarial(params, 120, np.random.default_rng(2)))
    vectors.save_npz(tmp_path / "in.npz", batch)
    status = main(["sim", "--block", "4", "--max-blocks", "4", "--level", "gate", "--sim", "icarus",
                   "--backpressure", "both", "--vectors", str(tmp_path / "in.npz"),
                   "--out", str(tmp_path / "out.npz")])
    assert status == 0
    out = np.load(tmp_path / "out.npz")
    y, flags = vectors.reference(params, batch)
    assert np.array_equal(out["y"], y)
    for name, values in flags.items():
        assert np.array_equal(out[name], values), name


@pytest.mark.parametrize("argv, message", [
    (["--designs", "lut,foo"], "designs: 'lut' is not allowed"),
    (["--workloads", "typical"], "workloads: 'typical' is not allowed"),
    (["--v-low", "0.8"], "v_low: 0.8 V"),
    (["--v-low", "2.5"], "v_low: 2.5 V is outside"),
    (["--vectors", "0"], "vectors: 0 is not allowed"),
])
def test_energy_bad_input(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(["energy", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("text, message", [
    ("voltage_v,ber\n1.0,0\n0.5,1e-3\n", "nominal_voltage_v"),
    ("# nominal_voltage_v: 1.0\nvolt,ber\n1.0,0\n0.5,1e-3\n", "header"),
    ("# nominal_voltage_v: 1.0\nvoltage_v,ber\n1.0,0\n0.5,abc\n", "two numbers"),
    ("# nominal_voltage_v: 1.0\nvoltage_v,ber\n1.0,1e-3\n0.5,0\n", "must not rise"),
])
def test_energy_malformed_ber_csv(tmp_path, capsys, text, message):
    path = tmp_path / "ber.csv"
    path.write_text(text)
    with pytest.raises(SystemExit) as exc:
        main(["energy", "--ber", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "ber_file:" in err and message in err


def test_user_ber_csv_and_extrapolation(tmp_path):
    from nvlut.energy import voltage
    path = tmp_path / "ber.csv"
    path.write_text("# source: test\n# nominal_voltage_v: 1.0\nvoltage_v,ber\n1.0,0\n0.7,0\n"
                    "0.6,1e-6\n0.5,1e-4\n")
    t = voltage.load_ber(path)
    assert t.ber(0.8) == 0 and t.ber(0.6) == pytest.approx(1e-6) and t.ber(0.55) == pytest.approx(1e-5)
    with pytest.raises(ValueError, match="v_low"):
        t.ber(0.45)
    assert t.ber(0.45, extrapolate=True) == pytest.approx(1e-3)
    packaged = voltage.load_ber()
    assert packaged.ber(0.54) == pytest.approx(7.0e-4) and packaged.ber(0.60) == pytest.approx(1.19e-7)
    assert any("Salami" in line for line in packaged.source)


@needs_tools
@pytest.mark.sim
def test_energy_per_mac_entry_point(tmp_path):
    """The call ``nvlut explore`` makes: nominal and a scaled table voltage, cached."""
    import nvlut.energy
    from nvlut.verif.design import design_for
    verilog = design_for(SMALL).verilog
    nominal = nvlut.energy.energy_per_mac(SMALL, 1.0, verilog, tmp_path)
    scaled = nvlut.energy.energy_per_mac(SMALL, 0.57, verilog, tmp_path)
    assert 0 < scaled < nominal
    with pytest.raises(ValueError, match="table_voltage"):
        nvlut.energy.energy_per_mac(MacParams(block=4, max_blocks=4), 0.57, None, tmp_path)


def test_default_run_covers_the_seed_comparison():
    """The report's 26.85x / 22.85x rows need the writable full-product tables: the default run
    (``make energy``) must measure every design those comparisons use."""
    from nvlut.energy import designs

    assert set(designs.SEED_COMPARISON) <= set(designs.DEFAULT) <= set(designs.DESIGNS)
