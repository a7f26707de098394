"""The verification campaign catches deliberately broken designs (nvlut.verif.mutants).

Each mutant of the reference design goes through ``nvlut verify`` itself (a manifest naming the
mutated Verilog, a small N, Icarus because it compiles in a second) and must make it fail with a
reproducer and a waveform; the unmutated design must pass the same campaign.
"""

import json

import pytest

from nvlut.gen.cli import main
from nvlut.gen.design_set import DEFAULT_DESIGNS, describe
from nvlut.gen.generate import verilog_for
from nvlut.verif import mutants, stimulus, vectors

pytestmark = pytest.mark.sim

PARAMS = DEFAULT_DESIGNS[0]


@pytest.fixture(scope="module")
def reference():
    text, component = verilog_for(PARAMS)
    return text, describe(PARAMS, component, f"{PARAMS.name}.v")


def _campaign(tmp_path, name, text, record):
    record = dict(record, name=name, file=f"{name}.v")
    (tmp_path / record["file"]).write_text(text)
    (tmp_path / "manifest.json").write_text(json.dumps({"designs": [record]}))
    status = main(["verify", "--sim", "icarus", "--n", "100", "--jobs", "1",
                   "--verilog", str(tmp_path), "--out", str(tmp_path / "verify")])
    return status, json.loads((tmp_path / "verify" / "report.json").read_text())["designs"][0]


@pytest.mark.parametrize("kind", mutants.MUTANTS)
def test_campaign_catches_mutant(tmp_path, reference, kind):
    text, record = reference
    mutant = mutants.mutant_verilog(PARAMS, kind, text)
    assert mutant != text
    status, report = _campaign(tmp_path, f"mutant_{kind}", mutant, record)
    assert status == 1
    assert report["mismatches"] > 0 or report["problems"]
    repro = report["reproducers"][0]
    batch = vectors.load_npz(PARAMS, repro["npz"])
    assert batch.n == repro["dot_products"] >= 1
    assert repro["waves"] and (tmp_path / "verify" / repro["waves"].split("/")[-1]).stat().st_size


def test_campaign_passes_unmutated_design(tmp_path, reference):
    text, record = reference
    status, report = _campaign(tmp_path, "unmutated", text, record)
    assert status == 0 and report["mismatches"] == 0 and not report["problems"]
    assert report["element_vectors"] == 16 * 16 * PARAMS.block
    assert report["random_vectors"] == 100 + stimulus.directed(PARAMS).n
