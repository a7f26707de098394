"""``nvlut sim`` end to end: in.npz (with per-dot-product block counts) -> out.npz, bit for bit
against the golden model (with injected faults: against the golden fault model), and its errors
for bad input files. Waveforms are tested on Icarus, which dumps them without a rebuild (a
Verilator trace build takes about a minute)."""

import numpy as np
import pytest

from nvlut.gen.cli import main
from nvlut.spec.params import MacParams
from nvlut.verif import harness, stimulus, vectors

PARAMS = MacParams(weights="fp8", weight_scaling="tensor", multiplier="mul")
DESIGN_ARGS = ["--weights", "fp8", "--weight-scaling", "tensor", "--multiplier", "mul"]


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_sim_command_matches_golden(tmp_path, sim):
    rng = np.random.default_rng(9)
    batch = vectors.concat(stimulus.adversarial(PARAMS, 60 if sim == "icarus" else 1000, rng))
    assert len(set(batch.nb.tolist())) > 3
    vectors.save_npz(tmp_path / "in.npz", batch)
    waves = ["--waves", str(tmp_path / "w.dump")] if sim == "icarus" else []
    status = main(["sim", *DESIGN_ARGS, "--sim", sim, "--backpressure", "both",
                   "--vectors", str(tmp_path / "in.npz"), "--out", str(tmp_path / "out.npz"),
                   *waves])
    assert status == 0
    out = np.load(tmp_path / "out.npz")
    y_ref, flags_ref = vectors.reference(PARAMS, batch)
    assert out["y"].dtype == np.uint32 and np.array_equal(out["y"], y_ref)
    for name, values in flags_ref.items():
        assert np.array_equal(out[name], values), name
    assert not out["ecc_corrected"].any() and not out["ecc_uncorrectable"].any()
    if waves:
        assert (tmp_path / "w.dump").stat().st_size > 0


FAULT_PARAMS = MacParams(lut_storage="ram", ecc="secded", fault_port=True)
FAULT_ARGS = ["--lut-storage", "ram", "--ecc", "secded"]


@pytest.mark.sim
def test_sim_command_applies_faults(tmp_path):
    """``--faults``: the flips go into the stored words through the fault port; the outputs follow
    ``nvlut.golden.faults`` (a corrected and an uncorrectable word) and differ from fault-free."""
    rng = np.random.default_rng(4)
    batch = vectors.concat(stimulus.adversarial(FAULT_PARAMS, 40, rng, kinds=("typical",)))
    vectors.save_npz(tmp_path / "in.npz", batch)
    fault_map = stimulus.fault_map(FAULT_PARAMS, "double", rng)
    (tmp_path / "f.txt").write_text(harness.fault_lines(
        [(int(a), int(fault_map[a])) for a in np.flatnonzero(fault_map)]))
    status = main(["sim", *FAULT_ARGS, "--fault-port", "--faults", str(tmp_path / "f.txt"),
                   "--sim", "icarus", "--vectors", str(tmp_path / "in.npz"),
                   "--out", str(tmp_path / "out.npz")])
    assert status == 0
    out = np.load(tmp_path / "out.npz")
    y_ref, flags_ref = vectors.reference(FAULT_PARAMS, batch, fault_map)
    assert np.array_equal(out["y"], y_ref)
    for name, values in flags_ref.items():
        assert np.array_equal(out[name], values), name
    assert out["ecc_corrected"].any() and out["ecc_uncorrectable"].any()


def test_sim_command_rejects_faults_without_fault_port(tmp_path, capsys):
    (tmp_path / "f.txt").write_text("1 1\n")
    vectors.save_npz(tmp_path / "in.npz", stimulus.directed(FAULT_PARAMS))
    with pytest.raises(SystemExit) as exc:
        main(["sim", *FAULT_ARGS, "--faults", str(tmp_path / "f.txt"), "--vectors",
              str(tmp_path / "in.npz"), "--out", str(tmp_path / "out.npz")])
    assert exc.value.code == 2
    assert "--faults: needs a design with a fault port; add --lut-storage ram --fault-port" in \
        capsys.readouterr().err


@pytest.mark.parametrize("change, message", [
    ({"w": np.zeros((3, 2, 16), np.uint16)}, "w: code 300 at row 0, block 0, lane 0 is out of range|w: expected"),
    ({"sw": np.zeros((3, 2), np.uint8)}, "sw: must be absent"),
    ({"t": np.zeros(3, np.float32)}, "t: expected uint32"),
])
def test_sim_command_rejects_bad_arrays(tmp_path, capsys, change, message):
    arrays = {"a": np.zeros((3, 2, 16), np.uint8), "w": np.zeros((3, 2, 16), np.uint8),
              "sa": np.full((3, 2), 0x38, np.uint8), "t": np.zeros(3, np.uint32)}
    arrays.update(change)
    if arrays["w"].dtype == np.uint16:
        arrays["w"][0, 0, 0] = 300
    np.savez(tmp_path / "in.npz", **arrays)
    with pytest.raises(SystemExit) as exc:
        main(["sim", *DESIGN_ARGS, "--vectors", str(tmp_path / "in.npz"),
              "--out", str(tmp_path / "out.npz")])
    assert exc.value.code == 2
    assert any(m in capsys.readouterr().err for m in message.split("|"))
    assert not (tmp_path / "out.npz").exists()


def test_sim_command_rejects_unknown_simulator(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["sim", "--sim", "vcs", "--vectors", "x.npz", "--out", str(tmp_path / "o.npz")])
    assert "sim: 'vcs' is not allowed" in capsys.readouterr().err
