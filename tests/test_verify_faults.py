"""The campaign's fault-injected runs (designs with ECC): plan, and a reproducer that replays
through ``nvlut sim --faults`` to the golden fault model's results (Icarus)."""

import argparse
import shlex

import numpy as np
import pytest

from nvlut.gen.cli import main
from nvlut.spec.params import MacParams
from nvlut.verif import coverage, stimulus, vectors, verify_plan, verify_worker

PARAMS = MacParams(lut_storage="ram", ecc="msb2")


def _record(params):
    return {"name": params.name, "params": params.as_dict()}


def test_plan_adds_fault_runs_for_ecc_designs_only():
    args = argparse.Namespace(no_elements=False, n=10, verilog="v", sim="icarus", seed=0, out="o")
    records = [_record(PARAMS), _record(PARAMS.replace(ecc="none"))]
    units = verify_plan.plan(records, args)
    fault_units = [(u.record["name"], u.chunk) for u in units if u.kind == "faults"]
    assert fault_units == [(PARAMS.name, k) for k in range(len(stimulus.FAULT_MAPS))]
    expected = coverage.Coverage(PARAMS).expected_named(["ecc_corrected", "ecc_uncorrectable"])
    assert "flag[ecc_corrected=1]" in expected and "flag[ecc_uncorrectable=1]" in expected
    none = coverage.Coverage(PARAMS.replace(ecc="none")).expected_named(["ecc_corrected"])
    assert "flag[ecc_corrected=0]" in none and "flag[ecc_corrected=1]" not in none


@pytest.mark.sim
def test_fault_run_reproducer_replays(tmp_path, monkeypatch):
    unit = verify_plan.Unit(_record(PARAMS), str(tmp_path), "icarus", "faults", 1, 20, 0,
                            str(tmp_path / "verify"))
    design = verify_plan.unit_design(unit)
    assert design.params.fault_port and design.fault_words
    parts, mode, _ = verify_plan.unit_batch(unit, design.params)
    repro = verify_worker.write_reproducer(design, unit, parts, 5, mode)
    assert repro["dot_products"] == 6 and "--faults" in repro["command"]
    argv = shlex.split(repro["command"])
    assert argv[:2] == ["nvlut", "sim"]
    assert main(argv[1:]) == 0
    batch = vectors.load_npz(design.params, repro["npz"])
    out = np.load(argv[argv.index("--out") + 1])
    y_ref, flags_ref = vectors.reference(design.params, batch, design.fault_map)
    assert np.array_equal(out["y"], y_ref)
    for name, values in flags_ref.items():
        assert np.array_equal(out[name], values), name
