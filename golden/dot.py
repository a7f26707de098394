"""The exact NVFP4 dot product of ``docs/numerics.md`` section 2, vectorized over a batch.

    y = RNE_binary32( t * sum_j sa[j] * sw[j] * sum_i a[j,i] * w[j,i] )

computed on the exact integer grid of section 2.1: element products and block sums in ``int64``,
the accumulator across blocks and its product with the significand of ``t`` as wide integers
(:mod:`nvlut.golden.limbs`), then one round-to-nearest-even to binary32.
"""

import math

import numpy as np

from . import limbs
from .formats import GRID_EXP, check_codes, check_format, int_view, scale_view

CANONICAL_NAN = np.uint32(0x7FC00000)
FLAGS = ("invalid", "overflow", "underflow", "inexact")

def q_min(block_scaled):
    """Exponent of the accumulator grid's scale part: -18 with a weight block scale, else -9."""
    return -18 if block_scaled else -9


def element_product(a, w, weights):
    """Exact products ``a * w`` of E2M1 codes ``a`` and ``weights`` codes ``w``: ``(p, inf, nan)``.

    ``p`` (int64) is the product on the grid ``2**-(1 + GRID_EXP[weights])``, 0 where the product is
    infinite or NaN; ``inf`` (int8) is +1/-1 for an infinite product (fp16 only); ``nan`` (bool) marks
    a NaN weight or an infinite weight times a zero activation.
    """
    check_format(weights)
    na, _, _ = int_view(a, "fp4")
    nw, inf_w, nan_w = int_view(w, weights)
    a_neg = (np.asarray(a).astype(np.int64) & 0x8) != 0
    nan = nan_w | ((inf_w != 0) & (na == 0))
    inf = np.where(nan, 0, np.where(a_neg, -inf_w, inf_w)).astype(np.int8)
    return na * nw, inf, nan


def _check_inputs(a, w, sa, sw, t, weights):
    check_format(weights)
    a = check_codes(a, "fp4", "a")
    w = check_codes(w, weights, "w")
    sa = check_codes(sa, "fp8", "sa")
    if a.ndim != 3:
        raise ValueError(f"a: expected shape [n, nb, B], got {a.shape}")
    if w.shape != a.shape:
        raise ValueError(f"w: expected shape {a.shape} (the shape of a), got {w.shape}")
    if sa.shape != a.shape[:2]:
        raise ValueError(f"sa: expected shape {a.shape[:2]} ([n, nb]), got {sa.shape}")
    if sw is not None:
        sw = check_codes(sw, "fp8", "sw")
        if sw.shape != a.shape[:2]:
            raise ValueError(f"sw: expected shape {a.shape[:2]} ([n, nb]) or None, got {sw.shape}")
    t = np.asarray(t)
    if t.dtype != np.uint32 or t.shape != a.shape[:1]:
        raise ValueError(f"t: expected uint32 binary32 bits of shape {a.shape[:1]}, "
                         f"got {t.dtype} {t.shape}")
    return a, w, sa, sw, t


def dot_flags(a, w, sa, sw, t, weights="fp4", products=None):
    """The dot product and its status flags: ``(y, flags)``.

    ``y`` is ``uint32[n]`` (binary32 bits); ``flags`` maps each name of :data:`FLAGS` to ``bool[n]``.
    Arguments as for :func:`dot`. ``products``, if given, is a ``(p, inf, nan)`` triple of
    ``[n, nb, B]`` arrays used instead of :func:`element_product` ``(a, w, weights)``: the products
    that faulty multiplier tables deliver (:mod:`nvlut.golden.faults`).
    """
    a, w, sa, sw, t = _check_inputs(a, w, sa, sw, t, weights)
    n, nb, _ = a.shape

    # Blocks: exact integer sums and the infinities / NaNs they contain.
    p, p_inf, p_nan = element_product(a, w, weights) if products is None else products
    block_sum = p.sum(axis=-1)
    block_nan = p_nan.any(axis=-1)
    block_pinf = (p_inf > 0).any(axis=-1)
    block_ninf = (p_inf < 0).any(axis=-1)

    # Scales: M * 2**Q.
    m, q, scale_nan = scale_view(sa)
    if sw is not None:
        m_w, q_w, nan_w = scale_view(sw)
        m, q, scale_nan = m * m_w, q + q_w, scale_nan | nan_w
    qmin = q_min(sw is not None)

    # Terms: NaN, +Inf or -Inf per block (docs/numerics.md 2.2).
    block_has_inf = block_pinf | block_ninf
    term_nan = block_nan | scale_nan | (block_pinf & block_ninf) | (block_has_inf & (m == 0))
    term_pinf = ~term_nan & ((block_pinf & (m > 0)) | (block_ninf & (m < 0)))
    term_ninf = ~term_nan & ((block_ninf & (m > 0)) | (block_pinf & (m < 0)))
    any_pinf, any_ninf = term_pinf.any(axis=-1), term_ninf.any(axis=-1)

    # The exact accumulator X = sum_j S_j * M_j * 2**(Q_j - Qmin).
    nlimbs = 4 + math.ceil(max(nb, 1).bit_length() / limbs.LIMB_BITS) + 1
    acc = limbs.from_int64(block_sum * m, q - qmin, nlimbs).sum(axis=1)
    acc = limbs.normalize(acc)
    negative = limbs.is_negative(acc)
    magnitude = limbs.abs_(acc)

    # The tensor scale t = m_t * 2**e_t.
    t_sign = (t >> 31).astype(bool)
    t_exp = ((t >> 23) & 0xFF).astype(np.int64)
    t_frac = (t & 0x7FFFFF).astype(np.int64)
    t_nan = (t_exp == 0xFF) & (t_frac != 0)
    t_inf = (t_exp == 0xFF) & (t_frac == 0)
    t_zero = (t_exp == 0) & (t_frac == 0)
    m_t = np.where(t_exp > 0, t_frac | (1 << 23), t_frac)
    m_t = np.where(t_exp == 0xFF, 0, m_t)
    e_t = np.maximum(t_exp, 1) - 150

    # Round |X| * m_t * 2**E once to binary32.
    prod = limbs.mul_small(magnitude, m_t)
    exp = qmin - 1 - GRID_EXP[weights] + e_t          # value = prod * 2**exp
    length = limbs.bit_length(prod)
    shift = np.maximum(length - 24, -149 - exp)      # drop this many bits (negative: exact)
    right = np.maximum(shift, 0)
    sig = limbs.extract(prod, right, 24) << np.maximum(-shift, 0)
    round_bit = np.where(shift > 0, limbs.extract(prod, np.maximum(shift - 1, 0), 1), 0)
    sticky = (shift > 1) & limbs.any_below(prod, np.maximum(shift - 1, 0))
    sig = sig + (round_bit & (sticky | (sig & 1)))
    ulp_exp = exp + shift
    carry = sig >> 24
    sig, ulp_exp = sig >> carry, ulp_exp + carry
    biased = np.where(sig >= (1 << 23), ulp_exp + 150, 0)
    frac = sig & 0x7FFFFF
    overflowed = biased >= 0xFF
    sign = negative ^ t_sign
    finite_bits = np.where(overflowed, 0x7F800000, (biased << 23) | frac)

    # Special cases, in priority order.
    sum_inf = any_pinf | any_ninf
    sum_zero = length == 0
    result_nan = (term_nan.any(axis=-1) | t_nan | (any_pinf & any_ninf)
                  | (sum_inf & t_zero) | (~sum_inf & (limbs.bit_length(magnitude) == 0) & t_inf))
    inf_sign = np.where(sum_inf, any_ninf, negative) ^ t_sign
    result_inf = ~result_nan & (sum_inf | t_inf)
    y = np.where(result_inf, 0x7F800000 | (inf_sign.astype(np.int64) << 31),
                 finite_bits | (sign.astype(np.int64) << 31))
    y = np.where(result_nan, CANONICAL_NAN, y).astype(np.uint32)

    finite = ~result_nan & ~result_inf & ~sum_zero
    inexact = finite & (overflowed | (round_bit != 0) | sticky)
    flags = {
        "invalid": result_nan,
        "overflow": finite & overflowed,
        "underflow": finite & (length - 1 + exp < -126) & inexact,
        "inexact": inexact,
    }
    return y, flags


def dot(a, w, sa, sw, t, weights="fp4"):
    """Batch of NVFP4 dot products, bit-exact per ``docs/numerics.md``.

    ``a``: ``uint8[n, nb, B]`` E2M1 codes; ``w``: ``uint8`` (fp4, fp8) or ``uint16`` (fp16)
    ``[n, nb, B]`` weight codes; ``sa``: ``uint8[n, nb]`` E4M3 activation block scales; ``sw``:
    ``uint8[n, nb]`` E4M3 weight block scales or ``None`` (no weight block scale); ``t``:
    ``uint32[n]`` binary32 bits of the tensor scale. Returns ``uint32[n]`` binary32 bits.
    """
    return dot_flags(a, w, sa, sw, t, weights)[0]
