"""Round an exact value ``mag * 2^exp`` once to binary32, round-to-nearest-even (IEEE 754)."""

from amaranth.hdl import Cat, Const, Module, Mux, Shape, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .leading_zeros import LeadingZeros

#: binary32 constants: significand bits with the hidden bit, smallest normal exponent, Inf code
SIG_BITS = 24
EMIN = -126
INF_BITS = 0x7F800000
BINARY32_MAG_BITS = 31


def exponent_shape(mag_width, exp_shape):
    """Shape of the unbiased exponent of the leading one of ``mag * 2^exp``."""
    exp_lo = -(1 << (exp_shape.width - 1)) if exp_shape.signed else 0
    exp_hi = (1 << (exp_shape.width - exp_shape.signed)) - 1
    return Shape.cast(range(exp_lo - 1, exp_hi + mag_width))


def normalized_layout(mag_width, exp_shape):
    """What :class:`NormalizeBinary32` hands to :class:`RoundNormalized` (the place for a pipeline
    register between normalization and rounding): ``norm`` (``mag`` shifted left so that its top
    bit is the leading one), ``exponent`` (of that leading one), ``zero`` (``mag == 0``)."""
    return data.StructLayout({"norm": mag_width, "exponent": exponent_shape(mag_width, exp_shape),
                              "zero": 1})


class NormalizeBinary32(wiring.Component):
    """First half of :class:`RoundBinary32`: leading-zero count and left shift of ``mag``."""

    def __init__(self, mag_width, exp_shape):
        self.mag_width = mag_width
        super().__init__({
            "mag": In(mag_width),
            "exp": In(exp_shape),
            "n": Out(normalized_layout(mag_width, exp_shape)),
        })

    def elaborate(self, platform):
        m = Module()
        width = self.mag_width
        m.submodules.lzc = lzc = LeadingZeros(width)
        m.d.comb += [
            lzc.x.eq(self.mag),
            self.n.norm.eq(self.mag << lzc.count),
            self.n.exponent.eq(width - 1 - lzc.count + self.exp),
            self.n.zero.eq(lzc.zero),
        ]
        return m


def _rounded_outputs():
    """The output ports of :class:`RoundNormalized` and :class:`RoundBinary32`: ``bits`` (the
    rounded binary32 without its sign) and the IEEE flags."""
    return {"bits": Out(BINARY32_MAG_BITS), "overflow": Out(1), "underflow": Out(1),
            "inexact": Out(1)}


class RoundNormalized(wiring.Component):
    """Second half of :class:`RoundBinary32`: from a :func:`normalized_layout` value, the subnormal
    shift, round-to-nearest-even and the flags (see :class:`RoundBinary32`)."""

    def __init__(self, mag_width, exp_shape):
        if mag_width < SIG_BITS + 2:
            raise ValueError(f"mag_width: {mag_width} is too narrow; use at least {SIG_BITS + 2}")
        self.mag_width = mag_width
        super().__init__({
            "n": In(normalized_layout(mag_width, exp_shape)),
            **_rounded_outputs(),
        })

    def elaborate(self, platform):
        m = Module()
        width = self.mag_width
        keep = SIG_BITS + 1  # significand and round bit
        normalized, exponent = self.n.norm, self.n.exponent
        tiny = Signal()
        shift = Signal(range(keep + 1))
        shifted = Signal(2 * keep)
        m.d.comb += [
            tiny.eq(exponent < EMIN),
            shift.eq(Mux(~tiny, 0, Mux(exponent < EMIN - keep, keep, EMIN - exponent))),
            shifted.eq(Cat(Const(0, keep), normalized[width - keep:]) >> shift),
        ]
        sticky = Signal()
        m.d.comb += sticky.eq(normalized[:width - keep].any() | shifted[:keep].any())
        _round(m, self, Mux(tiny, 0, exponent - EMIN), shifted[keep + 1:], shifted[keep], sticky,
               tiny)
        return m


def _round(m, ports, field, significand, round_bit, sticky, tiny):
    """Round to nearest even and drive ``ports.bits`` and the flags from ``field`` (the exponent
    field minus 1 of a normal value, 0 of a subnormal one), the 24 ``significand`` bits, the
    round bit, the sticky bit and ``tiny`` (the exact value is below ``2^EMIN``); ``ports.n.zero``
    overrides all. Adding the increment to ``field << 23 | significand`` lets a carry out of the
    significand bump the exponent (and a subnormal that rounds up become normal)."""
    rounded = Signal(len(ports.n.exponent) + SIG_BITS)
    m.d.comb += rounded.eq((field.as_unsigned() << (SIG_BITS - 1))
                           + significand + (round_bit & (sticky | significand[0])))
    overflow = rounded >= INF_BITS
    inexact = round_bit | sticky
    nonzero = ~ports.n.zero
    m.d.comb += [
        ports.bits.eq(Mux(ports.n.zero, 0, Mux(overflow, INF_BITS, rounded))),
        ports.overflow.eq(nonzero & overflow),
        ports.inexact.eq(nonzero & (inexact | overflow)),
        ports.underflow.eq(nonzero & tiny & inexact),
    ]


class RoundAligned(RoundNormalized):
    """:class:`RoundNormalized` for a value aligned by
    :class:`~nvlut.hdl.iterative_scale.IterativeTensorScale`: ``n.exponent >= EMIN`` always, and
    the top bit of ``n.norm`` is the leading one unless ``n.exponent == EMIN``, when the value may
    be below ``2^EMIN`` and ``n.norm`` already holds it on the subnormal grid. So the subnormal
    right shift of :class:`RoundNormalized` is not needed: keep the top 24 bits, round bit and
    sticky bit, and round (same ports and results as :class:`RoundNormalized` for such a value)."""

    def elaborate(self, platform):
        m = Module()
        width = self.mag_width
        normalized, exponent = self.n.norm, self.n.exponent
        sticky = Signal()
        m.d.comb += sticky.eq(normalized[:width - SIG_BITS - 1].any())
        # E > EMIN: the leading one is on top, so field = E - EMIN = (exponent field - 1);
        # E = EMIN: field 0 and the top bit is the hidden bit (1: 2^EMIN or more, 0: subnormal)
        _round(m, self, exponent - EMIN, normalized[width - SIG_BITS:],
               normalized[width - SIG_BITS - 1], sticky,
               (exponent == EMIN) & ~normalized[width - 1])
        return m


class RoundBinary32(wiring.Component):
    """``bits`` = the magnitude bits (exponent and mantissa fields) of ``RNE(mag * 2^exp)``.

    Gradual underflow (subnormal results), overflow to Inf (``bits = 0x7F800000``). Flags follow
    docs/numerics.md 2.3 for a finite exact value: ``inexact`` (the result differs from
    ``mag * 2^exp``), ``overflow`` (rounded to Inf), ``underflow`` (``0 < mag * 2^exp < 2^-126``
    and inexact: tininess before rounding). ``mag == 0`` gives ``bits = 0`` and no flags.

    Steps: normalize (:class:`NormalizeBinary32`: leading-zero count and left shift) so the top bit
    is the leading one, giving the unbiased exponent ``E``; then (:class:`RoundNormalized`) below
    ``2^-126`` shift right by ``-126 - E`` (at most 25 places, past which only the sticky bit
    remains); keep 24 significand bits, the round bit and a sticky bit; add the rounding increment
    to ``(E + 126) << 23 | significand`` so that a carry out of the significand bumps the exponent
    (and a subnormal that rounds up becomes normal) for free.
    """

    def __init__(self, mag_width, exp_shape):
        if mag_width < SIG_BITS + 2:
            raise ValueError(f"mag_width: {mag_width} is too narrow; use at least {SIG_BITS + 2}")
        self.mag_width = mag_width
        self.exp_shape = exp_shape
        super().__init__({
            "mag": In(mag_width),
            "exp": In(exp_shape),
            **_rounded_outputs(),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.normalize = norm = NormalizeBinary32(self.mag_width, self.exp_shape)
        m.submodules.round = rnd = RoundNormalized(self.mag_width, self.exp_shape)
        m.d.comb += [norm.mag.eq(self.mag), norm.exp.eq(self.exp), rnd.n.eq(norm.n)]
        m.d.comb += [getattr(self, k).eq(getattr(rnd, k))
                     for k in ("bits", "overflow", "underflow", "inexact")]
        return m
