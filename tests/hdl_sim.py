"""Helpers for the Amaranth-simulator unit tests of nvlut.hdl (tests/test_hdl_*.py)."""

from amaranth.sim import Simulator


def evaluate(dut, inputs, outputs, write=None):
    """Settle the combinational ``dut`` for each row of ``inputs`` and read ``outputs``.

    ``inputs`` maps member names to equal-length sequences of values (ints, or rows of ints for
    array members); returns a dict mapping each
    name of ``outputs`` to a list of ints. ``write``: optional list of ``(addr, data)`` written
    through the ``write`` port (one per clock) first.
    """
    names = list(inputs)
    rows = list(zip(*(inputs[n] for n in names)))
    result = {name: [] for name in outputs}

    async def bench(ctx):
        for addr, data in write or ():
            ctx.set(dut.write.en, 1)
            ctx.set(dut.write.addr, addr)
            ctx.set(dut.write.data, data)
            await ctx.tick()
        if write:
            ctx.set(dut.write.en, 0)
        for row in rows:
            for name, value in zip(names, row):
                ctx.set(getattr(dut, name), value.tolist() if hasattr(value, "tolist") else value)
            for name in outputs:
                result[name].append(ctx.get(getattr(dut, name)))

    sim = Simulator(dut)
    if write:
        sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return result
