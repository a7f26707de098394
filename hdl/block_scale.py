"""Block-scale multiply: the scaled block term on the accumulator grid and its special cases."""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from nvlut.spec.formats import E4M3

from .formats import Decoder


class BlockScaler(wiring.Component):
    """``term = S * M << (Q - Qmin)`` for one block (docs/numerics.md 2.1) and the term's specials.

    In: ``s`` (the exact block sum, signed ``sum_width`` bits), ``sa`` and, when ``block_scaled``,
    ``sw`` (E4M3 codes), the block's lane flags ``nan``, ``inf_pos``, ``inf_neg`` (some lane product
    is NaN / +Inf / -Inf). The scale product is ``M = Ma * Mw`` (4 x 4 bits, ``|M| <= 225``, sign
    XOR of the scale signs) and ``Q - Qmin = exp_a + exp_w`` in the recoding of
    :mod:`nvlut.hdl.formats`, 0..28 (0..14 without ``sw``: ``M = Ma``).

    Out: ``term``, signed ``acc_width`` bits (exact for any term that a sum of ``max_blocks`` blocks
    can hold); ``term_nan`` (a lane or scale is NaN, or an infinite lane product meets a zero scale
    product); ``term_inf_pos`` / ``term_inf_neg`` (the scaled block holds a +Inf / -Inf term).
    """

    def __init__(self, sum_width, acc_width, block_scaled):
        self.block_scaled = block_scaled
        members = {
            "s": In(signed(sum_width)),
            "sa": In(E4M3.bits),
            "nan": In(1),
            "inf_pos": In(1),
            "inf_neg": In(1),
            "term": Out(signed(acc_width)),
            "term_nan": Out(1),
            "term_inf_pos": Out(1),
            "term_inf_neg": Out(1),
        }
        if block_scaled:
            members["sw"] = In(E4M3.bits)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.sa_decoder = da = Decoder(E4M3)
        m.d.comb += da.code.eq(self.sa)
        if self.block_scaled:
            m.submodules.sw_decoder = dw = Decoder(E4M3)
            m.d.comb += dw.code.eq(self.sw)
            magnitude = da.sig * dw.sig
            negative = da.sign ^ dw.sign
            shift = da.exp + dw.exp
            scale_nan = da.is_nan | dw.is_nan
        else:
            magnitude, negative, shift, scale_nan = da.sig, da.sign, da.exp, da.is_nan
        scaled = Signal(signed(self.term.shape().width))  # |term| fits: see the class docstring
        m.d.comb += scaled.eq(self.s * magnitude << shift)
        any_inf = self.inf_pos | self.inf_neg
        m.d.comb += [
            self.term.eq(Mux(negative, -scaled, scaled)),
            self.term_nan.eq(self.nan | scale_nan | (any_inf & (magnitude == 0))),
            self.term_inf_pos.eq(Mux(negative, self.inf_neg, self.inf_pos)),
            self.term_inf_neg.eq(Mux(negative, self.inf_pos, self.inf_neg)),
        ]
        return m
