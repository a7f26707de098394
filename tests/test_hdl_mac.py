"""NvlutMac against nvlut.golden.dot_flags, in Amaranth's simulator.

Directed cases for the final stage (ties to even and odd, the subnormal and overflow boundaries,
signed zeros, every NaN / Inf rule of docs/numerics.md 2.2), the accumulator at its bound, random
dot products under random back-pressure and valid gaps, and the latency / throughput contract.
"""

import numpy as np
import pytest

import nvlut.golden as golden
from nvlut.spec.params import PIPELINE_RANGE, MacParams
from nvlut.verif.amaranth_stream import stream

ONE_E2M1, ONE_E4M3 = 0x2, 0x38
FLAG_NAMES = ("invalid", "overflow", "underflow", "inexact")


def f32(x):
    return int(np.array(x, np.float32).view(np.uint32))


def fp16(values):
    v = np.array(values, np.float64)
    codes = v.astype(np.float16)
    assert np.array_equal(codes.astype(np.float64), v, equal_nan=True), values
    return [int(c) for c in codes.view(np.uint16)]


class Cases:
    """Dot products of one shape, built one at a time: ``add(blocks, t)`` with ``blocks`` a list of
    ``(a, w, sa, sw)`` (lane lists shorter than B are padded with zero codes)."""

    def __init__(self, params):
        self.params = params
        self.rows = []

    def add(self, blocks, t):
        b = self.params.block
        pad = lambda xs: list(xs) + [0] * (b - len(xs))  # noqa: E731
        self.rows.append(([pad(a) for a, _, _, _ in blocks], [pad(w) for _, w, _, _ in blocks],
                          [sa for _, _, sa, _ in blocks], [sw for _, _, _, sw in blocks], t))

    def arrays(self):
        a, w, sa, sw, t = zip(*self.rows)
        sw = np.array(sw, np.uint8) if self.params.block_scaled else None
        return (np.array(a, np.uint8), np.array(w, golden.CODE_DTYPE[self.params.weights]),
                np.array(sa, np.uint8), sw, np.array(t, np.uint32))


def random_arrays(params, n, nb, rng):
    a = rng.integers(0, 16, (n, nb, params.block)).astype(np.uint8)
    w = rng.integers(0, 1 << params.weight_bits, (n, nb, params.block))
    sa = rng.integers(0, 256, (n, nb)).astype(np.uint8)
    sw = rng.integers(0, 256, (n, nb)).astype(np.uint8) if params.block_scaled else None
    # tensor scales over the whole binary32 range, most with moderate exponents
    t = rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32)
    moderate = rng.random(n) < 0.7
    t[moderate] = (t[moderate] & 0x807FFFFF) | (rng.integers(90, 170, moderate.sum()) << 23)
    return a, w.astype(golden.CODE_DTYPE[params.weights]), sa, sw, t


def simulate(params, a, w, sa, sw, t, ready=1.0, valid=1.0, seed=0):
    """Stream the dot products through NvlutMac (``nvlut.verif.amaranth_stream``); returns
    ``(outputs, stats)``.

    ``outputs``: ``(y, flags dict)`` as arrays; ``stats``: ``latencies`` (cycles from the edge
    accepting a last beat to the cycle its output is accepted, when ``ready`` is 1) and
    ``stalls`` (cycles with ``i.valid`` high and ``i.ready`` low), ``declared_latency``.
    """
    [r] = stream(params, (a, w, sa, sw, t), ready=ready, valid=valid, seed=seed)
    assert not r.flags["ecc_corrected"].any() and not r.flags["ecc_uncorrectable"].any(), \
        "ECC flags must be 0 without ECC"
    stats = {"stalls": r.stalls, "declared_latency": r.declared_latency, "latencies": r.latencies}
    return (r.y, {f: r.flags[f] for f in FLAG_NAMES}), stats


def check(params, arrays, **stream):
    (y, flags), stats = simulate(params, *arrays, **stream)
    ref_y, ref_flags = golden.dot_flags(*arrays, params.weights)
    bad = np.flatnonzero(y != ref_y)
    assert bad.size == 0, [(int(k), hex(y[k]), hex(ref_y[k])) for k in bad[:5]]
    for name in FLAG_NAMES:
        np.testing.assert_array_equal(flags[name], ref_flags[name], err_msg=name)
    return ref_y, ref_flags, stats


def _fp16_directed():
    """Single-lane-group dot products on an fp16, tensor-scaled, B = 4 design: y = t * sum(w)."""
    params = MacParams(weights="fp16", weight_scaling="tensor", block=4, max_blocks=2, pipeline=0)
    cases = Cases(params)
    inf, nan = float("inf"), float("nan")

    def add(w, t, sa=ONE_E4M3, a=None, w2=None):
        blocks = [([ONE_E2M1] * len(w) if a is None else a, fp16(w), sa, None)]
        blocks.append(([ONE_E2M1] * len(w2), fp16(w2), ONE_E4M3, None) if w2 else
                      ([], [], ONE_E4M3, None))
        cases.add(blocks, t if isinstance(t, int) else f32(t))

    for w in ([2**14, 2**-10], [2**14, 3 * 2**-10], [2**14, 2**-10, 2**-24],
              [2**14, -2**-10], [-2**14, -3 * 2**-10]):
        add(w, 1.0)                                                   # ties and near-ties
    add([2**-10], 2.0**-140)                                          # 2^-150: tie to 0
    add([2**-10, 2**-24], 2.0**-140)                                  # just above: 2^-149
    add([1.5], 1)                                                     # t = 2^-149, 1.5 ulp: tie
    add([1 - 2**-11, 2**-11 - 2**-22, 3 * 2**-24], 2.0**-126)          # rounds up to 2^-126
    add([1, 1 - 2**-11, 2**-11 - 2**-22, 2**-23], 2.0**127)            # max float, exact
    add([1, 1 - 2**-11, 2**-11 - 2**-22, 3 * 2**-24], 2.0**127)        # tie above max: Inf
    add([4], float(np.finfo(np.float32).max))                         # overflow
    add([65504] * 4, 1.0, sa=0x7E)                                    # largest finite terms
    for t in (2.0, -2.0, 0.0, -0.0):
        add([0, 0], t)                                                # zero sum: +0 * t
        add([1, -1], t)                                               # exact cancellation
        add([-3], t)                                                  # times a signed zero
    for t in (nan, inf, -inf):
        add([1], t)
        add([-1], t)
        add([0], t)
    for t in (1.0, -1.0, 0.0):
        add([inf], t)
        add([-inf, 2], t)
    add([inf], 1.0, a=[0x0])                                          # inf * 0
    add([inf], 1.0, a=[0x8])                                          # inf * -0
    add([inf, -inf], 1.0)                                             # opposite infinities
    add([inf], 1.0, sa=0x00)                                          # inf * zero scale
    add([inf], 1.0, sa=0xB8)                                          # negative scale
    add([inf], 1.0, w2=[-inf])                                        # across blocks: NaN
    add([inf], 1.0, w2=[-1])                                          # across blocks: Inf
    add([nan, 1], 1.0)
    add([1], 1.0, sa=0x7F)
    add([1], 1.0, sa=0xFF)
    add([1], float(np.finfo(np.float32).tiny) / 8)                    # subnormal t
    return params, cases.arrays()


@pytest.mark.parametrize("pipeline,final_stage", [(0, "parallel"), (PIPELINE_RANGE[1], "parallel"),
                                                  (0, "iterative")])
def test_final_stage_directed(pipeline, final_stage):
    """The directed final-stage cases, also through the deepest pipeline (the multiplier and the
    rounder cut by registers) and the iterative tensor-scale multiply."""
    params, arrays = _fp16_directed()
    params = params.replace(pipeline=pipeline, final_stage=final_stage)
    _, ref_flags, _ = check(params, arrays)
    assert all(ref_flags[name].any() for name in FLAG_NAMES)


def test_accumulator_bound():
    """max_blocks blocks of the largest products and scales, both signs, fit exactly."""
    params = MacParams(max_blocks=3, pipeline=0)
    cases = Cases(params)
    top = [0x7] * params.block
    for sign in (0x0, 0x8):
        for t in (1.0, 2.0**-100, 2.0**100):
            cases.add([(top, [c | sign for c in top], 0x7E, 0x7E)] * 3, f32(t))
    cases.add([(top, top, 0x7E, 0x7E), (top, top, 0x7E, 0xFE), ([0x1], [0x1], 0x01, 0x01)], f32(1))
    cases.add([([0x1], [0x1], 0x01, 0x81)] * 3, f32(1.0))            # smallest scales, negative
    check(params, cases.arrays())


@pytest.mark.parametrize("params", [
    MacParams(),
    MacParams(weights="fp8", weight_scaling="tensor", multiplier="fulllut", pipeline=3),
    MacParams(weights="fp16", weight_scaling="tensor", multiplier="mul", pipeline=2, block=8),
    MacParams(lut_storage="ram", pipeline=0, block=8),
    MacParams(weights="fp16", weight_scaling="tensor", block=4, pipeline=PIPELINE_RANGE[1]),
    MacParams(block=8, pipeline=4),
    MacParams(block=4, final_stage="iterative"),
    MacParams(weights="fp8", weight_scaling="tensor", block=4, pipeline=4, final_stage="iterative"),
], ids=lambda p: p.name)
def test_random_stream_with_backpressure(params):
    rng = np.random.default_rng(11)
    arrays = random_arrays(params, 40, 3, rng)
    check(params, arrays, ready=0.6, valid=0.7, seed=5)


@pytest.mark.parametrize("pipeline", range(PIPELINE_RANGE[0], PIPELINE_RANGE[1] + 1))
def test_latency_and_throughput(pipeline):
    """With o.ready high and i.valid high throughout: no stalls, latency = 1 + pipeline."""
    params = MacParams(block=4, pipeline=pipeline)
    arrays = random_arrays(params, 12, 2, np.random.default_rng(pipeline))
    _, _, stats = check(params, arrays)
    assert stats["stalls"] == 0
    assert set(stats["latencies"]) == {stats["declared_latency"]} == {1 + pipeline}


@pytest.mark.parametrize("pipeline", [0, 2])
def test_iterative_final_stage_throughput(pipeline):
    """Iterative final stage: dot products of iterative_extra_latency + 1 blocks stream without a
    stall at the declared latency; one block shorter and the input is held back, results exact."""
    from nvlut.hdl.iterative_scale import iterative_extra_latency
    params = MacParams(block=4, max_blocks=64, pipeline=pipeline, final_stage="iterative")
    extra = iterative_extra_latency(params)
    rng = np.random.default_rng(7)
    long = random_arrays(params, 4, extra + 1, rng)
    _, _, stats = check(params, long)
    assert stats["stalls"] == 0
    assert set(stats["latencies"]) == {stats["declared_latency"]} == {
        1 + pipeline + extra}
    short = random_arrays(params, 4, extra, rng)
    _, _, stats = check(params, short)
    assert stats["stalls"] > 0
    assert set(stats["latencies"]) == {stats["declared_latency"]}  # stalls are at the input
    _, _, stats = check(params, random_arrays(params, 6, 1, rng))  # one-block dot products
    assert set(stats["latencies"]) == {stats["declared_latency"]}
    check(params, random_arrays(params, 12, 2, rng), ready=0.5, valid=0.8, seed=3)
