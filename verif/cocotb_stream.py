"""The cocotb test run inside the simulator: clock the harness and wait until it is done.

Everything else (reset, configuration, stimulus, back-pressure, output capture) happens in the
Verilog harness of :mod:`nvlut.verif.harness`, so no Python runs per clock cycle: the clock is
cocotb's simulator-side (GPI) clock and this coroutine wakes up exactly once.
"""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge


@cocotb.test()
async def stream(dut):
    Clock(dut.clk, 2, unit="step", impl="gpi").start()
    await RisingEdge(dut.done)
