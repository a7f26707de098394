"""An independent oracle for the dot product of docs/numerics.md.

Decodes every code with ml_dtypes / NumPy, evaluates the sum exactly in MPFR at a precision large
enough for every term to be exact, applies IEEE 754 semantics for NaN and infinities, and rounds once
with MPFR's binary32 context (precision 24, subnormals emulated, overflow to infinity). It shares no
code with nvlut.golden.
"""

import gmpy2
import ml_dtypes
import numpy as np

EXACT = gmpy2.context(precision=2000, emax=1 << 20, emin=-(1 << 20))
BINARY32 = gmpy2.ieee(32)
NAN_BITS = 0x7FC00000


def _decode(codes, fmt):
    if fmt == "fp16":
        return np.asarray(codes).astype(np.uint16).view(np.float16).astype(np.float64)
    dtype = {"fp4": ml_dtypes.float4_e2m1fn, "fp8": ml_dtypes.float8_e4m3fn}[fmt]
    return np.asarray(codes).astype(np.uint8).view(dtype).astype(np.float64)


def _ieee_sum(values):
    """Exact sum of float-or-mpfr values with IEEE special rules: ('nan'|'+inf'|'-inf'|mpfr)."""
    total = gmpy2.mpfr(0)
    pos = neg = False
    for v in values:
        if isinstance(v, str):
            if v == "nan":
                return "nan"
            pos |= v == "+inf"
            neg |= v == "-inf"
        else:
            total = total + v
    if pos and neg:
        return "nan"
    return "+inf" if pos else "-inf" if neg else total


def _ieee_mul(x, y):
    """Product of an ('nan'|'+inf'|'-inf'|mpfr) and a finite float, with IEEE special rules."""
    if isinstance(x, str):
        if x == "nan" or y == 0:
            return "nan"
        positive = (x == "+inf") == (not np.signbit(y))
        return "+inf" if positive else "-inf"
    return x * gmpy2.mpfr(float(y))


def oracle_dot(a, w, sa, sw, t, weights):
    """``(y, flags)``: binary32 bits of each dot product (``uint32[n]``) and the flags
    ``inexact``, ``overflow``, ``underflow`` (MPFR's view) and ``invalid`` (NaN result)."""
    av, wv = _decode(a, "fp4"), _decode(w, weights)
    sav = _decode(sa, "fp8")
    swv = None if sw is None else _decode(sw, "fp8")
    with np.errstate(invalid="ignore"):          # NaN bit patterns of t stay NaN
        tv = np.asarray(t, np.uint32).view(np.float32).astype(np.float64)
    out = np.empty((len(tv), 4), np.uint32)
    with np.errstate(invalid="ignore"):
        prods = av * wv        # exact in float64; IEEE gives NaN for inf * 0
    with gmpy2.context(EXACT):
        for k in range(len(tv)):
            out[k] = _one(prods[k], sav[k], None if swv is None else swv[k], tv[k])
    flags = {name: out[:, k + 1].astype(bool)
             for k, name in enumerate(("inexact", "overflow", "underflow"))}
    flags["invalid"] = out[:, 0] == NAN_BITS
    return out[:, 0].copy(), flags


def _one(prods, sav, swv, t):
    """(bits, inexact, overflow, underflow) of one dot product from its float64 element products
    and scales."""
    scales = [sav] if swv is None else [sav, swv]
    if any(np.isnan(s).any() for s in scales) or np.isnan(t):
        return NAN_BITS, 0, 0, 0
    terms = []
    for j in range(prods.shape[0]):
        block = _ieee_sum("nan" if np.isnan(p) else "+inf" if p == np.inf else
                          "-inf" if p == -np.inf else gmpy2.mpfr(float(p))
                          for p in prods[j])
        for s in scales:
            block = _ieee_mul(block, s[j])
        terms.append(block)
    return _round_times_t(_ieee_sum(terms), t)


def _round_times_t(total, t):
    if isinstance(total, str):
        if total == "nan" or t == 0:
            return NAN_BITS, 0, 0, 0
        positive = (total == "+inf") == (not np.signbit(t))
        return (0x7F800000 if positive else 0xFF800000), 0, 0, 0
    if np.isinf(t):
        if total == 0:
            return NAN_BITS, 0, 0, 0
        positive = (total > 0) == (t > 0)
        return (0x7F800000 if positive else 0xFF800000), 0, 0, 0
    if total == 0:   # an exact-zero sum is +0; +0 * t takes the sign of t
        return np.float32(0.0 * t).view(np.uint32), 0, 0, 0
    exact = total * gmpy2.mpfr(float(t))
    if exact == 0:   # a zero t: the sign of the product
        return (0x80000000 if (total < 0) != bool(np.signbit(t)) else 0), 0, 0, 0
    with gmpy2.context(BINARY32):
        rounded = gmpy2.mpfr(exact)
    value = np.float32(float(rounded))
    if value == 0:   # underflow to zero keeps the sign of the exact result
        value = np.float32(-0.0) if exact < 0 else np.float32(0.0)
    inexact = rounded != exact
    overflow = gmpy2.is_infinite(rounded)
    underflow = inexact and abs(exact) < gmpy2.mpfr(2) ** -126
    return value.view(np.uint32), int(inexact), int(overflow), int(underflow)
