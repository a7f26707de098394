"""RoundBinary32 (the rounding of the final stage) against NumPy's float64 -> float32 conversion.

For ``mag < 2^53`` the value ``mag * 2^exp`` is exact in float64, and NumPy's cast to float32 is a
single IEEE round-to-nearest-even with subnormals and overflow to Inf: an independent reference.
The rounding in context (wide products, special cases) is checked against nvlut.golden in
tests/test_hdl_mac.py.
"""

import numpy as np
from amaranth.hdl import signed

from hdl_sim import evaluate
from nvlut.hdl.round_binary32 import RoundBinary32

MAG_WIDTH = 53
EXP_SHAPE = signed(10)


def _reference(mag, exp):
    with np.errstate(over="ignore"):
        exact = np.ldexp(np.asarray(mag, np.float64), np.asarray(exp))
        rounded = exact.astype(np.float32)
    inexact = rounded.astype(np.float64) != exact
    return {
        "bits": rounded.view(np.uint32) & 0x7FFFFFFF,
        "inexact": inexact,
        "overflow": np.isinf(rounded),
        "underflow": (exact < 2.0 ** -126) & inexact,
    }


def _directed():
    cases = [(0, 0), (0, -200), (1, 0), (1, -149), (1, -150), (3, -151), (1, -151), (3, -150),
             (5, -151), (2**53 - 1, -200), (2**24 + 1, 0), (2**24 + 3, 0), (2**25 + 3, 0),
             (2**25 + 2, 0), (2**25 + 6, 0), (2**24 - 1, -150), (2**24 - 1, -149),
             (2**23 - 1, -149), (2**23, -149), (2**24 - 1, 104), (2**25 - 1, 103),
             (2**25 - 2, 103), (2**26 - 3, 102), (2**24, 104), (1, 127), (1, 128), (1, 300)]
    for e in (-126, -127, -148, -149, -150, -160):  # just below / above tie at several exponents
        for k in (3, 5):
            cases += [((2**k + 1) << 20, e - 20 - k), ((2**k + 1) << 20 | 1, e - 20 - k)]
    mag, exp = zip(*cases)
    return np.array(mag, np.int64), np.array(exp, np.int64)


def _random(rng, n):
    width = rng.integers(1, MAG_WIDTH + 1, n)
    mag = rng.integers(0, 1 << 62, n) >> (63 - width)
    exp = rng.integers(-260, 160, n)
    return mag, exp


def test_round_binary32():
    d_mag, d_exp = _directed()
    r_mag, r_exp = _random(np.random.default_rng(3), 3000)
    mag, exp = np.concatenate([d_mag, r_mag]), np.concatenate([d_exp, r_exp])
    got = evaluate(RoundBinary32(MAG_WIDTH, EXP_SHAPE), {"mag": mag, "exp": exp},
                   ["bits", "inexact", "overflow", "underflow"])
    ref = _reference(mag, exp)
    for name in ref:
        np.testing.assert_array_equal(np.array(got[name], np.int64), ref[name].astype(np.int64),
                                      err_msg=name)
    # the directed cases reach every outcome
    assert all(np.any(ref[name][:len(d_mag)]) for name in ("inexact", "overflow", "underflow"))
