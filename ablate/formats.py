"""Rounding of float32 torch tensors to the element and scale formats of the ablations.

Every function takes and returns ``torch.float32`` tensors and rounds to nearest, ties to even, as
``docs/numerics.md`` section 1 defines the formats. Rounding works on the exact binary grid of each
format (scale by a power of two, ``torch.round``, scale back), so every step is exact in float32
except the one rounding the format asks for. ``*_code`` functions turn values that are already
representable into the codes of ``nvlut.golden`` (``uint8`` tensors).
"""

import torch

from nvlut.spec.formats import BINARY16, E2M1, E4M3

E2M1_MAX = E2M1.max_value
E4M3_MAX = E4M3.max_value
E4M3_MIN_NORMAL = E4M3.min_normal
FP16_MAX = BINARY16.max_value
FP16_MIN_NORMAL = BINARY16.min_normal

#: E2M1 magnitudes times 2, indexed by the low three bits of the code
_E2M1_TWICE = (0, 1, 2, 3, 4, 6, 8, 12)


def _round_to_grid(x, frac_bits, min_exp):
    """``|x|`` rounded (RNE) to ``frac_bits`` fraction bits, exponents clamped at ``min_exp``."""
    ax = x.abs()
    _, e = torch.frexp(ax)                    # ax = f * 2**e, f in [0.5, 1)
    ulp_exp = torch.clamp(e - 1, min=min_exp) - frac_bits
    return torch.ldexp(torch.round(torch.ldexp(ax, -ulp_exp)), ulp_exp)


def _with_sign(mag, x):
    return torch.where(torch.signbit(x), -mag, mag)


def round_e2m1(x):
    """E2M1 value of ``x``: RNE, magnitudes above 6 saturate to 6, the sign of zero is kept."""
    return _with_sign(torch.clamp(_round_to_grid(x, 1, 0), max=E2M1_MAX), x)


def round_e4m3(x):
    """E4M3 value of ``x`` (RNE with subnormals); magnitudes above 448 saturate to 448."""
    return _with_sign(torch.clamp(_round_to_grid(x, 3, -6), max=E4M3_MAX), x)


def round_fp16(x):
    """binary16 value of ``x`` (IEEE RNE, overflow to infinity), as float32."""
    return x.to(torch.float16).to(torch.float32)


def pow2_floor(x):
    """``2**floor(log2 x)`` for positive ``x``; 1 where ``x`` is 0 (an all-zero block)."""
    _, e = torch.frexp(x)
    return torch.where(x > 0, torch.ldexp(torch.ones_like(x), e - 1), torch.ones_like(x))


def e2m1_code(v):
    """E2M1 codes of E2M1 values ``v`` (``-0.0`` gives ``0x8``)."""
    table = torch.tensor(_E2M1_TWICE, dtype=torch.float32)
    mag = torch.bucketize((v.abs() * 2).contiguous(), table).to(torch.uint8)
    return mag | (torch.signbit(v).to(torch.uint8) << 3)


def e4m3_code(v):
    """E4M3 codes of finite E4M3 values ``v``."""
    ax = v.abs()
    _, e = torch.frexp(ax)
    normal = ax >= E4M3_MIN_NORMAL
    exp_field = torch.where(normal, e - 1 + 7, torch.zeros_like(e))
    man = torch.where(normal, torch.ldexp(ax, 3 - (e - 1)) - 8, torch.ldexp(ax, torch.tensor(9)))
    code = (exp_field << 3) | man.to(torch.int32)
    return (code | (torch.signbit(v).to(torch.int32) << 7)).to(torch.uint8)
