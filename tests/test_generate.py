"""`nvlut generate`: one design's Verilog through the command line."""

import re

import pytest

from nvlut.gen.cli import main
from nvlut.spec.params import MacParams


def _module_ports(text, top):
    header = re.search(rf"^module {re.escape(top)}\((.*?)\);", text, re.M | re.S)
    return {p.strip() for p in header.group(1).split(",")}


def test_generate_writes_once(tmp_path, capsys):
    out = tmp_path / "mac.v"
    argv = ["generate", "--weights", "fp8", "--weight-scaling", "tensor", "--multiplier",
            "fulllut", "--lut-storage", "ram", "--pipeline", "3", "-o", str(out)]
    assert main(argv) == 0
    name = MacParams(weights="fp8", weight_scaling="tensor", multiplier="fulllut",
                     lut_storage="ram", pipeline=3).name
    text = out.read_text()
    assert _module_ports(text, name) == {"clk", "rst", "i__valid", "i__ready", "i__payload",
                                         "o__valid", "o__ready", "o__payload", "cfg__en",
                                         "cfg__addr", "cfg__data"}
    assert "latency 4" in capsys.readouterr().out
    mtime = out.stat().st_mtime_ns
    assert main(argv) == 0
    assert "(unchanged)" in capsys.readouterr().out
    assert out.stat().st_mtime_ns == mtime and out.read_text() == text


def test_generate_top_name(tmp_path):
    out = tmp_path / "x.v"
    assert main(["generate", "--block", "8", "--top", "my_mac", "-o", str(out)]) == 0
    assert _module_ports(out.read_text(), "my_mac") >= {"clk", "i__payload", "o__payload"}


@pytest.mark.parametrize("argv,parameter", [
    (["--weights", "fp6"], "weights"),
    (["--multiplier", "fulllut", "--weights", "fp16"], "multiplier"),
    (["--block", "200"], "block"),
    (["--ecc", "secded"], "ecc"),
])
def test_generate_rejects_bad_parameters(tmp_path, capsys, argv, parameter):
    with pytest.raises(SystemExit) as exc:
        main(["generate", *argv, "-o", str(tmp_path / "x.v")])
    assert exc.value.code == 2
    assert f"error: {parameter}:" in capsys.readouterr().err
    assert not (tmp_path / "x.v").exists()


@pytest.mark.parametrize("params", [
    MacParams(pipeline=0, block=5),
    MacParams(weights="fp8", weight_scaling="block", multiplier="fulllut", lut_storage="ram",
              pipeline=3),
    MacParams(weights="fp16", weight_scaling="block", multiplier="lut", lut_storage="ram",
              pipeline=2, max_blocks=1 << 20),
    MacParams(weights="fp16", weight_scaling="tensor", multiplier="mul", pipeline=5),
], ids=lambda p: p.name)
def test_lint_other_configurations(tmp_path, params):
    """Configurations outside the default set (pipeline depths, odd B, RAM tables) lint clean."""
    from nvlut.gen.generate import verilog_for
    from nvlut.hdl.lint import lint
    text, _ = verilog_for(params)
    path = tmp_path / f"{params.name}.v"
    path.write_text(text)
    ok, messages = lint(path, params.name)
    assert ok, messages


@pytest.mark.parametrize("params", [MacParams(), MacParams(weights="fp8", weight_scaling="tensor",
                                              multiplier="fulllut", block=4)],
                         ids=lambda p: p.name)
def test_constant_tables_are_logic_not_initial_blocks(params):
    """ASIC synthesis ignores `initial` blocks: a ROM table must be combinational logic (no memory
    array, no `initial`), and the same parameters must give the same bytes."""
    from nvlut.gen.generate import verilog_for
    text, _ = verilog_for(params)
    assert not re.search(r"\binitial\b", text)
    assert not re.search(r"^\s*reg\s+(\[[^\]]*\]\s*)?\S+\s*\[", text, re.M), "a reg array remains"
    assert verilog_for(params)[0] == text
