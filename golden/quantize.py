"""NVFP4 quantization and dequantization (``docs/numerics.md`` section 3).

Two-level scaling (E4M3 block scales and an FP32 tensor scale) in one of three *recipes*, each
bit-exact to the quantizer it is named after:

- ``torchao``: torchao 0.18 ``nvfp4_quantize`` with ``per_tensor_scale =
  per_tensor_amax_to_scale(amax)``, run on the CPU (the default);
- ``torchao-cuda``: the same call run on a CUDA device, where PyTorch evaluates a tensor divided by
  a Python scalar as the tensor times the float32 reciprocal of the scalar;
- ``modelopt``: NVIDIA ModelOpt 0.47 ``NVFP4QTensor.quantize`` (the dynamic path: scales computed
  from the tensor), run on the CPU.

Every step is a binary32 operation with round-to-nearest-even, in the order written in section 3.
"""

import dataclasses

import numpy as np

from nvlut.spec.params import BLOCK_RANGE, DEFAULT_BLOCK

from .formats import E2M1_MAX, E4M3_MAX, decode, encode_e2m1, encode_e4m3

RECIPES = ("torchao", "torchao-cuda", "modelopt")
#: smallest normal E4M3 value, the lower clamp of the block scale (torchao)
E4M3_MIN_NORMAL = np.float32(2.0 ** -6)
#: smallest subnormal E4M3 value, the lower clamp of the block scale (ModelOpt)
E4M3_MIN_SUBNORMAL = np.float32(2.0 ** -9)
#: 2688 = 6 * 448, the divisor of the tensor scale
TENSOR_SCALE_DIVISOR = np.float32(E2M1_MAX * E4M3_MAX)
#: the float32 reciprocals a CUDA device multiplies by in place of ``/ 2688`` and ``/ 6``
CUDA_RECIPROCAL_2688 = np.float32(1.0) / TENSOR_SCALE_DIVISOR
CUDA_RECIPROCAL_6 = np.float32(1.0) / np.float32(E2M1_MAX)


@dataclasses.dataclass(frozen=True)
class NVFP4:
    """An NVFP4 tensor: ``codes`` ``uint8[..., nb, block]`` (E2M1), ``scales`` ``uint8[..., nb]``
    (E4M3 block scales), ``tensor_scale`` (``np.float32``) and the ``recipe`` that made it."""

    codes: np.ndarray
    scales: np.ndarray
    tensor_scale: np.float32
    recipe: str = "torchao"

    @property
    def block(self):
        return self.codes.shape[-1]


def check_block(block, name="block"):
    """Raise ``ValueError`` naming ``name`` unless ``block`` is an integer in ``BLOCK_RANGE``."""
    lo, hi = BLOCK_RANGE
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or not lo <= block <= hi:
        raise ValueError(f"{name}: {block!r} is not allowed; use an integer from {lo} to {hi}")


def check_recipe(recipe):
    if not isinstance(recipe, str) or recipe not in RECIPES:
        raise ValueError(f"recipe: {recipe!r} is not allowed; choose one of {', '.join(RECIPES)}")


def tensor_scale(amax, recipe="torchao"):
    """FP32 tensor scale ``amax / 2688`` (``amax * f32(1/2688)`` for ``torchao-cuda``); 1 for an
    all-zero tensor."""
    check_recipe(recipe)
    amax = np.float32(amax)
    if amax == 0:
        return np.float32(1.0)
    if recipe == "torchao-cuda":
        return np.float32(amax * CUDA_RECIPROCAL_2688)
    return np.float32(amax / TENSOR_SCALE_DIVISOR)


def quantize_nvfp4(x, block=DEFAULT_BLOCK, global_scale=None, recipe="torchao"):
    """Quantize a float32 tensor to NVFP4 along its last axis (blocks of ``block`` elements),
    following ``recipe`` (one of :data:`RECIPES`, ``docs/numerics.md`` section 3).

    ``global_scale`` overrides the tensor scale ``g`` (default: from ``max |x|``). Returns
    :class:`NVFP4`. Non-finite inputs and a last axis that is not a multiple of ``block`` raise
    ``ValueError``.
    """
    check_block(block)
    check_recipe(recipe)
    x = np.asarray(x)
    if x.dtype != np.float32:
        raise ValueError(f"x: expected a float32 array, got dtype {x.dtype}")
    if x.ndim == 0 or x.shape[-1] % block:
        raise ValueError(f"x: the last axis ({x.shape[-1] if x.ndim else 'scalar'}) must be a "
                         f"multiple of block={block}")
    if not np.isfinite(x).all():
        raise ValueError("x: NaN and infinite inputs cannot be quantized to NVFP4")
    xb = x.reshape(x.shape[:-1] + (x.shape[-1] // block, block))
    g = (tensor_scale(np.abs(x).max(initial=0), recipe) if global_scale is None
         else np.float32(global_scale))
    with np.errstate(over="ignore", divide="ignore"):
        if not (g > 0 and np.isfinite(np.float32(1.0) / g)):
            raise ValueError(f"x: the tensor scale {g!r} is zero or its reciprocal overflows float32 "
                             "(max |x| below about 2**-117); scale the tensor up first")
    block_amax = np.abs(xb).max(axis=-1)
    if recipe == "modelopt":
        codes, scales = _modelopt_codes_and_scales(xb, block_amax, g)
    else:
        codes, scales = _torchao_codes_and_scales(xb, block_amax, g, recipe)
    return NVFP4(codes, scales, g, recipe)


def _torchao_codes_and_scales(xb, block_amax, g, recipe):
    """torchao: ``S = E4M3(clamp((a_b / 6) / g, 2^-6, 448))``, ``code = E2M1(clamp(x * ((1 / g) /
    S), -6, 6))``; on CUDA ``a_b / 6`` is ``a_b * f32(1/6)``."""
    if recipe == "torchao-cuda":
        sixth = block_amax * CUDA_RECIPROCAL_6
    else:
        sixth = block_amax / np.float32(E2M1_MAX)
    s = sixth / g
    scales = encode_e4m3(np.clip(s, E4M3_MIN_NORMAL, np.float32(E4M3_MAX)), saturate=True)
    s_dec = decode(scales, "fp8").astype(np.float32)
    reciprocal = (np.float32(1.0) / g) / s_dec
    y = np.clip(xb * reciprocal[..., None], -np.float32(E2M1_MAX), np.float32(E2M1_MAX))
    return encode_e2m1(y), scales


def _modelopt_codes_and_scales(xb, block_amax, g):
    """ModelOpt: ``s = a_b / (6 * g)``, 0 replaced by 1, ``S = E4M3(clamp(s, 2^-9, 448))``,
    ``code = E2M1(x / (S * g))`` (saturating, no clamp first; the sign bit is ``y < 0``, so ``-0.0``
    gives code ``0x0``)."""
    s = block_amax / (np.float32(E2M1_MAX) * g)
    s = np.where(s == 0, np.float32(1.0), s)
    scales = encode_e4m3(np.clip(s, E4M3_MIN_SUBNORMAL, np.float32(E4M3_MAX)), saturate=True)
    s_dec = decode(scales, "fp8").astype(np.float32)
    y = xb / (s_dec * g)[..., None]
    y = np.where(y == 0, np.float32(0.0), y)
    return encode_e2m1(y), scales


def dequantize_nvfp4(q):
    """float32 values ``code * (scale * tensor_scale)`` (binary32 products in that order, as torchao
    and ModelOpt dequantize), with the block axis merged back into the last axis. Under the
    ``modelopt`` recipe code ``0x8`` decodes as ``+0`` (ModelOpt's E2M1 table), otherwise as ``-0``."""
    check_recipe(q.recipe)
    vals = decode(q.codes, "fp4").astype(np.float32)
    if q.recipe == "modelopt":
        vals = np.where(vals == 0, np.float32(0.0), vals)
    scale = decode(q.scales, "fp8").astype(np.float32) * np.float32(q.tensor_scale)
    out = vals * scale[..., None]
    return out.reshape(out.shape[:-2] + (out.shape[-2] * out.shape[-1],))


def bits_per_element(block, n):
    """Storage cost of NVFP4: ``4 + 8/block + 32/n`` bits per element."""
    return 4 + 8 / block + 32 / n
