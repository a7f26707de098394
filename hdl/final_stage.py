"""The final stage: product with the FP32 tensor scale ``t``, special cases, rounding to binary32.

Split in two components so that a pipeline register can sit between them:
:class:`TensorScale` (the exact product ``|X| * m_t`` and the special-case decision) and
:class:`Binary32Result` (rounding and packing of ``y`` with its flags).
"""

from amaranth.hdl import Cat, Module, Mux, Shape, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from nvlut.spec.formats import BINARY32, E2M1, E4M3, WEIGHT_FORMATS

from .formats import Decoder
from .round_binary32 import INF_BITS, RoundBinary32

CANONICAL_NAN = 0x7FC00000


def result_grid(params):
    """``Qmin - 1 - fw + grid(t)``: the value of ``|X| * m_t`` is ``|X| * m_t * 2^(this + exp_t)``
    with ``exp_t`` the :mod:`~nvlut.hdl.formats` recoding of ``t`` (``Qmin``: E4M3 grid per
    scale)."""
    q_min = E4M3.grid * (2 if params.block_scaled else 1)
    return q_min + E2M1.grid + WEIGHT_FORMATS[params.weights].grid + BINARY32.grid


def scaled_layout(params, acc_width):
    """Layout of the :class:`TensorScale` result (the register between the two final components).

    ``mag * 2^exp`` is the exact ``|X * t|`` when neither ``invalid`` nor ``inf``; ``sign`` is the
    sign of ``y`` (also for an infinite result).
    """
    grid = result_grid(params)
    return data.StructLayout({
        "invalid": 1,
        "inf": 1,
        "sign": 1,
        "mag": acc_width - 1 + BINARY32.sig_bits,
        "exp": Shape.cast(range(grid, grid + (1 << BINARY32.exp_width))),
    })


class TensorScale(wiring.Component):
    """``X * t`` exactly, and the decision among NaN / Inf / finite (docs/numerics.md 2.2).

    In: ``x`` (the accumulator ``X``, signed ``acc_width`` bits; the dot product before ``t`` is
    ``X * 2^(Qmin - 1 - fw)``), ``nan`` / ``inf_pos`` / ``inf_neg`` (some term across the blocks was
    NaN / +Inf / -Inf), ``t`` (binary32 bits). Out: ``result`` (:func:`scaled_layout`), where
    ``mag = |X| * m_t`` (``|X| < 2^(acc_width-1)`` by construction of ``acc_width``) and
    ``exp = Qmin - 1 - fw + e_t``.
    """

    def __init__(self, params, acc_width):
        self.acc_width = acc_width
        super().__init__({
            "x": In(signed(acc_width)),
            "nan": In(1),
            "inf_pos": In(1),
            "inf_neg": In(1),
            "t": In(BINARY32.bits),
            "result": Out(scaled_layout(params, acc_width)),
        })
        self.exp_offset = result_grid(params)

    def elaborate(self, platform):
        m = Module()
        m.submodules.t_decoder = t = Decoder(BINARY32)
        m.d.comb += t.code.eq(self.t)
        negative = self.x < 0
        magnitude = Mux(negative, -self.x, self.x)[:self.acc_width - 1]
        zero = self.x == 0
        any_inf = self.inf_pos | self.inf_neg
        r = self.result
        m.d.comb += [
            r.invalid.eq(self.nan | t.is_nan | (self.inf_pos & self.inf_neg)
                         | (any_inf & t.is_zero) | (zero & ~any_inf & t.is_inf)),
            r.inf.eq(any_inf | (t.is_inf & ~zero)),
            r.sign.eq(Mux(any_inf, self.inf_neg, negative) ^ t.sign),
            r.mag.eq(magnitude * t.sig),
            r.exp.eq(t.exp + self.exp_offset),
        ]
        return m


class Binary32Result(wiring.Component):
    """``y`` and its flags from a :class:`TensorScale` result: canonical NaN, signed Inf, or the
    finite value rounded once by :class:`RoundBinary32` (whose overflow gives Inf)."""

    def __init__(self, layout):
        self.layout = layout
        super().__init__({
            "scaled": In(layout),
            "y": Out(BINARY32.bits),
            "invalid": Out(1),
            "overflow": Out(1),
            "underflow": Out(1),
            "inexact": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        s = self.scaled
        m.submodules.rounder = rnd = RoundBinary32(len(s.mag), self.layout["exp"].shape)
        m.d.comb += [rnd.mag.eq(s.mag), rnd.exp.eq(s.exp)]
        finite = ~s.invalid & ~s.inf
        m.d.comb += [
            self.y.eq(Mux(s.invalid, CANONICAL_NAN,
                          Cat(Mux(s.inf, INF_BITS, rnd.bits)[:31], s.sign))),
            self.invalid.eq(s.invalid),
            self.overflow.eq(finite & rnd.overflow),
            self.underflow.eq(finite & rnd.underflow),
            self.inexact.eq(finite & rnd.inexact),
        ]
        return m
