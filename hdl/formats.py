"""Floating-point formats and their decoder (HardFloat style: decode, then compute on the recoding).

Recoding (the same for every format): a finite value is

    (-1)^sign * sig * 2^(exp + grid)

where ``sig`` is the significand *with* its hidden bit (``{e != 0, m}``, so subnormals need no
special handling), ``exp = max(e, 1) - 1`` is an unsigned shift and ``grid`` is the format's fixed
grid exponent (-1 for E2M1, -9 for E4M3, -24 for binary16, -149 for binary32). ``sig << exp`` is
therefore exactly the integer view ``n`` of docs/numerics.md section 1.1, and for an E4M3 block
scale ``sig`` is ``M`` and ``exp`` is ``Q - Qmin`` (``Q = exp - 9``).
"""

import dataclasses

from amaranth.hdl import Cat, Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

#: special-value conventions: no Inf/NaN; OCP "fn" (NaN = all-ones exponent and mantissa, no Inf);
#: IEEE 754 (all-ones exponent: Inf if mantissa 0, else NaN)
SPECIALS = ("none", "fn", "ieee")


@dataclasses.dataclass(frozen=True)
class Format:
    """A binary floating-point format: sign, ``exp_bits`` exponent, ``man_bits`` mantissa bits."""

    name: str
    exp_bits: int
    man_bits: int
    specials: str

    @property
    def bits(self):
        return 1 + self.exp_bits + self.man_bits

    @property
    def sig_bits(self):
        """Width of the significand including the hidden bit."""
        return self.man_bits + 1

    @property
    def exp_width(self):
        """Width of the recoded ``exp = max(e, 1) - 1`` (it can reach ``2^exp_bits - 2``)."""
        return max(1, ((1 << self.exp_bits) - 2).bit_length())

    @property
    def grid(self):
        """Exponent of the integer view's unit: ``value = n * 2^grid``."""
        bias = (1 << (self.exp_bits - 1)) - 1
        return 1 - bias - self.man_bits

    @property
    def max_int(self):
        """Largest finite integer view ``n`` (docs/numerics.md 1.1)."""
        e_top = (1 << self.exp_bits) - 1
        if self.specials == "ieee":
            e_top -= 1
        m_top = (1 << self.man_bits) - 1 - (self.specials == "fn")
        return ((1 << self.man_bits) + m_top) << (e_top - 1)

    def fields(self, code):
        """Python twin of :class:`Decoder`: ``(sign, exp, sig, is_zero, is_inf, is_nan)``."""
        m = code & ((1 << self.man_bits) - 1)
        e = (code >> self.man_bits) & ((1 << self.exp_bits) - 1)
        sign = code >> (self.bits - 1) & 1
        e_ones = e == (1 << self.exp_bits) - 1
        m_ones = m == (1 << self.man_bits) - 1
        is_inf = self.specials == "ieee" and e_ones and m == 0
        is_nan = ((self.specials == "ieee" and e_ones and m != 0)
                  or (self.specials == "fn" and e_ones and m_ones))
        sig = m | (int(e != 0) << self.man_bits)
        return sign, max(e, 1) - 1, sig, e == 0 and m == 0, is_inf, is_nan


E2M1 = Format("e2m1", 2, 1, "none")
E4M3 = Format("e4m3", 4, 3, "fn")
BINARY16 = Format("binary16", 5, 10, "ieee")
BINARY32 = Format("binary32", 8, 23, "ieee")

#: weight format of each ``MacParams.weights`` value
WEIGHT_FORMATS = {"fp4": E2M1, "fp8": E4M3, "fp16": BINARY16}


class Decoder(wiring.Component):
    """Decode a code of ``fmt`` into sign / exp / sig / is_zero / is_inf / is_nan (see above).

    ``exp`` and ``sig`` are meaningful only when ``is_inf`` and ``is_nan`` are low; ``is_zero``
    covers both signed zeros. Purely combinational.
    """

    def __init__(self, fmt):
        self.fmt = fmt
        super().__init__({
            "code": In(fmt.bits),
            "sign": Out(1),
            "exp": Out(fmt.exp_width),
            "sig": Out(fmt.sig_bits),
            "is_zero": Out(1),
            "is_inf": Out(1),
            "is_nan": Out(1),
        })

    def elaborate(self, platform):
        fmt = self.fmt
        m = Module()
        man = self.code[:fmt.man_bits]
        e = self.code[fmt.man_bits:fmt.man_bits + fmt.exp_bits]
        normal = e != 0
        e_ones = e == (1 << fmt.exp_bits) - 1
        m.d.comb += [
            self.sign.eq(self.code[-1]),
            self.exp.eq(Mux(normal, e - 1, 0)),
            self.sig.eq(Cat(man, normal)),
            self.is_zero.eq(~normal & (man == 0)),
        ]
        if fmt.specials == "ieee":
            m.d.comb += [
                self.is_inf.eq(e_ones & (man == 0)),
                self.is_nan.eq(e_ones & (man != 0)),
            ]
        elif fmt.specials == "fn":
            m.d.comb += self.is_nan.eq(e_ones & (man == (1 << fmt.man_bits) - 1))
        return m
