"""`nvlut verilog`: the default design set, its manifest, FuseSoC core and lint."""

import json
import re
import shutil
import subprocess

import pytest

from nvlut.spec.accumulator import accumulator_width
from nvlut.gen.design_set import CORE_NAME, DEFAULT_DESIGNS, write_design_set
from nvlut.hdl.iterative_scale import iterative_extra_latency
from nvlut.hdl import input_layout, lut_image
from nvlut.hdl.lint import lint


@pytest.fixture(scope="module")
def design_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("verilog")
    records, changed = write_design_set(out)
    return out, records, changed


def test_default_set_contents(design_set):
    out, records, changed = design_set
    names = {p.name for p in DEFAULT_DESIGNS}
    assert len(names) == len(DEFAULT_DESIGNS) == 19
    assert {r["name"] for r in records} == names
    assert sorted(changed) == sorted([f"{n}.v" for n in names]
                                     + ["manifest.json", "nvlut.core", "lint_waivers.vlt"])
    assert {(p.weights, p.multiplier) for p in DEFAULT_DESIGNS if p.block == 16} == {
        ("fp4", "lut"), ("fp4", "fulllut"), ("fp4", "mul"), ("fp8", "lut"), ("fp8", "fulllut"),
        ("fp8", "mul"), ("fp16", "lut"), ("fp16", "mul")}
    assert {p.block for p in DEFAULT_DESIGNS} == {8, 16, 32, 64}
    assert {p.pipeline for p in DEFAULT_DESIGNS} == {1, 4, 5}  # every register cut beyond 3
    assert {p.final_stage for p in DEFAULT_DESIGNS} == {"parallel", "iterative"}


def test_regeneration_is_byte_identical(design_set, tmp_path):
    """A second run, in another directory, writes the same bytes (no paths, no timestamps)."""
    out, _, _ = design_set
    write_design_set(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in out.iterdir())
    for path in sorted(out.iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def _verilog_ports(text, top):
    body = text[text.index(f"module {top}("):]
    body = body[:body.index("endmodule")]
    ports = {}
    for direction, msb, name in re.findall(r"^\s*(input|output)\s+(?:\[(\d+):0\]\s+)?(\w+);",
                                           body, re.M):
        ports[name] = {"direction": direction, "width": int(msb or 0) + 1}
    return ports


def test_manifest(design_set):
    out, records, _ = design_set
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["designs"] == records
    for r, params in zip(records, DEFAULT_DESIGNS):
        assert r["params"] == params.as_dict()
        assert r["ports"] == _verilog_ports((out / r["file"]).read_text(), r["top"])
        extra = iterative_extra_latency(params) if params.final_stage == "iterative" else 0
        assert r["latency"] == 1 + params.pipeline + extra
        assert r["accumulator_width"] == accumulator_width(
            params.weights, params.block, params.max_blocks, params.block_scaled)
        fields = r["payload"]["i"]
        assert list(fields) == list(dict(input_layout(params)))
        assert fields["a"] == {"offset": 0, "width": 4 * params.block}
        assert fields["last"]["offset"] + 1 == r["ports"]["i__payload"]["width"]
        assert list(r["payload"]["o"]) == ["y", "invalid", "overflow", "underflow", "inexact",
                                           "ecc_corrected", "ecc_uncorrectable"]
        assert r["ports"]["o__payload"]["width"] == 38
        if params.lut_storage == "ram":
            assert r["table"]["depth"] == len(lut_image(params))
            assert r["ports"]["cfg__data"]["width"] == r["table"]["entry_width"]
            assert 2 ** r["ports"]["cfg__addr"]["width"] >= r["table"]["depth"]
        assert (r["table"] is None) == (params.multiplier == "mul")


def test_lint_default_set(design_set):
    out, records, _ = design_set
    for r in records:
        ok, messages = lint(out / r["file"], r["top"])
        assert ok, messages


def test_fusesoc_core_parses(design_set):
    out, records, _ = design_set
    fusesoc = shutil.which("fusesoc") or str(__import__("sys").prefix) + "/bin/fusesoc"
    run = subprocess.run([fusesoc, "--cores-root", str(out), "core-info", CORE_NAME],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    targets = set(re.findall(r"^(lint\w*)\s*:", run.stdout, re.M))
    assert targets == {"lint"} | {f"lint_{r['name']}" for r in records}
