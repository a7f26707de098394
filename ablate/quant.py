"""Fake quantization of float32 torch tensors to the number formats of the ablations.

A :class:`Format` names what one operand (activations or weights of a layer) is rounded to. Block
formats group ``block`` consecutive elements of the last axis; the caller lays the reduction
dimension of the dot products there (see :mod:`nvlut.ablate.layers`). A last axis that is not a
multiple of ``block`` is padded with zeros, which changes neither a block maximum nor a dot product.

The *tensor* whose maximum sets the FP32 tensor scale is everything after the first ``batch_dims``
axes: ``batch_dims=1`` gives every sample of a batch its own tensor scale, so a prediction never
depends on the other samples of its batch (the host computes the scale per input, as it would per
token); ``batch_dims=0`` is the whole tensor (weights).

``nvfp4`` follows ``docs/numerics.md`` section 3 operation by operation in float32, in the recipe
``Format.recipe`` names (``torchao``, ``torchao-cuda`` or ``modelopt``), so its codes, scales and
dequantized values are bit-identical to :func:`nvlut.golden.quantize_nvfp4` and
:func:`nvlut.golden.dequantize_nvfp4` with the same recipe (``tests/test_ablate_quant.py``).
"""

import dataclasses

import torch

from nvlut.golden.quantize import check_block, check_recipe
from nvlut.spec.params import DEFAULT_BLOCK

from .formats import (E2M1_MAX, E4M3_MAX, E4M3_MIN_NORMAL, FP16_MAX, FP16_MIN_NORMAL,
                      pow2_floor, round_e2m1, round_e4m3, round_fp16)

KINDS = ("float32", "fp4", "fp8", "fp16")
#: how an fp4 operand is scaled: E4M3 block scale + FP32 tensor scale (NVFP4), power-of-two E8M0
#: block scale (OCP MX), FP16 block scale, FP32 tensor scale only, no scale at all ("pure FP4")
FP4_SCALES = ("e4m3", "e8m0", "fp16", "tensor", "unscaled")
#: smallest E8M0 scale
E8M0_MIN = 2.0 ** -127
#: smallest subnormal E4M3 value, ModelOpt's lower clamp of the block scale
E4M3_MIN_SUBNORMAL = 2.0 ** -9
#: the float32 reciprocals PyTorch on CUDA multiplies by in place of ``/ 2688`` and ``/ 6``
CUDA_RECIPROCAL_2688 = torch.tensor(1.0) / torch.tensor(E2M1_MAX * E4M3_MAX)
CUDA_RECIPROCAL_6 = torch.tensor(1.0) / torch.tensor(E2M1_MAX)


@dataclasses.dataclass(frozen=True)
class Format:
    """Number format of one operand.

    ``kind``: ``float32`` (unchanged), ``fp4`` (E2M1 elements, scaled as ``scale`` says, blocks of
    ``block``), ``fp8`` (E4M3 with the FP32 tensor scale ``amax / 448``) or ``fp16`` (binary16, no
    scale). ``recipe``: the NVFP4 quantizer (one of ``RECIPES``, ``docs/numerics.md`` section 3);
    it applies to fp4 with ``e4m3`` scales only.
    """

    kind: str = "fp4"
    scale: str = "e4m3"
    block: int = DEFAULT_BLOCK
    recipe: str = "torchao"

    def __post_init__(self):
        check_recipe(self.recipe)
        if self.kind not in KINDS:
            raise ValueError(f"format: {self.kind!r} is not allowed; choose one of {', '.join(KINDS)}")
        if self.kind == "fp4":
            if self.scale not in FP4_SCALES:
                raise ValueError(f"scale: {self.scale!r} is not allowed for fp4; choose one of "
                                 f"{', '.join(FP4_SCALES)}")
            check_block(self.block)

    @property
    def block_scaled(self):
        return self.kind == "fp4" and self.scale in ("e4m3", "e8m0", "fp16")

    @property
    def is_nvfp4(self):
        return self.kind == "fp4" and self.scale == "e4m3"

    @property
    def label(self):
        if self.kind != "fp4":
            return self.kind
        if self.scale == "e4m3":
            return f"NVFP4 B={self.block}"
        if self.scale == "e8m0":
            return "MXFP4" if self.block == 32 else f"FP4+E8M0 B={self.block}"
        if self.scale == "fp16":
            return f"FP4+FP16 B={self.block}"
        return "FP4 tensor-scaled" if self.scale == "tensor" else "FP4 unscaled"

    def key(self):
        """A short, file-name-safe identifier."""
        if self.kind != "fp4":
            return self.kind
        return f"fp4-{self.scale}" + (f"-b{self.block}" if self.block_scaled else "")


FLOAT32 = Format("float32")
NVFP4 = Format("fp4", "e4m3", 16)


@dataclasses.dataclass
class BlockQuantized:
    """An fp4 operand: E2M1 ``values`` ``[..., nb, block]``, block ``scales`` ``[..., nb]`` and
    ``tensor_scale`` (shape of the batch axes, or scalar); the value of an element is
    ``values * (scales * tensor_scale)`` in float32, in that order (``dequantize``), with ``-0``
    values read as ``+0`` under the ``modelopt`` recipe (ModelOpt's E2M1 table)."""

    values: torch.Tensor
    scales: torch.Tensor
    tensor_scale: torch.Tensor
    length: int
    recipe: str = "torchao"

    def dequantize(self):
        g = self.tensor_scale.reshape(self.tensor_scale.shape + (1,) * (self.scales.dim() -
                                                                         self.tensor_scale.dim()))
        values = self.values
        if self.recipe == "modelopt":
            values = torch.where(values == 0, torch.zeros_like(values), values)
        out = values * (self.scales * g).unsqueeze(-1)
        return out.flatten(-2)[..., :self.length]


def _amax(x, batch_dims):
    """max |x| over the axes after the first ``batch_dims``."""
    return x.abs().flatten(batch_dims).amax(-1) if x.dim() > batch_dims else x.abs()


def _tensor_scale(amax, divisor):
    """FP32 tensor scale ``amax / divisor``; 1 for an all-zero tensor (numerics section 3)."""
    return torch.where(amax == 0, torch.ones_like(amax), amax / torch.tensor(divisor))


def _nvfp4_tensor_scale(amax, recipe):
    """NVFP4 tensor scale ``amax / 2688`` (``amax * f32(1/2688)`` for ``torchao-cuda``); 1 for an
    all-zero tensor."""
    if recipe == "torchao-cuda":
        return torch.where(amax == 0, torch.ones_like(amax), amax * CUDA_RECIPROCAL_2688)
    return _tensor_scale(amax, E2M1_MAX * E4M3_MAX)


def _blocks(x, block):
    pad = -x.shape[-1] % block
    if pad:
        x = torch.nn.functional.pad(x, (0, pad))
    return x.unflatten(-1, (x.shape[-1] // block, block))


def _expand(g, like, batch_dims):
    """Tensor scale ``g`` (batch shape) broadcast against block tensors ``like`` ``[..., nb]``."""
    return g.reshape(g.shape + (1,) * (like.dim() - batch_dims))


def quantize_fp4(x, fmt, batch_dims=0):
    """Quantize float32 ``x`` to the fp4 format ``fmt``: :class:`BlockQuantized`.

    ``e4m3`` is ``docs/numerics.md`` section 3 (NVFP4) in the recipe ``fmt.recipe``. ``e8m0`` is the OCP MX rule: scale
    ``2**(floor(log2 a_b) - 2)`` (exact, at least ``2**-127``; ``a_b`` the block maximum),
    elements rounded to nearest even and saturated at 6 (no tensor scale). ``fp16``: block scale
    ``fp16(clamp(a_b / 6, 2**-14, 65504))``, no tensor scale. ``tensor``: one FP32 scale
    ``amax / 6``, no block scale. ``unscaled``: a direct E2M1 cast. Kinds without a block scale
    still come back in blocks (scales 1).
    """
    if fmt.kind != "fp4":
        raise ValueError(f"format: quantize_fp4 needs an fp4 format, got {fmt.kind!r}")
    xb = _blocks(x, fmt.block)
    block_amax = xb.abs().amax(-1)
    ones = torch.ones_like(block_amax)
    batch_shape = x.shape[:batch_dims]
    g = torch.ones(batch_shape)
    if fmt.scale == "e4m3":
        g = _nvfp4_tensor_scale(_amax(x, batch_dims), fmt.recipe)
        ge = _expand(g, block_amax, batch_dims)
        if fmt.recipe == "modelopt":
            return _modelopt_nvfp4(xb, block_amax, g, ge, x.shape[-1])
        if fmt.recipe == "torchao-cuda":
            sixth = block_amax * CUDA_RECIPROCAL_6
        else:
            sixth = block_amax / torch.tensor(E2M1_MAX)
        scales = round_e4m3(torch.clamp(sixth / ge, E4M3_MIN_NORMAL, E4M3_MAX))
        reciprocal = (1.0 / ge) / scales
    elif fmt.scale == "fp16":
        scales = round_fp16(torch.clamp(block_amax / torch.tensor(E2M1_MAX),
                                        FP16_MIN_NORMAL, FP16_MAX))
        reciprocal = 1.0 / scales
    elif fmt.scale == "e8m0":
        scales = torch.clamp(torch.ldexp(pow2_floor(block_amax), torch.tensor(-2)),
                             min=E8M0_MIN)
        reciprocal = 1.0 / scales
    elif fmt.scale == "tensor":
        g = _tensor_scale(_amax(x, batch_dims), E2M1_MAX)
        scales = ones
        reciprocal = 1.0 / _expand(g, block_amax, batch_dims).expand_as(block_amax)
    else:
        scales = reciprocal = ones
    y = torch.clamp(xb * reciprocal.unsqueeze(-1), -E2M1_MAX, E2M1_MAX)
    return BlockQuantized(round_e2m1(y), scales, g, x.shape[-1], fmt.recipe)


def _modelopt_nvfp4(xb, block_amax, g, ge, length):
    """ModelOpt's NVFP4: ``s = a_b / (6 * g)``, 0 replaced by 1, ``S = E4M3(clamp(s, 2^-9, 448))``,
    values ``E2M1(x / (S * g))`` saturating, ``-0.0`` giving ``+0``."""
    s = block_amax / (E2M1_MAX * ge)
    s = torch.where(s == 0, torch.ones_like(s), s)
    scales = round_e4m3(torch.clamp(s, E4M3_MIN_SUBNORMAL, E4M3_MAX))
    y = xb / (scales * ge).unsqueeze(-1)
    y = torch.where(y == 0, torch.zeros_like(y), y)
    return BlockQuantized(round_e2m1(y), scales, g, length, "modelopt")


def fp8_tensor_scale(x):
    """FP32 tensor scale of an fp8 (E4M3) operand: ``amax / 448`` (1 for an all-zero tensor)."""
    return _tensor_scale(x.abs().amax(), E4M3_MAX)


def quantize_fp8(x):
    """E4M3 values ``round_e4m3(clamp(x * (1 / g), -448, 448))`` and the tensor scale ``g``."""
    g = fp8_tensor_scale(x)
    return round_e4m3(torch.clamp(x * (1.0 / g), -E4M3_MAX, E4M3_MAX)), g


def fake_quantize(x, fmt, batch_dims=0):
    """``x`` rounded to ``fmt`` and scaled back (float32, same shape), with a straight-through
    gradient: the backward pass treats the rounding as the identity."""
    with torch.no_grad():
        if fmt.kind == "float32":
            return x
        if fmt.kind == "fp4":
            q = quantize_fp4(x, fmt, batch_dims).dequantize()
        elif fmt.kind == "fp8":
            values, g = quantize_fp8(x)
            q = values * g
        else:
            q = round_fp16(x)
    # x - x.detach() is exactly 0, so the forward value is q bit for bit.
    return q + (x - x.detach()) if x.requires_grad else q
