"""nvlut.golden.dot against the independent MPFR oracle (tests/dot_oracle.py)."""

import numpy as np
import pytest

from nvlut import golden
from nvlut.spec.accumulator import accumulator_width
from dot_oracle import NAN_BITS, oracle_dot

F32 = lambda v: np.float32(v).view(np.uint32)       # noqa: E731
ONE_E4M3 = 0x38
W_ONE = {"fp4": 0x2, "fp8": 0x38, "fp16": 0x3C00}


def random_case(rng, n, nb, block, weights, block_scaled):
    """Random codes everywhere, with scales and t drawn to reach every result class."""
    a = rng.integers(0, 16, (n, nb, block), dtype=np.uint8)
    wmax = {"fp4": 16, "fp8": 256, "fp16": 65536}[weights]
    w = rng.integers(0, wmax, (n, nb, block)).astype(golden.CODE_DTYPE[weights])
    if weights == "fp16":    # keep most fp16 weights finite and moderate, some huge/tiny/special
        moderate = (rng.standard_normal((n, nb, block)) * 4).astype(np.float16).view(np.uint16)
        w = np.where(rng.random((n, nb, block)) < 0.9, moderate, w)
    def scales():
        s = rng.integers(0, 256, (n, nb), dtype=np.uint8)
        plain = rng.integers(0x30, 0x48, (n, nb), dtype=np.uint8)
        return np.where(rng.random((n, nb)) < 0.5, plain, s).astype(np.uint8)
    sa = scales()
    sw = scales() if block_scaled else None
    exps = rng.integers(-150, 128, n)
    t = np.ldexp(rng.uniform(1, 2, n), exps).astype(np.float32)
    t = np.where(rng.random(n) < 0.5, rng.uniform(-2, 2, n).astype(np.float32), t)
    t = t.astype(np.float32).view(np.uint32)
    special = rng.random(n) < 0.02
    t = np.where(special, rng.choice([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00001,
                                      0x00000001], n), t).astype(np.uint32)
    return a, w, sa, sw, t


def check(a, w, sa, sw, t, weights):
    y, flags = golden.dot_flags(a, w, sa, sw, t, weights)
    ref_y, ref_flags = oracle_dot(a, w, sa, sw, t, weights)
    bad = np.flatnonzero(y != ref_y)
    assert bad.size == 0, (f"{bad.size} mismatches; first at {bad[0]}: "
                           f"golden {y[bad[0]]:#010x} oracle {ref_y[bad[0]]:#010x}")
    for name in golden.FLAGS:
        bad = np.flatnonzero(flags[name] != ref_flags[name])
        assert bad.size == 0, f"flag {name}: {bad.size} mismatches, first at {bad[0]}"
    return y, flags


# 100k random dot products in all, spread over configurations (and xdist workers).
RANDOM_CONFIGS = [
    # weights, block_scaled, B, nb, n
    ("fp4", True, 16, 1, 25_000),
    ("fp4", True, 4, 3, 15_000),
    ("fp4", False, 8, 2, 10_000),
    ("fp8", False, 8, 2, 15_000),
    ("fp8", True, 4, 3, 10_000),
    ("fp16", False, 8, 2, 15_000),
    ("fp16", True, 4, 2, 10_000),
]


@pytest.mark.parametrize("weights,block_scaled,block,nb,n", RANDOM_CONFIGS)
def test_random_dot_products_match_mpfr(weights, block_scaled, block, nb, n):
    rng = np.random.default_rng([block, nb, n, block_scaled, len(weights)])
    y, flags = check(*random_case(rng, n, nb, block, weights, block_scaled), weights)
    # the random set must actually reach every result class
    f = y.view(np.float32)
    assert np.isnan(f).any() and np.isinf(f).any() and (f == 0).any()
    assert flags["inexact"].any() and flags["overflow"].any() and flags["underflow"].any()


def block_of(weights, pairs, block=4):
    """One block from (activation code, weight code) pairs, padded with zeros."""
    a = np.zeros(block, np.uint8)
    w = np.zeros(block, golden.CODE_DTYPE[weights])
    for i, (ai, wi) in enumerate(pairs):
        a[i], w[i] = ai, wi
    return a, w


def directed(weights, blocks, t, sa=None, sw=None):
    """A single dot product from a list of blocks given as (a, w)."""
    a = np.stack([b[0] for b in blocks])[None]
    w = np.stack([b[1] for b in blocks])[None]
    nb = len(blocks)
    sa = np.array([sa if sa is not None else [ONE_E4M3] * nb], np.uint8)
    sw = None if sw is None else np.array([sw], np.uint8)
    return a, w, sa, sw, np.array([t], np.uint32)


def run_directed(weights, blocks, t, sa=None, sw=None):
    y, _ = check(*directed(weights, blocks, t, sa, sw), weights)
    return int(y[0])


# fp16 codes used below
H_ONE, H_2M23, H_2M24, H_MAX = 0x3C00, 0x0002, 0x0001, 0x7BFF
H_INF, H_NINF, H_NAN = 0x7C00, 0xFC00, 0x7E00


def test_ties_round_to_even():
    # 1 + 2^-24 is halfway between 1 and 1 + 2^-23: even is 1
    assert run_directed("fp16", [block_of("fp16", [(2, H_ONE), (1, H_2M23)])], F32(1)) == F32(1)
    # 1 + 3 * 2^-24 is halfway between 1 + 2^-23 (odd) and 1 + 2^-22 (even)
    y = run_directed("fp16", [block_of("fp16", [(2, H_ONE), (1, H_2M23), (2, H_2M23)])], F32(1))
    assert y == F32(1 + 2.0 ** -22)
    # just above a tie rounds up
    y = run_directed("fp16", [block_of("fp16", [(2, H_ONE), (1, H_2M23), (1, H_2M24)])], F32(1))
    assert y == F32(1 + 2.0 ** -23)


def test_subnormal_threshold():
    one = [block_of("fp4", [(2, 2)])]                      # sum exactly 1
    tiny = np.float32(2.0 ** -126)
    assert run_directed("fp4", one, F32(tiny)) == F32(tiny)                  # smallest normal
    below = np.nextafter(tiny, np.float32(0))
    assert run_directed("fp4", one, F32(below)) == F32(below)                # largest subnormal
    # 1.5 * 2^-149 rounds to 2 * 2^-149 (tie, even); 0.5 * 2^-149 rounds to +0 (tie, even)
    three_halves = [block_of("fp4", [(3, 2)])]             # 1.5
    assert run_directed("fp4", three_halves, 0x00000001) == 0x00000002
    half = [block_of("fp4", [(1, 2)])]                     # 0.5
    assert run_directed("fp4", half, 0x00000001) == 0
    assert run_directed("fp4", [block_of("fp4", [(9, 2)])], 0x00000001) == 0x80000000  # -0.5: -0


def test_overflow_to_infinity():
    big = [block_of("fp4", [(7, 7)] * 4)]                  # 4 * 36 = 144
    assert run_directed("fp4", big, F32(3e38), sa=[0x7E], sw=[0x7E]) == 0x7F800000
    assert run_directed("fp4", big, F32(-3e38), sa=[0x7E], sw=[0x7E]) == 0xFF800000
    # exactly FLT_MAX stays finite
    fmax = np.finfo(np.float32).max
    assert run_directed("fp4", [block_of("fp4", [(2, 2)])], F32(fmax)) == F32(fmax)


@pytest.mark.parametrize("t,expected", [(F32(3.0), 0), (F32(-3.0), 0x80000000),
                                        (0, 0), (0x80000000, 0x80000000)])
def test_exact_cancellation_gives_plus_zero_times_t(t, expected):
    blocks = [block_of("fp4", [(2, 6), (0xA, 6)]), block_of("fp4", [(7, 5), (7, 0xD)])]
    assert run_directed("fp4", blocks, t) == expected
    # cancellation across blocks with different scales
    blocks = [block_of("fp4", [(2, 5)]), block_of("fp4", [(0xA, 4)])]    # 3 and -2 ...
    assert run_directed("fp4", blocks, t, sa=[0x38, 0x3C]) == expected    # ... times 1, 1.5


def test_nan_scales_and_nan_t():
    b = [block_of("fp4", [(2, 2)])]
    for sa, sw in [([0x7F], [0x38]), ([0xFF], [0x38]), ([0x38], [0x7F]), ([0x38], [0xFF])]:
        assert run_directed("fp4", b, F32(1), sa=sa, sw=sw) == NAN_BITS
    zero_block = [block_of("fp4", [])]
    assert run_directed("fp4", zero_block, F32(1), sa=[0x7F]) == NAN_BITS   # NaN beats zero
    assert run_directed("fp4", b, 0x7F800001) == NAN_BITS
    assert run_directed("fp4", b, 0xFFC00000) == NAN_BITS


def test_fp16_infinities_and_nans():
    inf, ninf = [block_of("fp16", [(2, H_INF)])], [block_of("fp16", [(2, H_NINF)])]
    assert run_directed("fp16", inf, F32(2)) == 0x7F800000
    assert run_directed("fp16", inf, F32(-2)) == 0xFF800000
    assert run_directed("fp16", inf, F32(2), sa=[0xB8]) == 0xFF800000          # negative scale
    assert run_directed("fp16", [block_of("fp16", [(0xA, H_INF)])], F32(1)) == 0xFF800000
    assert run_directed("fp16", inf, 0) == NAN_BITS                            # inf * (t = 0)
    assert run_directed("fp16", inf, F32(1), sa=[0x00]) == NAN_BITS            # inf * zero scale
    assert run_directed("fp16", inf, F32(1), sa=[0x80]) == NAN_BITS            # ... -0 scale
    assert run_directed("fp16", [block_of("fp16", [(0, H_INF)])], F32(1)) == NAN_BITS  # inf * 0
    assert run_directed("fp16", [block_of("fp16", [(8, H_INF)])], F32(1)) == NAN_BITS  # inf * -0
    assert run_directed("fp16", [block_of("fp16", [(2, H_INF), (2, H_NINF)])], F32(1)) == NAN_BITS
    assert run_directed("fp16", inf + ninf, F32(1)) == NAN_BITS               # across blocks
    assert run_directed("fp16", [block_of("fp16", [(2, H_NAN)])], F32(1)) == NAN_BITS
    assert run_directed("fp16", [block_of("fp16", [(0, H_NAN)])], F32(1)) == NAN_BITS
    # finite sum times t = inf; zero sum times t = inf
    assert run_directed("fp16", [block_of("fp16", [(2, H_ONE)])], 0xFF800000) == 0xFF800000
    assert run_directed("fp16", [block_of("fp16", [])], 0x7F800000) == NAN_BITS
    # the largest finite fp16 products stay finite and exact
    y = run_directed("fp16", [block_of("fp16", [(7, H_MAX)] * 4)], F32(1), sa=[0x7E])
    assert y == F32(4 * 6 * 65504 * 448)


def test_fp8_nan_weights():
    assert run_directed("fp8", [block_of("fp8", [(2, 0x7F)])], F32(1)) == NAN_BITS
    assert run_directed("fp8", [block_of("fp8", [(0, 0xFF)])], F32(1)) == NAN_BITS


def test_maximum_exponent_spread_between_blocks():
    """A huge block and a tiny one: the tiny term decides the rounding (sticky) of the result."""
    for weights, big_w, tiny_w in [("fp4", 7, 1), ("fp8", 0x7E, 0x01), ("fp16", H_MAX, H_2M24)]:
        big = block_of(weights, [(7, big_w)] * 4)
        tiny = block_of(weights, [(1, tiny_w)])
        for tiny_sign_scale in (0x01, 0x81):
            run_directed(weights, [big, tiny], F32(1.0),
                         sa=[0x7E, tiny_sign_scale], sw=[0x7E, 0x01])
            run_directed(weights, [big, tiny], 0x00000001,
                         sa=[0x7E, tiny_sign_scale], sw=[0x7E, 0x01])
    # the exact sum is 2^24 + 2^-k: binary32 must round to 2^24 (below half)
    y = run_directed("fp4", [block_of("fp4", [(7, 7)]), block_of("fp4", [(1, 1)])],
                     F32(2.0 ** 24 / 36), sa=[0x38, 0x01])
    assert y != 0


def test_rejects_bad_arguments():
    a, w, sa, sw, t = directed("fp4", [block_of("fp4", [(2, 2)])], F32(1))
    with pytest.raises(ValueError, match="weights"):
        golden.dot(a, w, sa, sw, t, weights="fp6")
    with pytest.raises(ValueError, match="^w: expected shape"):
        golden.dot(a, w[:, :, :2], sa, sw, t)
    with pytest.raises(ValueError, match="^t: expected uint32"):
        golden.dot(a, w, sa, sw, t.astype(np.float32))
    with pytest.raises(ValueError, match="^a: fp4 codes must lie in 0..15"):
        golden.dot(a + 16, w, sa, sw, t)


def test_accumulator_width_holds_the_extreme_sum():
    for weights, wmax in [("fp4", 0x7), ("fp8", 0x7E), ("fp16", H_MAX)]:
        for block_scaled in (False, True):
            width = accumulator_width(weights, 16, 5, block_scaled)
            bound = 5 * 16 * 12 * golden.MAX_INT[weights] * (448 << 9) ** (1 + block_scaled)
            assert bound < 2 ** (width - 1) <= 2 * bound
