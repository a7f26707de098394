"""The final stage: product with the FP32 tensor scale ``t``, special cases, rounding to binary32.

Split in two components so that a pipeline register can sit between them:
:class:`TensorScale` (the exact product ``|X| * m_t`` and the special-case decision) and
:class:`Binary32Result` (rounding and packing of ``y`` with its flags). For deeper pipelines each
half splits again: :class:`TensorScale` into :class:`TensorScaleProducts` (two partial products
``|X| * m_t[:h]`` and ``|X| * m_t[h:]``) and :class:`TensorScaleSum` (their sum), and
:class:`Binary32Result` into :class:`Binary32Normalize` and :class:`Binary32Round`, each pair
joined by a value of :func:`partial_layout` / :func:`normalized_result_layout`.
"""

from amaranth.hdl import Cat, Module, Mux, Shape, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from nvlut.spec.formats import BINARY32, E2M1, E4M3, WEIGHT_FORMATS

from .formats import Decoder
from .round_binary32 import (INF_BITS, NormalizeBinary32, RoundAligned, RoundNormalized,
                             normalized_layout)

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


def _tensor_scale_inputs(acc_width):
    """The input ports of :class:`TensorScale` and :class:`TensorScaleProducts`."""
    return {"x": In(signed(acc_width)), "nan": In(1), "inf_pos": In(1), "inf_neg": In(1),
            "t": In(BINARY32.bits)}


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
        super().__init__({**_tensor_scale_inputs(acc_width),
                          "result": Out(scaled_layout(params, acc_width))})
        self.exp_offset = result_grid(params)

    def elaborate(self, platform):
        m = Module()
        magnitude, t_sig, _ = _decide(m, self, self.result, self.exp_offset)
        m.d.comb += self.result.mag.eq(magnitude * t_sig)
        return m


def _decide(m, ports, r, exp_offset):
    """Decode ``ports.t`` and drive ``r.invalid``, ``r.inf``, ``r.sign``, ``r.exp`` from ``ports``
    (``x``, ``nan``, ``inf_pos``, ``inf_neg``); returns ``(|X|, m_t, |X| * m_t == 0)``."""
    m.submodules.t_decoder = t = Decoder(BINARY32)
    m.d.comb += t.code.eq(ports.t)
    negative = ports.x < 0
    magnitude = Mux(negative, -ports.x, ports.x)[:len(ports.x) - 1]
    zero = ports.x == 0
    any_inf = ports.inf_pos | ports.inf_neg
    m.d.comb += [
        r.invalid.eq(ports.nan | t.is_nan | (ports.inf_pos & ports.inf_neg)
                     | (any_inf & t.is_zero) | (zero & ~any_inf & t.is_inf)),
        r.inf.eq(any_inf | (t.is_inf & ~zero)),
        r.sign.eq(Mux(any_inf, ports.inf_neg, negative) ^ t.sign),
        r.exp.eq(t.exp + exp_offset),
    ]
    return magnitude, t.sig, zero | t.is_zero


#: bits of ``m_t`` in the low partial product of :class:`TensorScaleProducts`
SPLIT_BITS = BINARY32.sig_bits // 2


def partial_layout(params, acc_width):
    """What :class:`TensorScaleProducts` hands to :class:`TensorScaleSum`: the fields of
    :func:`scaled_layout` except ``mag``, and ``lo = |X| * m_t[:SPLIT_BITS]``,
    ``hi = |X| * m_t[SPLIT_BITS:]``."""
    fields = dict(scaled_layout(params, acc_width).members)
    del fields["mag"]
    fields["lo"] = acc_width - 1 + SPLIT_BITS
    fields["hi"] = acc_width - 1 + BINARY32.sig_bits - SPLIT_BITS
    return data.StructLayout(fields)


class TensorScaleProducts(wiring.Component):
    """First half of :class:`TensorScale` (same inputs): the decision and two partial products
    (:func:`partial_layout`), so that a register can cut the ``|X| * m_t`` multiplier."""

    def __init__(self, params, acc_width):
        self.acc_width = acc_width
        super().__init__({**_tensor_scale_inputs(acc_width),
                          "partial": Out(partial_layout(params, acc_width))})
        self.exp_offset = result_grid(params)

    def elaborate(self, platform):
        m = Module()
        magnitude, t_sig, _ = _decide(m, self, self.partial, self.exp_offset)
        m.d.comb += [self.partial.lo.eq(magnitude * t_sig[:SPLIT_BITS]),
                     self.partial.hi.eq(magnitude * t_sig[SPLIT_BITS:])]
        return m


class TensorScaleSum(wiring.Component):
    """Second half of :class:`TensorScale`: ``mag = lo + (hi << SPLIT_BITS)``, the other fields
    passed on; ``result`` is exactly :class:`TensorScale`'s."""

    def __init__(self, params, acc_width):
        super().__init__({
            "partial": In(partial_layout(params, acc_width)),
            "result": Out(scaled_layout(params, acc_width)),
        })

    def elaborate(self, platform):
        m = Module()
        p, r = self.partial, self.result
        m.d.comb += [getattr(r, k).eq(getattr(p, k)) for k in ("invalid", "inf", "sign", "exp")]
        m.d.comb += r.mag.eq(p.lo + (p.hi << SPLIT_BITS))
        return m


def normalized_result_layout(layout):
    """What :class:`Binary32Normalize` hands to :class:`Binary32Round` for a :func:`scaled_layout`
    ``layout``: ``invalid``, ``inf``, ``sign`` and the :func:`normalized_layout` ``n`` of ``mag``."""
    return data.StructLayout({"invalid": 1, "inf": 1, "sign": 1,
                              "n": normalized_layout(Shape.cast(layout["mag"].shape).width,
                                                     layout["exp"].shape)})


class Binary32Normalize(wiring.Component):
    """First half of :class:`Binary32Result`: normalization of ``mag`` (leading-zero count, shift)."""

    def __init__(self, layout):
        self.layout = layout
        super().__init__({"scaled": In(layout), "normalized": Out(normalized_result_layout(layout))})

    def elaborate(self, platform):
        m = Module()
        s, n = self.scaled, self.normalized
        m.submodules.normalize = norm = NormalizeBinary32(len(s.mag), self.layout["exp"].shape)
        m.d.comb += [norm.mag.eq(s.mag), norm.exp.eq(s.exp), n.n.eq(norm.n)]
        m.d.comb += [getattr(n, k).eq(getattr(s, k)) for k in ("invalid", "inf", "sign")]
        return m


def _result_outputs():
    """The output ports of :class:`Binary32Round` and :class:`Binary32Result`: ``y`` and its flags."""
    return {"y": Out(BINARY32.bits), "invalid": Out(1), "overflow": Out(1), "underflow": Out(1),
            "inexact": Out(1)}


class Binary32Round(wiring.Component):
    """Second half of :class:`Binary32Result`: rounding, special cases and packing of ``y``.
    ``aligned``: the input comes from :class:`~nvlut.hdl.iterative_scale.IterativeTensorScale`,
    already on the subnormal grid where needed (rounded by :class:`RoundAligned`, not
    :class:`RoundNormalized`)."""

    def __init__(self, layout, *, aligned=False):
        self.layout = layout
        self.aligned = aligned
        super().__init__({
            "normalized": In(normalized_result_layout(layout)),
            **_result_outputs(),
        })

    def elaborate(self, platform):
        m = Module()
        s = self.normalized
        rounder = RoundAligned if self.aligned else RoundNormalized
        m.submodules.rounder = rnd = rounder(Shape.cast(self.layout["mag"].shape).width,
                                             self.layout["exp"].shape)
        m.d.comb += rnd.n.eq(s.n)
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


class Binary32Result(wiring.Component):
    """``y`` and its flags from a :class:`TensorScale` result: canonical NaN, signed Inf, or the
    finite value rounded once (:class:`Binary32Normalize` then :class:`Binary32Round`; overflow
    gives Inf)."""

    def __init__(self, layout):
        self.layout = layout
        super().__init__({
            "scaled": In(layout),
            **_result_outputs(),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.normalize = norm = Binary32Normalize(self.layout)
        m.submodules.round = rnd = Binary32Round(self.layout)
        m.d.comb += [norm.scaled.eq(self.scaled), rnd.normalized.eq(norm.normalized)]
        m.d.comb += [getattr(self, k).eq(getattr(rnd, k))
                     for k in ("y", "invalid", "overflow", "underflow", "inexact")]
        return m
