"""SerialWrapper around NvlutMac: table words and blocks sent bit by bit, results read back bit by
bit, compared with nvlut.golden.dot_flags (a writable-table design, so the cfg path is covered)."""

import numpy as np
from amaranth.sim import Simulator

import nvlut.golden as golden
from nvlut.spec.params import MacParams
from nvlut.hdl import NvlutMac, input_layout, lut_image
from nvlut.hdl.serial_wrapper import SerialWrapper
from test_hdl_mac import random_arrays


def test_serial_wrapper_round_trip():
    params = MacParams(block=4, max_blocks=2, lut_storage="ram", pipeline=2)
    a, w, sa, sw, t = random_arrays(params, 5, 2, np.random.default_rng(3))
    dut = SerialWrapper(NvlutMac(params))
    f_in, f_out = dut.in_fields, dut.out_fields
    assert set(f_in) == {"i__payload", "cfg__en", "cfg__addr", "cfg__data"}
    assert set(f_out) == {"o__payload"}
    layout = input_layout(params)

    def word(**ports):
        v = 0
        for name, value in ports.items():
            offset, width = f_in[name]
            assert 0 <= value < 1 << width
            v |= value << offset
        return v

    words = [word(cfg__en=1, cfg__addr=addr, cfg__data=entry)
             for addr, entry in enumerate(lut_image(params))]
    for k in range(a.shape[0]):
        for j in range(a.shape[1]):
            beat = layout.const({"a": a[k, j].tolist(), "w": w[k, j].tolist(),
                                 "sa": int(sa[k, j]), "sw": int(sw[k, j]), "t": int(t[k]),
                                 "last": int(j == a.shape[1] - 1)})
            words.append(word(i__payload=beat.as_value().value))
    results = []

    async def bench(ctx):
        async def send(v):
            ctx.set(dut.shift_in, 1)
            for bit in range(dut.in_width):
                ctx.set(dut.sin, (v >> bit) & 1)
                await ctx.tick()
            ctx.set(dut.shift_in, 0)
            while ctx.get(dut.busy):
                await ctx.tick()
            ctx.set(dut.load, 1)
            await ctx.tick()
            ctx.set(dut.load, 0)

        for v in words:
            await send(v)
            for _ in range(6):
                if ctx.get(dut.full):
                    break
                await ctx.tick()
            if ctx.get(dut.full):
                bits = 0
                for bit in range(dut.out_width):
                    bits |= ctx.get(dut.sout) << bit
                    ctx.set(dut.shift_out, 1)
                    await ctx.tick()
                ctx.set(dut.shift_out, 0)
                ctx.set(dut.take, 1)
                await ctx.tick()
                ctx.set(dut.take, 0)
                results.append(bits)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    ref_y, ref_flags = golden.dot_flags(a, w, sa, sw, t, params.weights)
    offset, _ = f_out["o__payload"]
    y = [(r >> offset) & 0xFFFFFFFF for r in results]
    assert y == [int(v) for v in ref_y]
    inexact = [(r >> (offset + 35)) & 1 for r in results]  # OUTPUT_LAYOUT: y, invalid, ovf, unf
    assert inexact == [int(v) for v in ref_flags["inexact"]]
