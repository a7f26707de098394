"""The ``nvlut faults`` campaign: outputs, determinism, ECC behaviour, argument errors, RTL replay."""

import csv
import json

import pytest

from nvlut.gen import cli

SMALL = ["--n", "60", "--nb", "2", "--trials", "4", "--ber", "1e-3,3e-2", "--ecc-modes",
         "none,msb4,secded", "--rtl-sample", "0"]
DESIGN = "fp4_block_b16_fulllut_ram_none_mb256_p1"


def run_faults(tmp_path, *args):
    assert cli.main(["faults", *args, "--out", str(tmp_path)]) == 0
    return tmp_path / DESIGN


def test_outputs_deterministic(tmp_path, capsys):
    first = run_faults(tmp_path / "1", *SMALL)
    second = run_faults(tmp_path / "2", *SMALL)
    names = ["faults.md", "faults.csv", "faults.json", "faults.png"]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert "# Fault campaign" in capsys.readouterr().out


def test_rows_and_ecc_behaviour(tmp_path):
    out = run_faults(tmp_path, *SMALL)
    rows = list(csv.DictReader((out / "faults.csv").open()))
    assert [(r["ecc"], float(r["ber"])) for r in rows] == [
        (ecc, ber) for ecc in ("none", "msb4", "secded") for ber in (1e-3, 3e-2)]
    by = {(r["ecc"], float(r["ber"])): r for r in rows}
    # 256 words of 9 bits; SECDED on all 9 bits adds 5 check bits, on the top 4 bits 4
    assert [int(by[(e, 1e-3)]["stored_bits"]) for e in ("none", "msb4", "secded")] == \
        [256 * 9, 256 * 13, 256 * 14]
    # at 3% BER every mode sees faults; without ECC nothing is ever flagged, and SECDED flags
    # (rather than silently passes) most of the wrong outputs
    assert float(by[("none", 3e-2)]["wrong"]) > 0.5
    assert float(by[("none", 3e-2)]["flagged_corrected"]) == 0
    assert float(by[("secded", 3e-2)]["flagged_uncorrectable"]) > 0
    assert float(by[("secded", 3e-2)]["silent_wrong"]) < float(by[("none", 3e-2)]["silent_wrong"])
    summary = json.loads((out / "faults.json").read_text())
    assert summary["design"] == DESIGN and len(summary["rows"]) == 6
    assert summary["rtl_replay"] is None


@pytest.mark.parametrize("args,message", [
    (["--ecc-modes", "none,msb12"], "ecc: cannot protect 12 bits of a 9-bit table entry"),
    (["--ecc-modes", "parity"], "ecc: 'parity' is not allowed"),
    (["--lut-storage", "rom"], "lut_storage: faults are injected into a writable table"),
    (["--multiplier", "mul"], "lut_storage: 'ram' needs a table"),
    (["--ber", "2"], "each rate must lie in 0..1"),
    (["--trials", "0"], "trials: 0 is not allowed"),
])
def test_bad_arguments(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        cli.main(["faults", "--n", "10", "--trials", "1", "--rtl-sample", "0", *args,
                  "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.sim
def test_rtl_replay_agrees(tmp_path):
    out = run_faults(tmp_path, "--n", "30", "--nb", "2", "--trials", "3", "--ber", "3e-3",
                     "--ecc-modes", "none", "--rtl-sample", "12", "--sim", "icarus")
    replay = json.loads((out / "faults.json").read_text())["rtl_replay"]
    assert replay["agree"] and replay["dot_products"] == 12 and replay["changed"] > 0


@pytest.mark.sim
def test_rtl_replay_of_ecc_modes_agrees(tmp_path):
    """secded and msb2 replayed on Icarus through the fault port: y and all six flags (ECC flags
    included) equal the golden fault model's, and the faults changed or flagged results."""
    out = run_faults(tmp_path, "--n", "30", "--nb", "2", "--trials", "3", "--ber", "3e-3",
                     "--ecc-modes", "secded,msb2", "--rtl-sample", "12", "--sim", "icarus")
    replay = json.loads((out / "faults.json").read_text())["rtl_replay"]
    assert [m["ecc"] for m in replay["modes"]] == ["secded", "msb2"]
    for mode in replay["modes"]:
        assert mode["design"].endswith("_fi") and mode["sim"] == "icarus"
        assert mode["agree"] and mode["mismatches"] == 0 and mode["flagged"] > 0
