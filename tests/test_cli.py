"""The nvlut command line: subcommands listed, bad arguments named with their allowed values."""

import subprocess
import sys

import pytest

from nvlut.gen.cli import SUBCOMMANDS, build_parser
from nvlut.spec.params import MacParams


def nvlut(*args):
    return subprocess.run([sys.executable, "-m", "nvlut.gen.cli", *args],
                          capture_output=True, text=True)


def test_help_lists_every_subcommand():
    out = nvlut("--help")
    assert out.returncode == 0
    for name in SUBCOMMANDS:
        assert name in out.stdout, f"{name} missing from nvlut --help"


def test_every_registered_subcommand_exists():
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert set(choices) == set(SUBCOMMANDS)


def test_demo_runs():
    out = nvlut("demo", "--length", "32")
    assert out.returncode == 0, out.stderr
    assert "golden MAC result" in out.stdout


def test_demo_prints_the_quantizer_recipe():
    assert "quantizer recipe torchao)" in nvlut("demo", "--length", "32").stdout
    out = nvlut("demo", "--length", "32", "--recipe", "modelopt")
    assert out.returncode == 0, out.stderr
    assert "quantizer recipe modelopt)" in out.stdout
    out = nvlut("demo", "--recipe", "cuda")
    assert out.returncode == 2
    assert "recipe: 'cuda' is not allowed; choose one of torchao, torchao-cuda, modelopt" in out.stderr


@pytest.mark.parametrize("args,message", [
    (["demo", "--block", "200"], "block: 200 is not allowed; use an integer from 4 to 128"),
    (["demo", "--length", "30"], "--length: 30 is not allowed; use a positive multiple of --block (16)"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_arguments_exit_nonzero_with_a_named_parameter(args, message):
    out = nvlut(*args)
    assert out.returncode == 2
    assert message in out.stderr


@pytest.mark.parametrize("kwargs,message", [
    (dict(weights="fp6"), "weights: 'fp6' is not allowed; choose one of fp4, fp8, fp16"),
    (dict(weight_scaling="row"), "weight_scaling: 'row' is not allowed; choose one of block, tensor"),
    (dict(block=3), "block: 3 is not allowed; use an integer from 4 to 128"),
    (dict(block=129), "block: 129 is not allowed"),
    (dict(multiplier="booth"), "multiplier: 'booth' is not allowed; choose one of lut, fulllut, mul"),
    (dict(lut_storage="flash"), "lut_storage: 'flash' is not allowed; choose one of rom, ram"),
    (dict(ecc="hamming"), "ecc: 'hamming' is not allowed; choose none, secded or msb<k>"),
    (dict(ecc="msb0"), "ecc: 'msb0' is not allowed"),
    (dict(max_blocks=0), "max_blocks: 0 is not allowed"),
    (dict(pipeline=9), "pipeline: 9 is not allowed; use an integer from 0 to 5"),
    (dict(final_stage="serial"), "final_stage: 'serial' is not allowed; choose one of parallel, "
                                 "iterative"),
    (dict(final_stage="iterative", pipeline=5), "use pipeline 0..4 with it"),
    (dict(multiplier="fulllut", weights="fp16"), "2^20-entry product table"),
    (dict(multiplier="mul", lut_storage="ram"), "multiplier 'mul' has none"),
    (dict(ecc="secded"), "it needs lut_storage 'ram'"),
])
def test_design_parameters_are_validated(kwargs, message):
    with pytest.raises(ValueError) as err:
        MacParams(**kwargs)
    assert message in str(err.value)


def test_design_names_are_unique_per_parameter_set():
    a = MacParams()
    assert a.name != a.replace(block=32).name != a.replace(pipeline=2).name
    assert a.replace(final_stage="iterative").name == a.name + "_fsiterative"
    assert a.name == MacParams().name


def test_flags_are_generated_from_the_parameter_schema():
    """One flag per MacParams field, and to_argv (the reproducers' command) parses back to the
    same parameters, for the default and for a design that sets every field."""
    import dataclasses

    from nvlut.gen.params import add_design_arguments, params_from_args
    import argparse

    parser = argparse.ArgumentParser()
    add_design_arguments(parser)
    flags = {s for a in parser._actions for s in a.option_strings} - {"-h", "--help"}
    assert flags == {"--" + f.name.replace("_", "-") for f in dataclasses.fields(MacParams)}
    every = MacParams(weights="fp8", weight_scaling="tensor", block=32, multiplier="fulllut",
                      lut_storage="ram", ecc="msb3", max_blocks=7, pipeline=3, fault_port=True,
                      final_stage="iterative")
    for params in (MacParams(), every):
        assert params_from_args(parser.parse_args(params.to_argv())) == params
    assert "--fault-port" in every.to_argv() and "--fault-port" not in MacParams().to_argv()
    assert params_from_args(parser.parse_args([]), ecc="secded", lut_storage="ram").ecc == "secded"


def test_ecc_mode_is_parsed_once():
    from nvlut.spec.ecc import EccMode

    assert [str(EccMode.parse(t)) for t in ("none", "secded", "msb7")] == ["none", "secded", "msb7"]
    assert EccMode.parse("msb7").protected_bits(9) == 7
    assert EccMode.parse("secded").protected_bits(9) == 9
    assert not EccMode.parse("none").enabled and EccMode.parse("msb1").enabled
    with pytest.raises(ValueError, match="ecc: cannot protect 10 bits of a 9-bit table entry"):
        EccMode.parse("msb10").protected_bits(9)
    for bad in ("msb0", "msb", "MSB2", "secded ", None, 3):
        with pytest.raises(ValueError, match="ecc: .* is not allowed"):
            EccMode.parse(bad)
