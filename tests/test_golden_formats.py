"""Format decoding and encoding against ml_dtypes and NumPy (references nobody here wrote)."""

import ml_dtypes
import numpy as np
import pytest

from nvlut import golden
from nvlut.spec.formats import WEIGHTS

REF_DTYPE = {"fp4": ml_dtypes.float4_e2m1fn, "fp8": ml_dtypes.float8_e4m3fn, "fp16": np.float16}
NCODES = {"fp4": 16, "fp8": 256, "fp16": 65536}


def ref_decode(codes, fmt):
    codes = np.asarray(codes)
    if fmt == "fp16":
        return codes.astype(np.uint16).view(np.float16).astype(np.float64)
    return codes.astype(np.uint8).view(REF_DTYPE[fmt]).astype(np.float64)


@pytest.mark.parametrize("fmt", WEIGHTS)
def test_every_code_decodes_as_the_reference(fmt):
    codes = np.arange(NCODES[fmt])
    ours, ref = golden.decode(codes, fmt), ref_decode(codes, fmt)
    assert np.array_equal(np.isnan(ours), np.isnan(ref))
    ok = ~np.isnan(ref)
    assert np.array_equal(ours[ok], ref[ok])
    assert np.array_equal(np.signbit(ours[ok]), np.signbit(ref[ok]))


@pytest.mark.parametrize("fmt", WEIGHTS)
def test_int_view_is_the_value_on_the_grid(fmt):
    codes = np.arange(NCODES[fmt])
    n, inf, nan = golden.int_view(codes, fmt)
    ref = ref_decode(codes, fmt)
    finite = np.isfinite(ref)
    assert np.array_equal(nan, np.isnan(ref))
    assert np.array_equal(inf != 0, np.isinf(ref))
    assert np.array_equal(np.ldexp(n[finite].astype(np.float64), -golden.GRID_EXP[fmt]), ref[finite])
    assert np.abs(n).max() == golden.MAX_INT[fmt]


def test_scale_view_matches_ml_dtypes():
    codes = np.arange(256)
    m, q, nan = golden.scale_view(codes)
    ref = ref_decode(codes, "fp8")
    assert np.array_equal(nan, np.isnan(ref))
    assert np.array_equal(np.ldexp(m[~nan].astype(np.float64), q[~nan]), ref[~nan])
    assert np.abs(m).max() == 15 and q.min() == -9 and q.max() == 5


def boundary_values(fmt):
    """float32 values at, between and a few ulps around every finite value of ``fmt``."""
    vals = ref_decode(np.arange(NCODES[fmt]), fmt)
    vals = np.unique(np.abs(vals[np.isfinite(vals)]))
    mids = (vals[:-1] + vals[1:]) / 2
    top = vals[-1]
    extra = [top * 1.5, top * 2, top + (top - vals[-2]) / 2, 1e30, np.inf]
    pts = np.concatenate([vals, mids, extra]).astype(np.float32)
    steps = np.arange(-3, 4, dtype=np.int32)
    around = (pts.view(np.int32)[:, None] + steps).reshape(-1).view(np.float32)
    around = around[np.isfinite(around) | np.isinf(around)]
    around = np.concatenate([around, [np.inf]]).astype(np.float32)
    around = around[~np.isnan(around) & (around >= 0)]
    return np.concatenate([around, -around]).astype(np.float32)


def random_float32(n, seed):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    bits = bits[~np.isnan(bits)]
    normal = (rng.standard_normal(n) * rng.choice([1e-3, 0.1, 1, 10, 300], n)).astype(np.float32)
    return np.concatenate([bits, normal])


@pytest.mark.parametrize("values", ["boundary", "random"])
def test_encode_e2m1_matches_ml_dtypes(values):
    x = boundary_values("fp4") if values == "boundary" else random_float32(400_000, 1)
    ref = x.astype(ml_dtypes.float4_e2m1fn).view(np.uint8) & 0xF
    assert np.array_equal(golden.encode_e2m1(x), ref)


@pytest.mark.parametrize("values", ["boundary", "random"])
def test_encode_e4m3_matches_ml_dtypes(values):
    x = boundary_values("fp8") if values == "boundary" else random_float32(400_000, 2)
    ref = x.astype(ml_dtypes.float8_e4m3fn).view(np.uint8)
    ours = golden.encode_e4m3(x)
    # ml_dtypes gives NaN with either sign bit; compare NaN-ness and the rest exactly
    ref_nan = (ref & 0x7F) == 0x7F
    assert np.array_equal((ours & 0x7F) == 0x7F, ref_nan)
    assert np.array_equal(ours[~ref_nan], ref[~ref_nan])


def test_encode_e4m3_saturating_differs_from_ml_dtypes_only_above_448():
    """NVFP4 block scales saturate at 448; ml_dtypes' cast gives NaN for anything rounding above 448.
    The saturating encoder is defined as ml_dtypes applied to the input clamped to [-448, 448]."""
    x = np.concatenate([boundary_values("fp8"), random_float32(200_000, 3)])
    sat = golden.encode_e4m3(x, saturate=True)
    ref = np.clip(x, -448, 448).astype(ml_dtypes.float8_e4m3fn).view(np.uint8)
    assert np.array_equal(sat, ref)
    plain = x.astype(ml_dtypes.float8_e4m3fn).view(np.uint8)
    differs = sat != plain
    assert differs.any()
    assert (np.abs(x[differs]) >= 464).all()        # 464 is the tie that ml_dtypes rounds to NaN


def test_encode_fp16_matches_numpy():
    x = random_float32(200_000, 4)
    with np.errstate(over="ignore"):             # overflow to +-inf is the IEEE result
        ref = x.astype(np.float16).view(np.uint16)
    assert np.array_equal(golden.encode_fp16(x), ref)


def test_encoders_reject_float64_and_nan():
    with pytest.raises(ValueError, match="x: expected a float32"):
        golden.encode_e2m1(np.zeros(3))
    with pytest.raises(ValueError, match="x: E2M1 has no NaN"):
        golden.encode_e2m1(np.array([np.nan], np.float32))


def test_binary32_round_trip():
    x = random_float32(10_000, 5)
    assert np.array_equal(golden.decode_binary32(golden.encode_binary32(x)).view(np.uint32),
                          x.view(np.uint32))
