"""The ablation studies: which quantized variants of every model are evaluated, and how.

Each study is a list of :class:`Variant` s; :func:`run_study` evaluates them for one model and seed
and returns result rows (dicts, the columns of ``results.csv``). Every study also records the float32
baseline of the same model and seed. The variants:

- ``block``: NVFP4 activations and weights with block size B in ``blocks`` (default 4..128); the x
  value is the weight storage cost in bits per element, ``4 + 8/B + 32/N`` summed over the model's
  layers (:func:`weight_bits_per_element`).
- ``weights``: NVFP4 activations (B=16) with fp4 (NVFP4), fp8 (E4M3, tensor scale amax/448) or fp16
  weights.
- ``scales``: activations and weights in fp4 with the block-scale precision varied at B=16: E4M3
  (NVFP4), E8M0 power of two (OCP MX rule), FP16, none (FP32 tensor scale only); plus MXFP4 (E8M0,
  B=32).
- ``retrain``: pure FP4 (direct E2M1 cast, no scales), NVFP4 without retraining, NVFP4 after
  quantization-aware retraining.
- ``faults``: NVFP4 in exact mode with the MAC's multiplier table read from faulty storage, versus
  bit error rate, per ECC mode (:mod:`nvlut.ablate.faults`).

Variants the MAC can compute (NVFP4 activations with NVFP4/fp8/fp16 weights) of the ``weights`` and
``retrain`` studies are also evaluated in exact mode (``nvlut.golden.dot``) on the first
``exact_samples`` test samples; their rows carry the fake-quantization accuracy on the same samples
and the fraction of identical predictions.
"""

import copy
import dataclasses

import torch

from nvlut.golden.quantize import check_block
from nvlut.spec.formats import WEIGHTS
from nvlut.util.cli_lists import check_choices

from . import data, models, train
from .choices import BLOCKS, SCALE_FORMATS, STUDIES
from .layers import QuantConfig, quantize_model, set_config
from .quant import NVFP4, Format

SCALE_LABELS = {"e4m3": "E4M3 (NVFP4)", "e8m0": "E8M0", "fp16": "FP16", "none": "none (tensor)"}


@dataclasses.dataclass(frozen=True)
class Variant:
    """One evaluated configuration: ``label`` in the report, layer ``config``, retrained or not."""

    label: str
    config: QuantConfig
    qat: bool = False
    block: int = 0

    @property
    def exact_ok(self):
        return self.config.act.is_nvfp4 and (
            self.config.weight.kind in ("fp8", "fp16") or
            (self.config.weight.is_nvfp4 and self.config.weight.block == self.config.act.block))


def _both(fmt):
    return QuantConfig(fmt, fmt)


def variants(study, blocks=BLOCKS, weights=WEIGHTS, scales=SCALE_FORMATS, recipe="torchao"):
    """The :class:`Variant` s of ``study`` (not ``faults``, which has its own sweep); every NVFP4
    operand is quantized with ``recipe``."""
    nvfp4 = dataclasses.replace(NVFP4, recipe=recipe)
    if study == "block":
        for b in blocks:
            check_block(b, "blocks")
        return [Variant(f"B={b}", _both(dataclasses.replace(nvfp4, block=b)), block=b)
                for b in blocks]
    if study == "weights":
        check_choices("weights", weights, WEIGHTS)
        wf = {"fp4": nvfp4, "fp8": Format("fp8"), "fp16": Format("fp16")}
        return [Variant(f"{w} weights", QuantConfig(nvfp4, wf[w])) for w in weights]
    if study == "scales":
        check_choices("scales", scales, SCALE_FORMATS)
        out = [Variant(SCALE_LABELS[s], _both(nvfp4 if s == "e4m3" else
                                              Format("fp4", "tensor" if s == "none" else s, 16)))
               for s in scales]
        return out + [Variant("MXFP4 (E8M0, B=32)", _both(Format("fp4", "e8m0", 32)))]
    if study == "retrain":
        return [Variant("FP4 unscaled", _both(Format("fp4", "unscaled"))),
                Variant("NVFP4", _both(nvfp4)),
                Variant("NVFP4 + QAT", _both(nvfp4), qat=True)]
    raise ValueError(f"study: {study!r} is not allowed; choose from {', '.join(STUDIES)}")


def weight_bits_per_element(model, block):
    """Storage bits per weight element of ``model``'s NVFP4 weights with block ``block``: per layer
    ``4 N + 8 * (rows * ceil(K / block)) + 32`` bits (K the reduction length, padded blocks count),
    summed over layers and divided by the total weight count."""
    bits = elements = 0
    for m in model.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d)):
            rows, k = m.weight.shape[0], m.weight[0].numel()
            bits += 4 * rows * k + 8 * rows * -(-k // block) + 32
            elements += rows * k
    return bits / elements


def accuracy(out, y):
    return (out.argmax(1) == y).float().mean().item()


@dataclasses.dataclass
class Evaluator:
    """Evaluates variants of one model and seed (caches the float model and its baseline)."""

    model_name: str
    seed: int
    settings: train.TrainSettings
    ckpt_dir: str
    exact_samples: int
    log: object = None

    def __post_init__(self):
        self.ds = data.load(models.dataset_of(self.model_name))
        self.base = train.float_model(self.model_name, self.seed, self.settings, self.ckpt_dir,
                                      self.log)

    def row(self, study, label, **fields):
        return {"model": self.model_name, "dataset": self.ds.name, "study": study,
                "variant": label, "seed": self.seed, **fields}

    def baseline(self, study):
        acc = accuracy(train.logits(self.base, self.ds.x_test), self.ds.y_test)
        return self.row(study, "float32", mode="fake", n_test=len(self.ds.y_test), accuracy=acc)

    def model_for(self, variant):
        if variant.qat:
            return train.qat_model(self.model_name, self.seed, self.settings, variant.config,
                                   self.ckpt_dir, self.log)
        return quantize_model(self.base, variant.config)

    def evaluate(self, study, variant, exact):
        """Rows for ``variant``: fake quantization on the whole test set, and exact mode if asked
        and possible."""
        model = self.model_for(variant)
        out = train.logits(model, self.ds.x_test)
        fields = {"block": variant.block or "",
                  "bits_per_element": (weight_bits_per_element(self.base, variant.block)
                                       if variant.block else "")}
        rows = [self.row(study, variant.label, mode="fake", n_test=len(self.ds.y_test),
                         accuracy=accuracy(out, self.ds.y_test), **fields)]
        if exact and variant.exact_ok and self.exact_samples:
            rows.append(self.exact_row(study, variant.label, model, out,
                                       dataclasses.replace(variant.config, exact=True), **fields))
        return rows

    def exact_row(self, study, label, model, fake_out, config, **fields):
        """Row of ``model`` (a quantized model) evaluated with ``config`` (exact mode) on the first
        ``exact_samples`` test samples, beside its fake-quantization outputs ``fake_out``."""
        n = min(self.exact_samples, len(self.ds.y_test))
        model = copy.deepcopy(model)
        set_config(model, config)
        out = train.logits(model, self.ds.x_test[:n])
        y = self.ds.y_test[:n]
        return self.row(study, label, mode="exact", n_test=n, accuracy=accuracy(out, y),
                        fake_accuracy=accuracy(fake_out[:n], y),
                        agreement=(out.argmax(1) == fake_out[:n].argmax(1)).float().mean().item(),
                        **fields)


def run_study(study, evaluator, exact=True, **choices):
    """Rows of ``study`` (not ``faults``) for the evaluator's model and seed."""
    rows = [evaluator.baseline(study)]
    for v in variants(study, **choices):
        rows += evaluator.evaluate(study, v, exact and study in ("weights", "retrain"))
    return rows
