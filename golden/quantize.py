"""NVFP4 quantization and dequantization (``docs/numerics.md`` section 3).

Two-level scaling as in torchao 0.18 ``nvfp4_quantize`` with
``per_tensor_scale = per_tensor_amax_to_scale(amax)``; every step is a binary32 operation with
round-to-nearest-even, in the order written there.
"""

import dataclasses

import numpy as np

from .formats import E2M1_MAX, E4M3_MAX, decode, encode_e2m1, encode_e4m3

BLOCK_RANGE = (4, 128)
#: smallest normal E4M3 value, the lower clamp of the block scale
E4M3_MIN_NORMAL = np.float32(2.0 ** -6)


@dataclasses.dataclass(frozen=True)
class NVFP4:
    """An NVFP4 tensor: ``codes`` ``uint8[..., nb, block]`` (E2M1), ``scales`` ``uint8[..., nb]``
    (E4M3 block scales) and ``tensor_scale`` (``np.float32``)."""

    codes: np.ndarray
    scales: np.ndarray
    tensor_scale: np.float32

    @property
    def block(self):
        return self.codes.shape[-1]


def check_block(block):
    lo, hi = BLOCK_RANGE
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or not lo <= block <= hi:
        raise ValueError(f"block: {block!r} is not allowed; use an integer from {lo} to {hi}")


def tensor_scale(amax):
    """FP32 tensor scale ``amax / (6 * 448)``; 1 for an all-zero tensor."""
    amax = np.float32(amax)
    return np.float32(1.0) if amax == 0 else np.float32(amax / np.float32(E2M1_MAX * E4M3_MAX))


def quantize_nvfp4(x, block=16, global_scale=None):
    """Quantize a float32 tensor to NVFP4 along its last axis (blocks of ``block`` elements).

    ``global_scale`` overrides the tensor scale ``g`` (default: from ``max |x|``). Returns
    :class:`NVFP4`. Non-finite inputs and a last axis that is not a multiple of ``block`` raise
    ``ValueError``.
    """
    check_block(block)
    x = np.asarray(x)
    if x.dtype != np.float32:
        raise ValueError(f"x: expected a float32 array, got dtype {x.dtype}")
    if x.ndim == 0 or x.shape[-1] % block:
        raise ValueError(f"x: the last axis ({x.shape[-1] if x.ndim else 'scalar'}) must be a "
                         f"multiple of block={block}")
    if not np.isfinite(x).all():
        raise ValueError("x: NaN and infinite inputs cannot be quantized to NVFP4")
    xb = x.reshape(x.shape[:-1] + (x.shape[-1] // block, block))
    g = tensor_scale(np.abs(x).max(initial=0)) if global_scale is None else np.float32(global_scale)
    with np.errstate(over="ignore", divide="ignore"):
        if not (g > 0 and np.isfinite(np.float32(1.0) / g)):
            raise ValueError(f"x: the tensor scale {g!r} is zero or its reciprocal overflows float32 "
                             "(max |x| below about 2**-117); scale the tensor up first")
    block_amax = np.abs(xb).max(axis=-1)
    s = (block_amax / np.float32(E2M1_MAX)) / g
    scales = encode_e4m3(np.clip(s, E4M3_MIN_NORMAL, np.float32(E4M3_MAX)), saturate=True)
    s_dec = decode(scales, "fp8").astype(np.float32)
    reciprocal = (np.float32(1.0) / g) / s_dec
    y = np.clip(xb * reciprocal[..., None], -np.float32(E2M1_MAX), np.float32(E2M1_MAX))
    return NVFP4(encode_e2m1(y), scales, g)


def dequantize_nvfp4(q):
    """float32 values ``code * scale * tensor_scale`` (binary32 products in that order), with the
    block axis merged back into the last axis."""
    vals = decode(q.codes, "fp4").astype(np.float32)
    scaled = vals * decode(q.scales, "fp8").astype(np.float32)[..., None]
    out = scaled * np.float32(q.tensor_scale)
    return out.reshape(out.shape[:-2] + (out.shape[-2] * out.shape[-1],))


def bits_per_element(block, n):
    """Storage cost of NVFP4: ``4 + 8/block + 32/n`` bits per element."""
    return 4 + 8 / block + 32 / n
