"""nvlut generate --target-mhz: the shallowest pipeline depth whose measured OSU018 Fmax (nvlut
synth's static timing, cached) meets the target; exit 2 naming the best Fmax and its path when none
does; bad or conflicting flags exit 2 before any work."""

import json

import pytest

from nvlut.gen import cli
from nvlut.spec.params import PIPELINE_RANGE, MacParams
from nvlut.cells import target_clock, timing

needs_sta = pytest.mark.skipif(timing.missing_tools() is not None,
                               reason="OSU018 Liberty or OpenSTA missing (run `make tools`)")

#: a small design keeps the six depths' netlists to ~10 s each
SMALL = ["--block", "4", "--max-blocks", "1"]


def run_cli(argv, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv, message", [
    (["--pipeline", "2", "--target-mhz", "5"], "pipeline: not allowed together with --target-mhz"),
    (["--target-mhz", "0"], "target-mhz: 0 is not allowed; use a clock in MHz > 0"),
    (["--target-mhz", "nan"], "target-mhz: nan is not allowed"),
    (["--target-mhz", "5", "--target-flow", "ice40"],
     "target-flow: 'ice40' is not allowed; choose one of osu018"),
    (["--target-flow", "osu018"], "target-flow: only applies with --target-mhz"),
    (["--target-mhz", "5", "--block", "3"], "block: 3 is not allowed"),
])
def test_bad_target_flags_exit_2_before_work(argv, message, capsys, tmp_path):
    code, _, err = run_cli(["generate", *argv, "--synth-out", str(tmp_path / "s"),
                            "--verilog-only", "-o", str(tmp_path / "mac.v")], capsys)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "s").exists() and not (tmp_path / "mac.v").exists()


def test_without_target_the_default_depth(capsys, tmp_path):
    out = tmp_path / "mac.v"
    assert run_cli(["generate", *SMALL, "--verilog-only", "-o", str(out)], capsys)[0] == 0
    assert f"module {MacParams(block=4, max_blocks=1).name}(" in out.read_text()


@needs_sta
def test_target_mhz_on_osu018(capsys, tmp_path):
    """One test, one synth cache (each depth is synthesized and timed once, ~10 s): a small target
    picks depth 0 and prints nvlut synth's cached figure; an impossible one times every depth and
    exits 2 naming the best; a target just below the best picks the shallowest depth reaching it."""
    synth_out = tmp_path / "synth"
    depths = range(PIPELINE_RANGE[0], PIPELINE_RANGE[1] + 1)

    def generate(target):
        return run_cli(["generate", *SMALL, "--target-mhz", f"{target}", "--synth-out",
                        str(synth_out), "--verilog-only", "-o", str(tmp_path / "mac.v")], capsys)

    def timed(depth):
        return target_clock.measure(MacParams(block=4, max_blocks=1, pipeline=depth), synth_out)

    code, text, err = generate(1)
    assert code == 0, err
    assert f"module {MacParams(block=4, max_blocks=1, pipeline=0).name}(" in (
        tmp_path / "mac.v").read_text()
    # the figure printed is the one in nvlut synth's cache, keyed on this design's Verilog
    (cached,) = [json.loads(p.read_text()) for p in (synth_out / "cache").glob("sta-*.json")]
    assert timed(0) == cached
    assert f"pipeline 0 chosen: Fmax {cached['fmax_mhz']} MHz >= 1 MHz on osu018" in text
    assert "pipeline 1:" not in text  # the shallowest depth meeting the target ends the search

    (tmp_path / "mac.v").unlink()
    code, text, err = generate(100000)
    assert code == 2 and "Traceback" not in err
    assert not (tmp_path / "mac.v").exists()
    fmax = {d: timed(d) for d in depths}
    for d in depths:
        assert f"pipeline {d}: Fmax {fmax[d]['fmax_mhz']} MHz" in text
    best = max(depths, key=lambda d: fmax[d]["fmax_mhz"])
    assert (f"target-mhz: no pipeline depth 0..5 meets 100000 MHz on osu018; the best is "
            f"{fmax[best]['fmax_mhz']} MHz at depth {best}, limited by the path "
            f"{fmax[best]['start']} -> {fmax[best]['end']}") in err

    target = fmax[best]["fmax_mhz"] - 0.005
    expected = next(d for d in depths if fmax[d]["fmax_mhz"] >= target)
    assert expected > 0
    code, text, err = generate(target)
    assert code == 0, err
    assert f"pipeline {expected} chosen" in text
    assert f"_p{expected}(" in (tmp_path / "mac.v").read_text()
