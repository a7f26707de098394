"""Format decoders against nvlut.golden.int_view / NumPy, and the adder tree against NumPy sums."""

import numpy as np
import pytest

import nvlut.golden as golden
from hdl_sim import evaluate
from nvlut.hdl.adder_tree import AdderTree, tree_width
from nvlut.hdl.formats import Decoder
from nvlut.spec.formats import BINARY16, BINARY32, E2M1, E4M3

OUTPUTS = ["sign", "exp", "sig", "is_zero", "is_inf", "is_nan"]


def _decode(fmt, codes):
    """Decoder outputs, and the decoded value ``(-1)^sign * sig * 2^exp`` on the integer grid."""
    got = {k: np.array(v, np.int64) for k, v in evaluate(Decoder(fmt), {"code": codes},
                                                          OUTPUTS).items()}
    n = np.where(got["sign"] == 1, -1.0, 1.0) * np.ldexp(got["sig"].astype(np.float64), got["exp"])
    return got, n


@pytest.mark.parametrize("fmt,weights,codes", [
    (E2M1, "fp4", np.arange(16)),
    (E4M3, "fp8", np.arange(256)),
    (BINARY16, "fp16", np.concatenate([np.arange(0, 1 << 16, 7), [0x7C00, 0xFC00, 0x8000]])),
])
def test_decoder_integer_view(fmt, weights, codes):
    got, n = _decode(fmt, codes)
    ref_n, ref_inf, ref_nan = golden.int_view(codes.astype(golden.CODE_DTYPE[weights]), weights)
    special = (ref_inf != 0) | ref_nan
    np.testing.assert_array_equal(n[~special], ref_n[~special].astype(np.float64))
    np.testing.assert_array_equal(got["is_inf"], ref_inf != 0)
    np.testing.assert_array_equal(got["is_nan"], ref_nan)
    np.testing.assert_array_equal(got["is_zero"], (ref_n == 0) & ~special)


def test_decoder_binary32():
    rng = np.random.default_rng(2)
    codes = np.concatenate([rng.integers(0, 1 << 32, 2000, dtype=np.uint64),
                            [0, 1, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x7F800000, 0xFF800000,
                             0x7FC00000, 0x80000000]]).astype(np.uint32)
    got, n = _decode(BINARY32, codes)
    with np.errstate(invalid="ignore"):  # signalling NaNs
        value = codes.view(np.float32).astype(np.float64)
    finite = np.isfinite(value)
    np.testing.assert_array_equal(np.ldexp(n[finite], BINARY32.grid), value[finite])
    np.testing.assert_array_equal(got["is_inf"], np.isinf(value))
    np.testing.assert_array_equal(got["is_nan"], np.isnan(value))
    np.testing.assert_array_equal(got["is_zero"], value == 0)


@pytest.mark.parametrize("count", [1, 5, 16])
def test_adder_tree(count):
    width = 9
    rng = np.random.default_rng(count)
    x = rng.integers(-(1 << (width - 1)), 1 << (width - 1), (300, count))
    x[0], x[1] = -(1 << (width - 1)), (1 << (width - 1)) - 1   # the extremes
    dut = AdderTree(count, width)
    assert len(dut.sum) == tree_width(count, width)
    got = evaluate(dut, {"x": list(x)}, ["sum"])
    np.testing.assert_array_equal(got["sum"], x.sum(axis=1))
