"""A naive cocotb testbench, for comparison only (``python -m nvlut.verif.bench``): Python drives one
input beat per clock edge and reads the output stream with one ``await`` per cycle.

Reads ``$NVLUT_NAIVE_IN`` (one input payload per line, hex) and writes the accepted output payloads
to ``$NVLUT_NAIVE_OUT`` (hex, one per line); ``$NVLUT_NAIVE_LAST_BIT`` is the bit index of
``last`` in the payload. The DUT is the top level; ``o__ready`` stays high.
"""

import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge


@cocotb.test()
async def naive(dut):
    beats = [int(line, 16) for line in open(os.environ["NVLUT_NAIVE_IN"])]
    expected = sum(1 for b in beats if (b >> int(os.environ["NVLUT_NAIVE_LAST_BIT"])) & 1)
    Clock(dut.clk, 2, unit="step", impl="gpi").start()
    dut.rst.value = 1
    dut.i__valid.value = 0
    dut.o__ready.value = 1
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    out = []
    k = 0
    while len(out) < expected:
        valid = k < len(beats)
        if valid:
            dut.i__payload.value = beats[k]
        dut.i__valid.value = int(valid)
        await ReadOnly()
        fire_in = valid and bool(dut.i__ready.value)
        if dut.o__valid.value:
            out.append(int(dut.o__payload.value))
        await RisingEdge(dut.clk)
        k += fire_in
    with open(os.environ["NVLUT_NAIVE_OUT"], "w") as f:
        f.writelines(f"{x:x}\n" for x in out)
