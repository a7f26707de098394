"""``IterativeTensorScale``: :class:`~nvlut.hdl.final_stage.TensorScale` and the normalization of
:class:`~nvlut.hdl.final_stage.Binary32Normalize` over several cycles, in one shift register.

The exact product ``|X| * m_t`` (up to 55 x 24 bits for the reference design) and the leading-zero
count and shifter that normalize it are most of a MAC's final stage when they are combinational.
This unit does both in one ``W``-bit register ``P`` (``W = acc_width - 1 + 24``, the width of the
exact product) with one adder row:

1. multiply, ``STEPS = 24`` cycles, most significant bit of ``m_t`` first:
   ``P <- 2 P + (m_t[i] ? |X| : 0)``, with ``|X| = (X ^ s) + s`` (``s`` the sign): the unit holds
   the one's complement ``X ^ s`` and adds ``s`` as the adder's carry, so it needs no negator;
2. normalize, :func:`normalize_steps` cycles: ``P <- P << NORM_COARSE`` while its top
   ``NORM_COARSE`` bits are 0, else ``P <- 2 P`` (the adder row with a zero addend) while its top
   bit is 0, the exponent ``E`` of the top bit of ``P`` (value ``P * 2^(E - W + 1)``) lowered
   with every shift, but never below ``EMIN = -126``. So ``P`` ends with its leading one on top, or
   with ``E = EMIN`` and the value below ``2^EMIN`` already on the binary32 subnormal grid:
   :class:`~nvlut.hdl.round_binary32.RoundAligned` rounds it without a shifter. Greedy coarse then
   fine shifts cover any distance up to :func:`max_shift` within :func:`normalize_steps` cycles.

No shift to the right is ever needed: the top bit of ``P`` starts at ``E >= EMIN`` for every
design (the largest dot product is at least 1, the smallest ``m_t * 2^e_t`` step 2^-149;
:func:`top_exponent_range` checks it when the unit is built).

A dot product of ``nb`` blocks takes ``nb`` cycles anyway, so while the next dot product
accumulates the unit works on the last one; only dot products shorter than
:func:`iterative_extra_latency` + 1 blocks have to wait (the MAC lowers ``i.ready``). The result,
rounded by :class:`~nvlut.hdl.final_stage.Binary32Round` (``aligned=True``), is bit for bit the
parallel final stage's (same decision logic, the product exact, rounding on the same bits).

Protocol: ``start`` (one cycle, only while ``busy`` is low) latches ``|X|``, the decision and the
flags that travel along (``side``); ``t`` must stay unchanged until the result is taken (the MAC
guarantees it: no new ``last`` beat is accepted while the unit is busy). ``valid`` rises
``iterative_extra_latency`` cycles after ``start`` with ``result`` (a
:func:`~nvlut.hdl.final_stage.normalized_result_layout` value whose ``n.exponent`` is ``E``) and
``side_out``, and stays high until a cycle with ``ack``; ``busy`` = counting, or holding a result
that is not taken this cycle.
"""

from amaranth.hdl import Module, Mux, Shape, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from nvlut.spec.accumulator import accumulator_width
from nvlut.spec.formats import BINARY32

from .final_stage import _decide, normalized_result_layout, result_grid, scaled_layout
from .round_binary32 import EMIN

#: cycles of the multiplication: one bit of ``m_t`` per cycle
STEPS = BINARY32.sig_bits
#: places of the coarse normalizing shift (the fine shift is 1 place)
NORM_COARSE = 8


def product_width(params):
    """``W``: bits of the exact product ``|X| * m_t`` of ``params``."""
    return accumulator_width(params.weights, params.block, params.max_blocks,
                             params.block_scaled) - 1 + BINARY32.sig_bits


def max_shift(params):
    """The most places a product of ``params`` is shifted left: a normal ``t`` has
    ``m_t >= 2^23``, so the leading one of a nonzero product is at bit 23 or above
    (``W - 24`` shifts at most); with ``e_t = 0`` the top bit starts at ``2^(grid + W - 1)`` and
    shifting stops at ``2^EMIN``."""
    width = product_width(params)
    lowest = result_grid(params) + width - 1
    return max(width - BINARY32.sig_bits, min(width - 1, lowest - EMIN))


def normalize_steps(params):
    """Cycles that normalize any product of ``params``: the worst case of greedy
    coarse-then-fine shifting over the distances up to :func:`max_shift`."""
    return max(s // NORM_COARSE + s % NORM_COARSE for s in range(max_shift(params) + 1))


def iterative_extra_latency(params):
    """Cycles the unit adds to the MAC's latency for ``params``: one to latch the operands,
    :data:`STEPS` to multiply, :func:`normalize_steps` to normalize."""
    return 1 + STEPS + normalize_steps(params)


def top_exponent_range(params, acc_width):
    """``range`` of ``E``, the exponent of the top bit of ``P``, from the product before
    normalization down to ``EMIN``. Raises ``ValueError`` if a product could start below
    ``EMIN`` (it would need a right shift this unit does not have)."""
    grid, width = result_grid(params), acc_width - 1 + BINARY32.sig_bits
    lowest = grid + width - 1                        # e_t = 0 (t subnormal or in the first binade)
    if lowest < EMIN:
        raise ValueError(f"final_stage: 'iterative' needs products that start at 2^{EMIN} or "
                         f"above; {params.name} starts at 2^{lowest}")
    return range(EMIN, grid + (1 << BINARY32.exp_width) + width)


class IterativeTensorScale(wiring.Component):
    """See the module docstring. ``side_layout``: a ``StructLayout`` of values that travel with
    the dot product (e.g. the ECC flags)."""

    def __init__(self, params, acc_width, side_layout):
        self.acc_width = acc_width
        self.exp_offset = result_grid(params)
        self.scaled = scaled_layout(params, acc_width)
        self.width = Shape.cast(self.scaled["mag"].shape).width
        self.norm_steps = normalize_steps(params)
        self.e_range = top_exponent_range(params, acc_width)
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
            "result": Out(normalized_result_layout(self.scaled)),
            "side_out": Out(side_layout),
        })

    def elaborate(self, platform):
        m = Module()
        width = self.width
        rest = data.StructLayout(
            {k: v for k, v in self.scaled.members.items() if k != "mag"})
        decision = Signal(rest)
        _, t_sig, product_zero = _decide(m, self, decision, self.exp_offset)
        # |X| = (X ^ s) + s with s the sign: the unit holds the one's complement X ^ s and adds s
        # as the carry into the adder row (no negator)
        negative = self.x[-1]
        ones = self.x[:-1] ^ negative.replicate(self.acc_width - 1)
        held = data.StructLayout({"invalid": 1, "inf": 1, "sign": 1, "zero": 1})
        flags = Signal(held)
        x_ones = Signal(self.acc_width - 1)
        x_sign = Signal()
        product = Signal(width)
        top = Signal(self.e_range)
        count = Signal(range(STEPS + self.norm_steps + 1))
        valid = Signal()
        m.d.comb += [self.valid.eq(valid), self.busy.eq((count != 0) | (valid & ~self.ack))]

        multiply = count > self.norm_steps
        bit = t_sig.bit_select((count - self.norm_steps - 1)[:len(count)], 1)
        # one adder row: 2P + |X| (multiply, bit set), 2P (multiply, bit clear; fine shift)
        add = multiply & bit
        doubled = (product << 1) + Mux(add, x_ones, 0) + (add & x_sign)
        coarse = ~multiply & (product[width - NORM_COARSE:] == 0) & (top >= EMIN + NORM_COARSE)
        fine = ~multiply & ~product[width - 1] & (top > EMIN)
        with m.If(self.start):
            m.d.sync += [flags.invalid.eq(decision.invalid), flags.inf.eq(decision.inf),
                         flags.sign.eq(decision.sign), flags.zero.eq(product_zero),
                         x_ones.eq(ones), x_sign.eq(negative), product.eq(0),
                         top.eq(decision.exp + (width - 1)),
                         count.eq(STEPS + self.norm_steps), self.side_out.eq(self.side)]
        with m.Elif(count != 0):
            m.d.sync += count.eq(count - 1)
            with m.If(coarse):
                m.d.sync += [product.eq(product << NORM_COARSE), top.eq(top - NORM_COARSE)]
            with m.Elif(multiply | fine):
                m.d.sync += product.eq(doubled)
                with m.If(fine):
                    m.d.sync += top.eq(top - 1)
        with m.If(count == 1):
            m.d.sync += valid.eq(1)
        with m.Elif(self.ack):
            m.d.sync += valid.eq(0)
        r = self.result
        m.d.comb += [r.invalid.eq(flags.invalid), r.inf.eq(flags.inf), r.sign.eq(flags.sign),
                     r.n.norm.eq(product), r.n.exponent.eq(top), r.n.zero.eq(flags.zero)]
        return m
