"""`nvlut generate` writes a complete, self-checking package for one design: its testbench and
golden vectors run unchanged on Icarus and `verilator --binary` and catch a wrong result; its
FuseSoC core's lint and sim targets run through FuseSoC (and so edalize); the manifest entry,
SystemVerilog package and files are deterministic."""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from nvlut.util.toolchain import tool_env

pytestmark = pytest.mark.sim

RAM_DESIGN = ["--block", "4", "--lut-storage", "ram", "--ecc", "secded", "--max-blocks", "16"]


def generate(directory, *flags, stem="mac"):
    out = subprocess.run([sys.executable, "-m", "nvlut.gen.cli", "generate", *flags, "--vectors",
                          "40", "-o", str(directory / f"{stem}.v")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads((directory / f"{stem}.manifest.json").read_text())


def icarus(directory, stem="mac"):
    subprocess.run(["iverilog", "-g2012", "-o", "tb.vvp", f"{stem}.v", f"{stem}_tb.v"],
                   cwd=directory, check=True)
    return subprocess.run(["vvp", "-n", "tb.vvp"], cwd=directory, capture_output=True, text=True)


@pytest.fixture(scope="module")
def ram_package(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ram")
    return directory, generate(directory, *RAM_DESIGN)


def test_package_files_and_manifest(ram_package):
    directory, record = ram_package
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["lint_waivers.vlt", "mac.core", "mac.manifest.json", "mac.v", "mac_pkg.sv",
                     "mac_tb.v", "mac_vectors.hex"]
    assert record["params"]["ecc"] == "secded" and record["file"] == "mac.v"
    assert record["nvlut_version"] and record["latency"] >= 1
    assert {"i__payload", "o__payload", "cfg__en", "cfg__data"} <= set(record["ports"])
    for side in ("i", "o"):   # the SV struct covers the port bit for bit
        width = record["ports"][f"{side}__payload"]["width"]
        assert sum(f["width"] for f in record["payload"][side].values()) <= width


def test_icarus_passes_and_a_wrong_golden_value_fails(ram_package, tmp_path):
    directory, _ = ram_package
    out = icarus(directory)
    assert out.returncode == 0 and "PASS" in out.stdout, out.stdout + out.stderr
    broken = tmp_path / "broken"
    shutil.copytree(directory, broken)
    lines = (broken / "mac_vectors.hex").read_text().splitlines()
    last = len(lines) - 1   # the last expected output: flip its lowest result bit
    lines[last] = f"{int(lines[last], 16) ^ 1:0{len(lines[last])}x}"
    (broken / "mac_vectors.hex").write_text("\n".join(lines) + "\n")
    out = icarus(broken)
    assert out.returncode != 0 and "MISMATCH" in out.stdout and "PASS" not in out.stdout


def test_rom_design_passes_on_icarus(tmp_path):
    generate(tmp_path, "--top", "my_mac")
    out = icarus(tmp_path)
    assert out.returncode == 0 and "PASS: my_mac" in out.stdout, out.stdout + out.stderr


def test_verilator_binary_runs_the_same_testbench(ram_package, tmp_path):
    directory, record = ram_package
    build = subprocess.run(["verilator", "--binary", "-j", "2", "-CFLAGS", "-fcoroutines",
                            "--Mdir", str(tmp_path / "obj"), "lint_waivers.vlt", "mac.v",
                            "mac_tb.v"], cwd=directory, env=tool_env(), capture_output=True,
                           text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    out = subprocess.run([str(tmp_path / "obj" / "Vmac")], cwd=directory, capture_output=True,
                         text=True)
    assert out.returncode == 0 and f"PASS: {record['top']}" in out.stdout, out.stdout


@pytest.mark.parametrize("target", ["lint", "sim"])
def test_fusesoc_targets_run_through_edalize(ram_package, tmp_path, target):
    directory, record = ram_package
    fusesoc = shutil.which("fusesoc", path=str(pathlib.Path(sys.executable).parent))
    out = subprocess.run([fusesoc, "--cores-root", str(directory), "run", "--build-root",
                          str(tmp_path), "--target", target,
                          f"nvlut:nvlut:{record['top']}"], env=tool_env(),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    if target == "sim":
        assert f"PASS: {record['top']}" in out.stdout


def test_package_is_deterministic(ram_package, tmp_path):
    directory, _ = ram_package
    generate(tmp_path, *RAM_DESIGN)
    for path in directory.iterdir():
        if path.suffix in (".v", ".json", ".hex", ".core", ".sv", ".vlt"):
            assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
