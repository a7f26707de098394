"""Element multipliers (lut, fulllut, mul) against nvlut.golden.element_product.

Exhaustive over all code pairs for fp4 and fp8 weights, a random sample (with every special code)
for fp16; the table variants also with a writable table loaded through its write port.
"""

import numpy as np
import pytest

import nvlut.golden as golden
from hdl_sim import evaluate
from nvlut.spec.params import MacParams
from nvlut.hdl import lut_image
from nvlut.hdl.multiplier import ElementMultiplier

WEIGHT_CODES = {"fp4": 1 << 4, "fp8": 1 << 8, "fp16": 1 << 16}


def _pairs(weights, rng):
    if weights != "fp16":
        a, w = np.meshgrid(np.arange(16), np.arange(WEIGHT_CODES[weights]), indexing="ij")
        return a.ravel(), w.ravel()
    specials = np.array([0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF,
                         0x7C00, 0xFC00, 0x7C01, 0x7E00, 0xFFFF], dtype=np.int64)
    a_sp, w_sp = np.meshgrid(np.arange(16), specials, indexing="ij")
    a = np.concatenate([a_sp.ravel(), rng.integers(0, 16, 1500)])
    w = np.concatenate([w_sp.ravel(), rng.integers(0, 1 << 16, 1500)])
    return a, w


def _check(dut, weights, a, w, write=None):
    got = evaluate(dut, {"a": a, "w": w}, ["p", "neg", "inf", "nan"], write=write)
    dtype = golden.CODE_DTYPE[weights]
    p, inf, nan = golden.element_product(a.astype(np.uint8), w.astype(dtype), weights)
    np.testing.assert_array_equal(got["p"], p)
    np.testing.assert_array_equal(got["nan"], nan)
    np.testing.assert_array_equal(got["inf"], inf != 0)
    inf_neg = np.array(got["neg"], bool)[inf != 0]
    np.testing.assert_array_equal(inf_neg, inf[inf != 0] < 0)


@pytest.mark.parametrize("weights,multiplier", [
    (wt, mu) for wt in ("fp4", "fp8", "fp16") for mu in ("lut", "fulllut", "mul")
    if not (wt == "fp16" and mu == "fulllut")])
def test_element_multiplier(weights, multiplier):
    a, w = _pairs(weights, np.random.default_rng(7))
    _check(ElementMultiplier(MacParams(weights=weights, multiplier=multiplier)), weights, a, w)


@pytest.mark.parametrize("weights,multiplier", [("fp4", "lut"), ("fp8", "lut"),
                                                ("fp4", "fulllut")])
def test_writable_table(weights, multiplier):
    params = MacParams(weights=weights, multiplier=multiplier, lut_storage="ram")
    a, w = _pairs(weights, np.random.default_rng(8))
    _check(ElementMultiplier(params), weights, a, w, write=list(enumerate(lut_image(params))))
