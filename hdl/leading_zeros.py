"""Leading-zero count."""

from amaranth.hdl import Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


def _count(bits):
    """``(count, zero)`` of a bit list (LSB first), as a balanced tree of muxes."""
    if len(bits) == 1:
        return ~bits[0], ~bits[0]
    half = len(bits) // 2
    lo_count, lo_zero = _count(bits[:half])
    hi_count, hi_zero = _count(bits[half:])
    return Mux(hi_zero, (len(bits) - half) + lo_count, hi_count), hi_zero & lo_zero


class LeadingZeros(wiring.Component):
    """``count`` = number of leading zeros of the ``width``-bit ``x`` (``width`` when ``x == 0``,
    which also raises ``zero``). Purely combinational, logarithmic depth."""

    def __init__(self, width):
        self.width = width
        super().__init__({"x": In(width), "count": Out(range(width + 1)), "zero": Out(1)})

    def elaborate(self, platform):
        m = Module()
        count, zero = _count([self.x[i] for i in range(self.width)])
        m.d.comb += [self.count.eq(count), self.zero.eq(zero)]
        return m
