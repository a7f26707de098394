"""Exact wide integers as NumPy arrays of 31-bit limbs, for the golden model's accumulator.

A wide integer is an ``int64`` array whose last axis holds limbs, least significant first:
``value = sum_k limb[k] * 2**(31*k)``. After :func:`normalize`, every limb but the last lies in
``0 .. 2**31 - 1`` and the last carries the sign. Limbs may be added element-wise without
normalizing as long as each stays within ``int64`` (2**32 additions of normalized limbs are safe).
"""

import numpy as np

LIMB_BITS = 31
LIMB_MASK = (1 << LIMB_BITS) - 1


def from_int64(x, shift, nlimbs):
    """Limbs of ``x * 2**shift`` for ``int64`` ``|x| < 2**62`` and ``0 <= shift < 31``."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    out = np.zeros(x.shape + (nlimbs,), np.int64)
    lo = (x & LIMB_MASK) << shift             # < 2**61
    hi = (x >> LIMB_BITS) << shift            # signed, |.| < 2**61
    out[..., 0] = lo & LIMB_MASK
    mid = hi + (lo >> LIMB_BITS)
    out[..., 1] = mid & LIMB_MASK
    out[..., 2] = mid >> LIMB_BITS
    return normalize(out)


def normalize(limbs):
    """Propagate carries so that all limbs but the top one lie in ``0 .. 2**31 - 1``."""
    limbs = limbs.copy()
    for k in range(limbs.shape[-1] - 1):
        carry = limbs[..., k] >> LIMB_BITS    # arithmetic shift: floor division
        limbs[..., k] &= LIMB_MASK
        limbs[..., k + 1] += carry
    return limbs


def is_negative(limbs):
    """Sign of normalized limbs."""
    return limbs[..., -1] < 0


def abs_(limbs):
    """Magnitude of normalized limbs (normalized)."""
    return normalize(np.where(is_negative(limbs)[..., None], -limbs, limbs))


def mul_small(limbs, factor):
    """Normalized limbs times a non-negative integer ``factor < 2**31`` (one per row)."""
    return normalize(limbs * np.asarray(factor, np.int64)[..., None])


def bit_length(limbs):
    """Bit length of non-negative normalized limbs (0 for zero)."""
    nonzero = limbs != 0
    nlimbs = limbs.shape[-1]
    top = nlimbs - 1 - np.argmax(nonzero[..., ::-1], axis=-1)
    top_limb = np.take_along_axis(limbs, top[..., None], axis=-1)[..., 0]
    _, e = np.frexp(top_limb.astype(np.float64))  # exact: limbs < 2**31
    return np.where(nonzero.any(axis=-1), top * LIMB_BITS + e, 0)


def extract(limbs, lo, width):
    """Bits ``lo .. lo+width-1`` of non-negative normalized limbs as ``int64`` (``width <= 31``,
    ``lo >= 0`` per row)."""
    lo = np.asarray(lo, np.int64)
    k = lo // LIMB_BITS
    r = lo % LIMB_BITS
    padded = np.concatenate([limbs, np.zeros(limbs.shape[:-1] + (2,), np.int64)], axis=-1)
    l0 = np.take_along_axis(padded, k[..., None], axis=-1)[..., 0]
    l1 = np.take_along_axis(padded, (k + 1)[..., None], axis=-1)[..., 0]
    return ((l0 >> r) | (l1 << (LIMB_BITS - r))) & ((1 << width) - 1)


def any_below(limbs, pos):
    """True where any bit below position ``pos`` (``pos >= 0``) of non-negative limbs is set."""
    pos = np.asarray(pos, np.int64)[..., None]
    base = np.arange(limbs.shape[-1], dtype=np.int64) * LIMB_BITS
    keep = np.clip(pos - base, 0, LIMB_BITS)
    mask = (np.int64(1) << keep) - 1
    return ((limbs & mask) != 0).any(axis=-1)
