"""Decoding and encoding of the formats of ``docs/numerics.md`` section 1, vectorized in NumPy.

Codes are unsigned integers: E2M1 in the low nibble of a ``uint8``, E4M3 in a ``uint8``, binary16 in a
``uint16``, binary32 in a ``uint32``. Decoding is exact (to ``float64``); encoding rounds a ``float32``
to nearest, ties to even.
"""

import numpy as np

from nvlut.spec.formats import E2M1, E4M3, WEIGHT_FORMATS, WEIGHTS

#: exponent of the integer grid of each format: a finite value is ``n * 2**-GRID_EXP[fmt]``
#: (the format table's ``grid``, negated)
GRID_EXP = {name: -fmt.grid for name, fmt in WEIGHT_FORMATS.items()}

#: largest integer ``n`` of a finite value (section 1.1)
MAX_INT = {name: fmt.max_int for name, fmt in WEIGHT_FORMATS.items()}

#: code dtype of each format
CODE_DTYPE = {"fp4": np.uint8, "fp8": np.uint8, "fp16": np.uint16}

_E2M1_INT = np.array([0, 1, 2, 3, 4, 6, 8, 12], dtype=np.int64)
E4M3_MAX = E4M3.max_value
E2M1_MAX = E2M1.max_value


def check_format(fmt, name="weights"):
    if fmt not in WEIGHTS:
        raise ValueError(f"{name}: {fmt!r} is not allowed; choose one of {', '.join(WEIGHTS)}")


def check_codes(codes, fmt, name):
    """Return ``codes`` as an array of the format's code dtype, or raise naming ``name``."""
    codes = np.asarray(codes)
    if codes.dtype.kind not in "ui":
        raise ValueError(f"{name}: expected integer codes, got dtype {codes.dtype}")
    limit = {"fp4": 16, "fp8": 256, "fp16": 65536}[fmt]
    if codes.size and (codes.min() < 0 or codes.max() >= limit):
        raise ValueError(f"{name}: {fmt} codes must lie in 0..{limit - 1}")
    return codes.astype(CODE_DTYPE[fmt], copy=False)


def int_view(codes, fmt):
    """Signed integer view of section 1.1: ``(n, inf, nan)``.

    ``n`` (int64) is the exact value times ``2**GRID_EXP[fmt]``, 0 where the code is Inf or NaN;
    ``inf`` (int8) is +1/-1 for +-Inf (fp16 only), else 0; ``nan`` (bool) marks NaN codes.
    """
    check_format(fmt, "fmt")
    c = np.asarray(codes).astype(np.int64)
    if fmt == "fp4":
        neg = (c & 0x8) != 0
        mag = _E2M1_INT[c & 0x7]
        nan = np.zeros(c.shape, bool)
        inf = np.zeros(c.shape, np.int8)
    elif fmt == "fp8":
        neg = (c & 0x80) != 0
        e, m = (c >> 3) & 0xF, c & 0x7
        nan = (c & 0x7F) == 0x7F
        mag = np.where(e == 0, m, (8 + m) << np.maximum(e - 1, 0))
        mag = np.where(nan, 0, mag)
        inf = np.zeros(c.shape, np.int8)
    else:
        neg = (c & 0x8000) != 0
        e, m = (c >> 10) & 0x1F, c & 0x3FF
        special = e == 0x1F
        nan = special & (m != 0)
        is_inf = special & (m == 0)
        mag = np.where(e == 0, m, (1024 + m) << np.clip(e - 1, 0, 29))
        mag = np.where(special, 0, mag)
        inf = np.where(is_inf, np.where(neg, -1, 1), 0).astype(np.int8)
    return np.where(neg, -mag, mag), inf, nan


def scale_view(codes):
    """E4M3 scale as ``(M, Q, nan)``: value ``M * 2**Q`` with signed ``|M| <= 15``, ``Q`` in -9..5."""
    c = np.asarray(codes).astype(np.int64)
    e, m = (c >> 3) & 0xF, c & 0x7
    sig = np.where(e == 0, m, 8 + m)
    nan = (c & 0x7F) == 0x7F
    sig = np.where(nan, 0, sig)
    return np.where(c & 0x80, -sig, sig), np.maximum(e, 1) - 10, nan


def decode(codes, fmt):
    """Exact value of each code as ``float64`` (NaN codes give NaN, fp16 infinities +-inf)."""
    n, inf, nan = int_view(codes, fmt)
    out = np.ldexp(n.astype(np.float64), -GRID_EXP[fmt])
    # -0 codes decode to -0.0, as the references do
    sign_bit = {"fp4": 0x8, "fp8": 0x80, "fp16": 0x8000}[fmt]
    out = np.where((n == 0) & ((np.asarray(codes).astype(np.int64) & sign_bit) != 0), -0.0, out)
    out = np.where(inf > 0, np.inf, np.where(inf < 0, -np.inf, out))
    return np.where(nan, np.nan, out)


def decode_binary32(bits):
    """``uint32`` bit patterns to ``float32`` values (a reinterpretation, no rounding)."""
    return np.asarray(bits, dtype=np.uint32).view(np.float32)


def encode_binary32(x):
    """``float32`` values to their ``uint32`` bit patterns."""
    return np.asarray(x, dtype=np.float32).view(np.uint32)


def _round_to_grid(x, frac_bits, min_exp):
    """Round float32 ``|x|`` to ``frac_bits`` fraction bits, RNE, with exponents clamped at
    ``min_exp`` (subnormals); returns float64 magnitudes (exact: float32 inputs only)."""
    ax = np.abs(x.astype(np.float64))
    _, e = np.frexp(ax)                       # ax = f * 2**e, f in [0.5, 1)
    ulp_exp = np.maximum(e - 1, min_exp) - frac_bits
    return np.ldexp(np.rint(np.ldexp(ax, -ulp_exp)), ulp_exp)  # np.rint rounds half to even


def _as_float32(x, name):
    x = np.asarray(x)
    if x.dtype != np.float32:
        raise ValueError(f"{name}: expected a float32 array, got dtype {x.dtype} "
                         "(cast with np.float32 first; casting float64 would round twice)")
    return x


def encode_e2m1(x):
    """float32 -> E2M1 codes (``uint8``): RNE, magnitudes above 6 and +-Inf saturate to +-6.

    Matches ``ml_dtypes.float4_e2m1fn`` on every non-NaN input; NaN raises ``ValueError``.
    """
    x = _as_float32(x, "x")
    if np.isnan(x).any():
        raise ValueError("x: E2M1 has no NaN; NaN inputs cannot be encoded")
    mag = np.minimum(_round_to_grid(x, 1, 0), E2M1_MAX)
    idx = np.searchsorted(_E2M1_INT, (mag * 2).astype(np.int64))
    return (idx | np.where(np.signbit(x), 0x8, 0)).astype(np.uint8)


def encode_e4m3(x, saturate=False):
    """float32 -> E4M3 "fn" codes (``uint8``), RNE with subnormals.

    With ``saturate=False`` this matches ``ml_dtypes.float8_e4m3fn``: magnitudes that round above 448
    (anything >= 464) and +-Inf give NaN (0x7F/0xFF). With ``saturate=True`` they give +-448 instead
    (the NVFP4 block-scale rounding). NaN gives 0x7F (0xFF when the sign bit is set).
    """
    x = _as_float32(x, "x")
    mag = _round_to_grid(x, 3, -6)
    over = mag > E4M3_MAX
    mag = np.where(over, E4M3_MAX, mag)
    f, e = np.frexp(mag)                       # mag = f * 2**e
    normal = mag >= 2.0 ** -6
    exp_field = np.where(normal, e - 1 + 7, 0)
    man = np.where(normal, np.ldexp(f, 4) - 8, np.ldexp(mag, 9)).astype(np.int64)
    code = (exp_field.astype(np.int64) << 3) | man
    nan = np.isnan(x) | (over & (not saturate))
    code = np.where(nan, 0x7F, code)
    return (code | np.where(np.signbit(x), 0x80, 0)).astype(np.uint8)


def encode_fp16(x):
    """float32 -> binary16 codes (``uint16``), IEEE RNE (NumPy's cast)."""
    x = _as_float32(x, "x")
    with np.errstate(over="ignore"):             # overflow to +-Inf is the IEEE result
        return x.astype(np.float16).view(np.uint16)
