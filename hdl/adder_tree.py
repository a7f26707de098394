"""Exact balanced adder tree."""

from amaranth.hdl import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out


def tree_width(count, width):
    """Width of the exact sum of ``count`` signed ``width``-bit values (one bit per tree level)."""
    return width + (count - 1).bit_length()


class AdderTree(wiring.Component):
    """``sum = x[0] + ... + x[count-1]`` exactly, as a balanced tree of two-input adders.

    ``x`` is an array of ``count`` signed ``width``-bit values; ``sum`` is signed
    :func:`tree_width` bits, so it can never overflow. Purely combinational.
    """

    def __init__(self, count, width):
        self.count = count
        super().__init__({
            "x": In(data.ArrayLayout(signed(width), count)),
            "sum": Out(signed(tree_width(count, width))),
        })

    def elaborate(self, platform):
        m = Module()
        level = [self.x[i] for i in range(self.count)]
        while len(level) > 1:
            level = [level[i] + level[i + 1] if i + 1 < len(level) else level[i]
                     for i in range(0, len(level), 2)]
        m.d.comb += self.sum.eq(level[0])
        return m
