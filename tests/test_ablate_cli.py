"""`nvlut ablate`: a quick smoke run, resuming from cached checkpoints, argument errors."""

import csv
import os

import pytest

pytest.importorskip("torch")

from nvlut.gen import cli  # noqa: E402

QUICK = ["ablate", "--quick", "--models", "mlp,cnn1d", "--study", "block", "--study", "retrain",
         "--exact-samples", "8"]


def _rows(out):
    with open(os.path.join(out, "results.csv")) as f:
        return list(csv.DictReader(f))


def test_quick_smoke_writes_report_and_reruns_identically(tmp_path, capsys):
    out = str(tmp_path / "ablate")
    assert cli.main(QUICK + ["--out", out]) == 0
    first = capsys.readouterr().out
    assert "training mlp" in first and "retraining cnn1d" in first
    files = sorted(os.listdir(out))
    assert {"report.md", "results.csv", "results.json", "block.png", "retrain.png"} <= set(files)
    assert not [f for f in files if f.startswith(".tmp")]
    rows = _rows(out)
    got = {(r["model"], r["study"], r["variant"], r["mode"]) for r in rows}
    for model in ("mlp", "cnn1d"):
        for variant in ("float32", "B=4", "B=16"):
            assert (model, "block", variant, "fake") in got
        for variant in ("FP4 unscaled", "NVFP4", "NVFP4 + QAT"):
            assert (model, "retrain", variant, "fake") in got
        assert (model, "retrain", "NVFP4", "exact") in got
    for r in rows:
        assert 0.0 <= float(r["accuracy"]) <= 1.0
        if r["variant"] == "float32":
            assert float(r["accuracy"]) > 0.2          # trained: well above chance (0.1)
    report = open(os.path.join(out, "report.md")).read()
    assert "Unscaled FP4 collapses." in report and "| mlp |" in report
    assert "NVFP4 quantizer recipe: `torchao`" in report

    # a second run reuses every checkpoint and reproduces the numbers exactly
    before = open(os.path.join(out, "results.csv")).read()
    assert cli.main(QUICK + ["--out", out]) == 0
    second = capsys.readouterr().out
    assert "training" not in second
    assert open(os.path.join(out, "results.csv")).read() == before

    # one task per (model, seed) on two processes (nvlut.util.executor): the same rows, same order
    assert cli.main(QUICK + ["--out", out, "--jobs", "2"]) == 0
    assert "2 model runs on 2 local processes" in capsys.readouterr().out
    assert open(os.path.join(out, "results.csv")).read() == before


def test_report_states_the_recipe_it_ran(tmp_path, capsys):
    out = str(tmp_path / "ablate")
    assert cli.main(["ablate", "--quick", "--models", "mlp", "--study", "weights", "--weights",
                     "fp4", "--exact-samples", "4", "--recipe", "modelopt", "--out", out]) == 0
    assert "NVFP4 quantizer recipe: modelopt" in capsys.readouterr().out
    report = open(os.path.join(out, "report.md")).read()
    assert "NVFP4 quantizer recipe: `modelopt`" in report
    assert '"recipe": "modelopt"' in open(os.path.join(out, "results.json")).read()


def test_command_line_lists_every_model():
    from nvlut.ablate import choices, models

    assert tuple(models.MODELS) == choices.MODEL_NAMES


@pytest.mark.parametrize("args, message", [
    (["--models", "mlp,vgg"], "models: 'vgg' is not allowed; choose from mlp, lenet"),
    (["--study", "pruning"], "study: 'pruning' is not allowed; choose from block, weights"),
    (["--blocks", "16,256"], "blocks: 256 is not allowed; use an integer from 4 to 128"),
    (["--blocks", "2"], "blocks: 2 is not allowed"),
    (["--weights", "int8"], "weights: 'int8' is not allowed; choose from fp4, fp8, fp16"),
    (["--scales", "ue5m3"], "scales: 'ue5m3' is not allowed; choose from e4m3, e8m0, fp16, none"),
    (["--seeds", "0"], "seeds: 0 is not allowed"),
    (["--ecc-modes", "parity"], "ecc: 'parity' is not allowed"),
    (["--recipe", "cuda"], "recipe: 'cuda' is not allowed; choose from torchao, torchao-cuda, modelopt"),
])
def test_bad_arguments_name_the_parameter(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["ablate", "--out", str(tmp_path)] + args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert not os.listdir(tmp_path)


def test_weight_bits_per_element_follow_the_storage_formula():
    import torch

    from nvlut import golden
    from nvlut.ablate.studies import weight_bits_per_element

    layer = torch.nn.Linear(256, 16)              # N = 4096 elements in blocks along 256
    for block in (4, 16, 128):
        assert weight_bits_per_element(layer, block) == golden.bits_per_element(block, 4096)
    # a depthwise 3x3 convolution: 9-element rows, each padded to one block of 16
    conv = torch.nn.Conv2d(8, 8, 3, groups=8)
    assert weight_bits_per_element(conv, 16) == (4 * 72 + 8 * 8 + 32) / 72
