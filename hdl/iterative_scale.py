"""``IterativeTensorScale``: :class:`~nvlut.hdl.final_stage.TensorScale` over several cycles.

The exact product ``|X| * m_t`` (up to 55 x 24 bits for the reference design) is most of a MAC's
area when it is one combinational multiplier. This unit computes it digit by digit instead: a
``|X| x DIGIT_BITS`` multiplier and a shift-add register, most significant digit of ``m_t`` first,
``STEPS = 24 / DIGIT_BITS`` cycles. A dot product of ``nb`` blocks takes ``nb`` cycles anyway, so
while the next dot product accumulates the unit works on the last one; only dot products shorter
than :data:`ITERATIVE_EXTRA_LATENCY` + 1 blocks have to wait (the MAC lowers ``i.ready``). The
result is bit for bit :class:`TensorScale`'s (same decision logic, the product exact).

Protocol: ``start`` (one cycle, only while ``busy`` is low) latches ``|X|``, the decision and the
flags that travel along (``side``); ``t`` must stay unchanged until the result is taken (the MAC
guarantees it: no new ``last`` beat is accepted while the unit is busy). ``valid`` rises
``STEPS + 1`` cycles after ``start`` with ``result``/``side_out`` and stays high until a cycle with
``ack``; ``busy`` = counting, or holding a result that is not taken this cycle.
"""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .final_stage import _decide, result_grid, scaled_layout
from nvlut.spec.formats import BINARY32

#: bits of ``m_t`` consumed per cycle
DIGIT_BITS = 2
STEPS = BINARY32.sig_bits // DIGIT_BITS
#: cycles the unit adds to the MAC's latency (``STEPS`` digits, one cycle to latch the operands)
ITERATIVE_EXTRA_LATENCY = STEPS + 1


class IterativeTensorScale(wiring.Component):
    """See the module docstring. ``side_layout``: a ``StructLayout`` of values that travel with
    the dot product (e.g. the ECC flags)."""

    def __init__(self, params, acc_width, side_layout):
        self.acc_width = acc_width
        self.exp_offset = result_grid(params)
        super().__init__({
            "start": In(1),
            "x": In(signed(acc_width)),
            "nan": In(1),
            "inf_pos": In(1),
            "inf_neg": In(1),
            "t": In(BINARY32.bits),
            "side": In(side_layout),
            "ack": In(1),
            "busy": Out(1),
            "valid": Out(1),
            "result": Out(scaled_layout(params, acc_width)),
            "side_out": Out(side_layout),
        })

    def elaborate(self, platform):
        m = Module()
        rest = data.StructLayout(
            {k: v for k, v in self.result.shape().members.items() if k != "mag"})
        decision = Signal(rest)
        magnitude, t_sig = _decide(m, self, decision, self.exp_offset)
        held = Signal(rest)
        mag = Signal(self.acc_width - 1)
        product = Signal(len(self.result.mag))
        count = Signal(range(STEPS + 1))
        valid = Signal()
        m.d.comb += [self.valid.eq(valid), self.busy.eq((count != 0) | (valid & ~self.ack))]
        digit = t_sig.word_select((count - 1)[:len(count)], DIGIT_BITS)
        with m.If(self.start):
            m.d.sync += [held.eq(decision), mag.eq(magnitude), product.eq(0), count.eq(STEPS),
                         self.side_out.eq(self.side)]
        with m.Elif(count != 0):
            m.d.sync += [product.eq((product << DIGIT_BITS) + mag * digit), count.eq(count - 1)]
        with m.If(count == 1):
            m.d.sync += valid.eq(1)
        with m.Elif(self.ack):
            m.d.sync += valid.eq(0)
        m.d.comb += [getattr(self.result, k).eq(getattr(held, k)) for k in rest.members]
        m.d.comb += self.result.mag.eq(product)
        return m
