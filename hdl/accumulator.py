"""The exact accumulator across the blocks of a dot product."""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

#: special-case and ECC flags that a dot product collects from all its blocks (sticky OR)
STICKY_FLAGS = ("nan", "inf_pos", "inf_neg", "ecc_corrected", "ecc_uncorrectable")


def term_layout(acc_width):
    """A block term on the accumulator grid and its flags; also the layout of the running total."""
    return data.StructLayout({"value": signed(acc_width), **{name: 1 for name in STICKY_FLAGS}})


class Accumulator(wiring.Component):
    """``total`` = exact sum of the terms of the current dot product, and the OR of their flags.

    When ``en`` is high at a clock edge, ``term`` is added: to zero if it is the first term of a dot
    product (after reset or after a term with ``last``), else to ``total``. ``total`` is a register:
    after the edge that adds a ``last`` term it holds the finished dot product, until the next
    ``en``. ``acc_width`` must hold any sum the caller feeds
    (``nvlut.spec.accumulator.accumulator_width`` for ``max_blocks`` blocks); longer dot products
    wrap around.
    """

    def __init__(self, acc_width):
        super().__init__({
            "en": In(1),
            "last": In(1),
            "term": In(term_layout(acc_width)),
            "total": Out(term_layout(acc_width)),
        })

    def elaborate(self, platform):
        m = Module()
        first = Signal(init=1)
        with m.If(self.en):
            m.d.sync += [
                first.eq(self.last),
                self.total.value.eq(Mux(first, 0, self.total.value) + self.term.value),
            ]
            m.d.sync += [getattr(self.total, name).eq((~first & getattr(self.total, name))
                                                      | getattr(self.term, name))
                         for name in STICKY_FLAGS]
        return m
