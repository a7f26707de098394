"""nvlut explore: space parsing, Pareto fronts, the executor option, a smoke sweep, and the same
sweep on a loopback Dask cluster (with a worker killed mid-sweep) equal to the local one."""

import csv
import json
import os
import signal
import threading

import pytest

from nvlut.gen import cli
from nvlut.util import executor
from nvlut.spec.params import MacParams
from nvlut.explore import assumptions, pareto, space
from nvlut.cells import timing
from nvlut.explore.cli import sweep
from nvlut.explore import steps
from nvlut.explore.steps import Workload


def run_cli(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    return exc.value.code, capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# the space

def test_ranges_and_lists():
    assert space.parse_values("block", "8..64*2") == [8, 16, 32, 64]
    assert space.parse_values("block", "4..7, 16") == [4, 5, 6, 7, 16]
    assert space.parse_values("pipeline", "0..3+2") == [0, 2]
    assert space.parse_values("voltage", "0.54..0.60+0.02") == [0.54, 0.56, 0.58, 0.6]
    assert space.parse_values("ecc", "none,secded msb2") == ["none", "secded", "msb2"]
    assert space.parse_values("block", [16, "32..64*2"]) == [16, 32, 64]


def test_invalid_combinations_are_skipped_with_reason():
    s = space.Space.build(flag_values={"multiplier": ["lut", "mul"], "lut_storage": ["rom", "ram"],
                                       "voltage": [1.0, 0.55]})
    valid, skipped = s.points()
    names = sorted(p.name for p in valid)
    # mul has no table (no ram); voltage scaling needs ram
    assert names == sorted(["fp4_block_b16_lut_rom_none_mb256_p1_v1",
                            "fp4_block_b16_lut_ram_none_mb256_p1_v1",
                            "fp4_block_b16_lut_ram_none_mb256_p1_v0.55",
                            "fp4_block_b16_mul_rom_none_mb256_p1_v1"])
    assert len(skipped) == 8 - 4
    assert any("lut_storage: 'ram' needs a table" in r for _, r in skipped)
    assert any("voltage scaling needs lut_storage 'ram'" in r for _, r in skipped)


def test_space_files(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('block = [8, 16]\necc = "none,secded"\nlut-storage = ["ram"]\n')
    yaml = tmp_path / "s.yaml"
    yaml.write_text("block: [8, 16]\necc: none,secded\nlut-storage: [ram]\n")
    assert space.read_file(toml) == space.read_file(yaml) == {
        "block": [8, 16], "ecc": ["none", "secded"], "lut_storage": ["ram"]}


def test_voltage_model_is_the_cited_data():
    # Salami et al. MICRO 2018, VC707 BRAMs: measured 2.2e-4 at 0.55 V, 1.19e-7 at 0.60 V,
    # fault-free at 0.61 V; in between log-linear (0.555 V: sqrt(8.1e-5 * 2.2e-4))
    assert assumptions.ber(0.55) == 2.2e-4
    assert assumptions.ber(0.60) == 1.19e-7
    assert assumptions.ber(0.555) == pytest.approx((8.1e-5 * 2.2e-4) ** 0.5, rel=5e-3)  # 3 digits
    assert assumptions.ber(0.61) == assumptions.ber(1.0) == 0.0
    assert assumptions.is_seed_point(MacParams(lut_storage="ram", ecc="secded"), 0.55)
    assert not assumptions.is_seed_point(MacParams(lut_storage="ram", ecc="secded"), 1.0)


@pytest.mark.parametrize("argv, message", [
    (["--weights", "fp5"], "weights: 'fp5' is not allowed; choose one of fp4, fp8, fp16"),
    (["--blocks", "64..8"], "block: '64..8' is not a valid range"),
    (["--blocks", "200"], "block: 200 is not allowed; use an integer from 4 to 128"),
    (["--voltages", "0.3"], "voltage: 0.3 is not allowed; use 0.54 .. 1.0 V"),
    (["--ecc-modes", "msb99"], "ecc: cannot protect 99 bits"),
    (["--multipliers", "mul", "--lut-storages", "ram"], "space: no valid point"),
    (["--scheduler", "udp://x"], "scheduler: 'udp://x' is not allowed; use tcp://HOST:PORT"),
    (["--jobs", "0"], "jobs: 0 is not allowed"),
    (["--steps", "verify,magic"], "steps: 'magic' is not allowed"),
    (["--models", "gpt"], "models: 'gpt' is not allowed"),
    (["--space", "/nonexistent.toml"], "space: /nonexistent.toml is not a file"),
])
def test_bad_input_exits_2_before_work(argv, message, capsys, tmp_path):
    code, err = run_cli(["explore", "--out", str(tmp_path / "x"), *argv], capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("command", ["explore", "energy"])
def test_out_must_be_a_writable_directory(command, capsys, tmp_path):
    """--out of explore and energy is checked by nvlut.util.files.check_output_dir: a file, a path
    below a file and an unwritable parent are refused (exit 2) before any work."""
    (tmp_path / "file").write_text("")
    code, err = run_cli([command, "--out", str(tmp_path / "file")], capsys)
    assert code == 2 and "--out: " in err and "is a file, not a directory" in err
    code, err = run_cli([command, "--out", str(tmp_path / "file" / "below")], capsys)
    assert code == 2 and "is a file, not a directory" in err and "cannot create" in err
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    code, err = run_cli([command, "--out", str(locked / "out")], capsys)
    assert code == 2 and "is not writable" in err
    assert not (locked / "out").exists()


@pytest.mark.parametrize("command", ["explore", "synth"])
def test_energy_cache_must_be_a_writable_directory(command, capsys, tmp_path):
    """--energy-cache (explore, synth) is checked before any work like --out: a file is refused
    (exit 2, option named) and nothing is written."""
    (tmp_path / "file").write_text("")
    code, err = run_cli([command, "--energy-cache", str(tmp_path / "file"),
                         "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and "--energy-cache: " in err and "is a file, not a directory" in err
    assert (tmp_path / "file").read_text() == "" and not (tmp_path / "out").exists()


def test_bad_space_file_key(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("blocks = [8]\n")
    code, err = run_cli(["explore", "--space", str(bad)], capsys)
    assert code == 2 and "space: unknown dimension 'blocks'" in err


@pytest.mark.parametrize("command", ["verify", "synth", "ablate"])
def test_campaigns_take_the_scheduler_option(command, capsys):
    code, err = run_cli([command, "--scheduler", "local:0"], capsys)
    assert code == 2 and "scheduler: 'local:0' is not allowed" in err


# ---------------------------------------------------------------------------------------------
# Pareto fronts and the executor's pieces

def test_pareto_front_by_hand():
    def row(name, area, loss, status="ok"):
        return {"point": name, "area_um2": area, "accuracy_loss_pp": loss, "status": status}
    a, b, c, d, e, f = (row("a", 1, 5), row("b", 2, 2), row("c", 3, 3), row("d", 2, 2),
                        row("e", 0.5, 0.1, status="failed"), row("f", 1, 6))
    objectives = (("area_um2", "min"), ("accuracy_loss_pp", "min"))
    front, dominated, left_out = pareto.front([a, b, c, d, e, f], objectives)
    # c is worse than b (and d) in both; b and d are equal, so neither dominates the other;
    # f ties a in area and is worse in loss; e failed
    assert [(r["point"], [x["point"] for x in beaten]) for r, beaten in front] == [
        ("a", ["f"]), ("b", ["c"]), ("d", ["c"])]
    assert dominated == [c, f] and left_out == [e]
    assert pareto.dominates({"f": 2}, {"f": 1}, (("f", "max"),))


SMALL_VERILOG = """module small (clk, a, b, q);
  input clk; input [3:0] a; input [3:0] b; output reg [7:0] q;
  reg [3:0] ra, rb;
  always @(posedge clk) begin ra <= a; rb <= b; q <= ra * rb; end
endmodule
"""


@pytest.mark.skipif(timing.missing_tools() is not None, reason="OSU018 or OpenSTA missing")
def test_fmax_is_nvlut_synths_static_timing(tmp_path, monkeypatch):
    """explore's fmax step returns nvlut synth's timing result of the same Verilog, from the same
    cache: after the synth task ran, the step runs neither Yosys nor OpenSTA."""
    from types import SimpleNamespace

    from nvlut.cells import opensta
    from nvlut.synth import designs, flow
    from nvlut.util import yosys
    from nvlut.util.cache import Cache

    design = designs.Design("small", "mac", {"block": 4}, SMALL_VERILOG)
    (task,) = flow._timing_tasks([design], tmp_path / "synth", Cache(tmp_path / "synth" / "cache"))
    sta = task.run()["targets"]["sta"]
    assert 0 < sta["critical_ns"] < 50 and sta["fmax_mhz"] == round(1000 / sta["critical_ns"], 2)

    def no_tool(*args, **kwargs):
        raise AssertionError("not taken from the synth cache")
    monkeypatch.setattr(opensta, "run", no_tool)
    monkeypatch.setattr(yosys, "run", no_tool)
    workload = Workload(synth_cache=str(tmp_path / "synth" / "cache"), out=str(tmp_path / "x"))
    row = steps.fmax(SimpleNamespace(name="small"), SimpleNamespace(verilog=SMALL_VERILOG),
                     workload, None)
    assert row == {"fmax_mhz": sta["fmax_mhz"], "critical_path_ns": sta["critical_ns"]}


def test_fmax_without_opensta_names_what_is_missing(tmp_path, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setenv("NVLUT_STA", str(tmp_path / "no-sta"))
    row = steps.fmax(SimpleNamespace(name="p"), SimpleNamespace(verilog=SMALL_VERILOG),
                     Workload(out=str(tmp_path)), None)
    assert row["fmax_mhz"] is None and row["critical_path_ns"] is None
    assert "fmax_mhz not available" in row["notes"][0] and "OpenSTA" in row["notes"][0]


def test_progress_eta():
    ticks = iter([0.0, 10.0, 10.0, 30.0, 30.0])
    p = executor.Progress(4, stream=open(os.devnull, "w"), clock=lambda: next(ticks))
    assert p.step("a").startswith("[1/4] a (10 s, ETA 30 s)")
    assert "[2/4] b: ok (30 s, ETA 30 s)" in p.step("b", "ok")


# ---------------------------------------------------------------------------------------------
# sweeps

@pytest.mark.slow
def test_smoke_sweep_every_step(tmp_path, capsys):
    """The whole pipeline on two small points; a rerun takes every row from the cache."""
    out = tmp_path / "explore"
    argv = ["explore", "--blocks", "4", "--lut-storages", "rom,ram", "--verify-n", "20",
            "--models", "mlp", "--quick-training", "--ckpt-dir", str(tmp_path / "ckpt"),
            "--synth-cache", str(tmp_path / "synth"), "--out", str(out), "--jobs", "2"]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "[2/2]" in text and "ETA" in text
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    assert "area_um2 [um^2]" in rows[0] and "fmax_mhz [MHz]" in rows[0]
    for r in rows:
        assert r["verify"] == "ok" and float(r["area_um2 [um^2]"]) > 0
        assert 0 < float(r["fmax_mhz [MHz]"]) < 1000
        assert 0 < float(r["accuracy_pct [%]"]) <= 100
        assert float(r["energy_pj_per_mac [pJ/MAC]"]) > 0      # from nvlut.energy
    ram, rom = sorted(rows, key=lambda r: r["lut_storage"])
    assert float(ram["area_um2 [um^2]"]) > float(rom["area_um2 [um^2]"])
    report = (out / "report.md").read_text()
    assert "## Pareto front: area, Fmax" in report and "dominates" in report
    assert "not available: nvlut energy not installed" not in report
    for png in ("front_area_fmax.png", "front_energy_accuracy.png", "front_area_accuracy.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    data = json.loads((out / "results.json").read_text())
    assert data["units"]["area_um2"] == "um^2"
    before = (out / "results.csv").read_bytes()
    assert cli.main(argv) == 0
    assert "2 from the cache, 0 to compute" in capsys.readouterr().out
    assert (out / "results.csv").read_bytes() == before


def _points():
    s = space.Space.build(flag_values={"block": [4, 8, 16]})
    return s.points()[0]


@pytest.mark.slow
def test_dask_cluster_with_a_killed_worker_equals_local(tmp_path):
    """The same sweep on a loopback LocalCluster, one of whose workers is killed while points are
    running, gives exactly the local rows: none missing, none twice."""
    from distributed import Client, LocalCluster

    points = _points()
    workload = dict(steps=("verify",), verify_n=30)
    local, computed, _ = sweep(points, Workload(out=str(tmp_path / "local"), **workload), jobs=2)
    assert computed == len(points)

    killed = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)

        def kill_one(index, row):
            if not killed:  # after the first row, while the other worker runs a point
                pid = sorted(pids.values())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        remote, computed, _ = sweep(points, Workload(out=str(tmp_path / "remote"), **workload),
                                    scheduler=cluster.scheduler_address, on_result=kill_one)
        assert killed and killed[0] not in client.run(os.getpid).values()
    assert computed == len(points)
    assert [r["point"] for r in remote] == [p.name for p in points]
    assert remote == local
    assert all(r["verify"] == "ok" for r in remote)


@pytest.mark.slow
def test_a_mismatch_marks_the_point_failed_with_a_reproducer(tmp_path, monkeypatch):
    """The verify step on a deliberately broken design (final rounding truncates): the point is
    failed, keeps a reproducer, and its row is not taken as a good point by the fronts."""
    import dataclasses

    from nvlut.explore import point as point_mod
    from nvlut.verif import mutants, verify_worker
    from nvlut.verif.design import design_for

    params = MacParams(block=4)
    good = design_for(params)
    broken = dataclasses.replace(good, tag="explore_mutant_truncate",
                                 verilog=mutants.mutant_verilog(params, "truncate", good.verilog))
    monkeypatch.setattr(verify_worker, "unit_design", lambda unit: broken)
    p = space.Point(params, 1.0)
    workload = Workload(steps=("verify",), verify_n=200, out=str(tmp_path))
    row, _ = point_mod.evaluate(p.as_dict(), point_mod.workload_dict(workload))
    assert row["verify"] == "failed" and row["status"] == "failed"
    assert row["reproducer"].startswith("nvlut sim ") and "--vectors" in row["reproducer"]
    assert list((tmp_path / "repro").glob("*.npz"))
    front, _, left_out = pareto.front([row], (("verify_vectors", "min"),))
    assert front == [] and left_out == [row]


def test_energy_step_calls_nvlut_energy(monkeypatch, tmp_path):
    import types

    import nvlut.energy
    from nvlut.explore import steps

    calls = []
    monkeypatch.setattr(nvlut.energy, "missing_tools", lambda: [])
    monkeypatch.setattr(nvlut.energy, "energy_per_mac",
                        lambda params, voltage, verilog, workdir, cache_dir: calls.append(
                            (voltage, workdir, cache_dir)) or 0.5)
    workload = Workload(out=str(tmp_path), energy_cache=str(tmp_path / "shared"))
    for voltage in (0.55, 0.57):
        p = space.Point(MacParams(lut_storage="ram"), voltage)
        assert steps.energy(p, types.SimpleNamespace(verilog="v"), workload,
                            None) == {"energy_pj_per_mac": 0.5}
    # the voltage variants of one design share one work folder, so nvlut.energy simulates it once,
    # and the result cache is the one nvlut energy fills
    assert [v for v, _, _ in calls] == [0.55, 0.57] and calls[0][1] == calls[1][1]
    assert {c for _, _, c in calls} == {str(tmp_path / "shared")}
    # without the cells or Icarus the metric is None with the reason, and nothing is simulated
    monkeypatch.setattr(nvlut.energy, "missing_tools", lambda: ["icarus"])
    r = steps.energy(space.Point(MacParams(lut_storage="ram"), 0.55),
                     types.SimpleNamespace(verilog="v"), workload, None)
    assert r["energy_pj_per_mac"] is None and "icarus missing" in r["notes"][0] and len(calls) == 2


def test_front_with_energy_objective():
    from nvlut.explore import report

    def row(name, energy, area, loss):
        return {"point": name, "energy_pj_per_mac": energy, "area_um2": area,
                "accuracy_loss_pp": loss, "status": "ok", "fmax_mhz": None, "seed_point": False,
                "weights": "fp4", "weight_scaling": "block", "block": 16, "multiplier": "lut",
                "lut_storage": "ram", "ecc": "none", "pipeline": 1, "voltage": 1.0}
    # three objectives: the low-energy point stays optimal although it is larger
    rows = [row("small", 2.0, 1.0, 1.0), row("frugal", 1.0, 2.0, 1.0), row("worse", 2.0, 2.0, 1.0)]
    lines, fronts = report.front_sections(rows)
    text = "\n".join(lines)
    assert "Objectives: energy_pj_per_mac (min), area_um2 (min), accuracy_loss_pp (min). " \
           "2 optimal points, 1 dominated" in text
    assert [r["point"] for r in fronts[0][1]] == ["small", "frugal"]
