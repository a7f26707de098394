"""``nvlut sim`` end to end: in.npz (with per-dot-product block counts) -> out.npz, bit for bit
against the golden model, and its errors for bad input files."""

import numpy as np
import pytest

from nvlut.gen.cli import main
from nvlut.gen.params import MacParams
from nvlut.verif import stimulus, vectors

PARAMS = MacParams(weights="fp8", weight_scaling="tensor", multiplier="mul")
DESIGN_ARGS = ["--weights", "fp8", "--weight-scaling", "tensor", "--multiplier", "mul"]


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_sim_command_matches_golden(tmp_path, sim):
    rng = np.random.default_rng(9)
    batch = vectors.concat(stimulus.adversarial(PARAMS, 60 if sim == "icarus" else 1000, rng))
    assert len(set(batch.nb.tolist())) > 3
    vectors.save_npz(tmp_path / "in.npz", batch)
    status = main(["sim", *DESIGN_ARGS, "--sim", sim, "--backpressure", "both",
                   "--vectors", str(tmp_path / "in.npz"), "--out", str(tmp_path / "out.npz"),
                   "--waves", str(tmp_path / "w.dump")])
    assert status == 0
    out = np.load(tmp_path / "out.npz")
    y_ref, flags_ref = vectors.reference(PARAMS, batch)
    assert out["y"].dtype == np.uint32 and np.array_equal(out["y"], y_ref)
    for name, values in flags_ref.items():
        assert np.array_equal(out[name], values), name
    assert not out["ecc_corrected"].any() and not out["ecc_uncorrectable"].any()
    assert (tmp_path / "w.dump").stat().st_size > 0


@pytest.mark.parametrize("change, message", [
    ({"w": np.zeros((3, 2, 16), np.uint16)}, "w: codes must lie in|w: expected"),
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
