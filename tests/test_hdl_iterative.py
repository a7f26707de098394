"""The iterative final stage (IterativeTensorScale + Binary32Round(aligned=True)) on its own,
against the MPFR oracle of tests/dot_oracle.py: ``RNE_binary32(X * 2^(Qmin - 1 - fw) * t)`` for
accumulator values ``X`` and tensor scales ``t`` chosen to reach every normalization case (the
leading one of the product at every position, coarse and fine shifts, the stop at 2^-126 on the
subnormal grid, ties, overflow, zero), at the back-to-back start rate the MAC uses.
The unit inside the MAC, with special cases and back-pressure, is checked in tests/test_hdl_mac.py.
"""

import gmpy2
import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.lib import data
from amaranth.sim import Simulator

import dot_oracle
from nvlut.hdl.final_stage import Binary32Round, result_grid, scaled_layout
from nvlut.hdl.iterative_scale import (IterativeTensorScale, iterative_extra_latency,
                                       top_exponent_range)
from nvlut.hdl.mac import mac_accumulator_width
from nvlut.spec.formats import BINARY32
from nvlut.spec.params import BLOCK_RANGE, MAX_BLOCKS_RANGE, WEIGHT_SCALING, WEIGHTS, MacParams

FLAGS = ("invalid", "overflow", "underflow", "inexact")


def _run(params, xs, ts):
    """``(y, flags)`` of the unit + rounder for each ``(x, t)`` pair (``t`` as binary32 bits),
    starting the next one in the cycle the last result is taken."""
    acc_width = mac_accumulator_width(params)
    unit = IterativeTensorScale(params, acc_width, data.StructLayout({"tag": 1}))
    rnd = Binary32Round(scaled_layout(params, acc_width), aligned=True)
    m = Module()
    m.submodules.unit, m.submodules.rnd = unit, rnd
    m.d.comb += rnd.normalized.eq(unit.result)
    out = {name: [] for name in ("y",) + FLAGS}

    async def bench(ctx):
        for x, t in zip(xs, ts):
            ctx.set(unit.x, int(x))
            ctx.set(unit.t, int(t))
            ctx.set(unit.start, 1)
            await ctx.tick()
            ctx.set(unit.start, 0)
            cycles = 1
            while not ctx.get(unit.valid):
                await ctx.tick()
                cycles += 1
            assert cycles == iterative_extra_latency(params)
            for name in out:
                out[name].append(ctx.get(getattr(rnd, name)))
            ctx.set(unit.ack, 1)
            await ctx.tick()
            ctx.set(unit.ack, 0)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return np.array(out["y"], np.uint32), {k: np.array(out[k], bool) for k in FLAGS}


def _oracle(params, xs, ts):
    scale = result_grid(params) - BINARY32.grid      # X * t * 2^scale is the exact result
    y, flags = [], {k: [] for k in FLAGS}
    with gmpy2.context(dot_oracle.EXACT):
        for x, t in zip(xs, ts):
            tv = float(np.uint32(t).view(np.float32))
            bits, *f = dot_oracle._round_times_t(gmpy2.mpfr(int(x)) * gmpy2.mpfr(2) ** scale, tv)
            y.append(bits)
            for k, v in zip(("inexact", "overflow", "underflow"), f):
                flags[k].append(bool(v))
            flags["invalid"].append(bits == dot_oracle.NAN_BITS)
    return np.array(y, np.uint32), {k: np.array(v, bool) for k, v in flags.items()}


def _f32(v):
    return int(np.float32(v).view(np.uint32))


def _cases(params, rng, n_random):
    """Adversarial and random ``(x, t)``."""
    acc_width = mac_accumulator_width(params)
    top = (1 << (acc_width - 1)) - 1
    e_low = top_exponent_range(params, acc_width)
    xs, ts = [], []
    # the leading one of |X| at every position, with and without bits below, both signs
    mags = [1 << k for k in range(acc_width - 1)] + [(1 << k) - 1 for k in range(2, acc_width)]
    mags += [(1 << k) | 1 for k in range(1, acc_width - 1)] + [0, top]
    for mag in mags:
        for t in (1.0, 1.5, 0.75 * 2.0**-120, 2.0**-149, 2.0**-140 * 3, -2.0**100, 3.4e38, 0.0):
            sign = -1 if rng.random() < 0.5 else 1
            xs.append(sign * mag)
            ts.append(_f32(t))
    # products that stop at 2^-126 after k shifts for k around the coarse step, and ties there:
    # the top bit of P starts at E0 = grid + W - 1 + e_t
    grid = result_grid(params)
    width = acc_width - 1 + BINARY32.sig_bits
    for k in range(0, 20):
        e_t = max(0, min(e_low.start + k - (grid + width - 1), 253))
        t_bits = (e_t + 1) << 23 | int(rng.integers(0, 1 << 23))     # a normal t, exponent e_t
        for mag in (1, 3, 5, (1 << 20) + 1, (3 << 24) | 1, top, top >> 1):
            xs.append(mag)
            ts.append(t_bits)
    # random magnitudes of random widths, random finite t (subnormal included)
    for _ in range(n_random):
        w = int(rng.integers(1, acc_width))
        mag = int.from_bytes(rng.bytes(16), "little") >> (128 - w)
        xs.append(-mag if rng.random() < 0.5 else mag)
        e = int(rng.integers(0, 255))
        ts.append(int(rng.integers(0, 2)) << 31 | e << 23 | int(rng.integers(0, 1 << 23)))
    return xs, ts


@pytest.mark.parametrize("params", [
    MacParams(),
    MacParams(weight_scaling="tensor", block=4, max_blocks=1),     # products start lowest
    MacParams(weights="fp16", weight_scaling="tensor", block=8, max_blocks=4),
], ids=lambda p: p.name)
def test_iterative_unit_against_mpfr(params):
    xs, ts = _cases(params, np.random.default_rng(13), 300)
    y, flags = _run(params, xs, ts)
    ref_y, ref_flags = _oracle(params, xs, ts)
    bad = np.flatnonzero(y != ref_y)
    assert not len(bad), [(xs[i], hex(ts[i]), hex(y[i]), hex(ref_y[i])) for i in bad[:5]]
    for k in FLAGS:
        np.testing.assert_array_equal(flags[k], ref_flags[k], err_msg=k)
    # the cases reach subnormal, tiny-but-inexact, overflow and exact results
    assert ref_flags["underflow"].any() and ref_flags["overflow"].any()
    assert (~ref_flags["inexact"] & (ref_y != 0)).any()
    assert ((ref_y & 0x7F800000) == 0).any() and ((ref_y & 0x7FFFFFFF) != 0).any()


def test_products_never_start_below_emin():
    """The unit has no right shift: for every weight format and scaling at the smallest block and
    max_blocks (the lowest-starting products), the top bit of the product starts at 2^-126 or
    above (top_exponent_range raises otherwise)."""
    for weights in WEIGHTS:
        for scaling in WEIGHT_SCALING:
            params = MacParams(weights=weights, weight_scaling=scaling, block=BLOCK_RANGE[0],
                               max_blocks=MAX_BLOCKS_RANGE[0])
            assert top_exponent_range(params, mac_accumulator_width(params)).start == -126
