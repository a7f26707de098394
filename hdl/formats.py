"""The decoder of the formats of ``nvlut.spec.formats`` (HardFloat style: decode, then compute on the
recoding).

Recoding (the same for every format): a finite value is

    (-1)^sign * sig * 2^(exp + grid)

where ``sig`` is the significand *with* its hidden bit (``{e != 0, m}``, so subnormals need no
special handling), ``exp = max(e, 1) - 1`` is an unsigned shift and ``grid`` is the format's fixed
grid exponent (-1 for E2M1, -9 for E4M3, -24 for binary16, -149 for binary32). ``sig << exp`` is
therefore exactly the integer view ``n`` of docs/numerics.md section 1.1, and for an E4M3 block
scale ``sig`` is ``M`` and ``exp`` is ``Q - Qmin`` (``Q = exp - 9``).
"""

from amaranth.hdl import Cat, Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


def decode_fields(fmt, code):
    """Python twin of :class:`Decoder` for a ``nvlut.spec.formats.Format``: ``(sign, exp, sig,
    is_zero, is_inf, is_nan)`` of ``code``."""
    m = code & ((1 << fmt.man_bits) - 1)
    e = (code >> fmt.man_bits) & ((1 << fmt.exp_bits) - 1)
    sign = code >> (fmt.bits - 1) & 1
    e_ones = e == (1 << fmt.exp_bits) - 1
    m_ones = m == (1 << fmt.man_bits) - 1
    is_inf = fmt.specials == "ieee" and e_ones and m == 0
    is_nan = ((fmt.specials == "ieee" and e_ones and m != 0)
              or (fmt.specials == "fn" and e_ones and m_ones))
    sig = m | (int(e != 0) << fmt.man_bits)
    return sign, max(e, 1) - 1, sig, e == 0 and m == 0, is_inf, is_nan


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
