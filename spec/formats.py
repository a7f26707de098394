"""The format table: every floating-point format nvlut reads or writes, as plain facts.

A code of a :class:`Format` is ``sign | e (exp_bits) | m (man_bits)``, MSB first. A finite value is

    (-1)^sign * sig * 2^(max(e, 1) - 1 + grid)

where ``sig = {e != 0, m}`` is the significand with its hidden bit and ``grid`` the format's fixed
grid exponent (-1 for E2M1, -9 for E4M3, -24 for binary16, -149 for binary32), so ``sig << (max(e,
1) - 1)`` is the integer view ``n`` of docs/numerics.md section 1.1. Special values follow
``specials``: ``none`` (E2M1: no Inf/NaN), ``fn`` (OCP E4M3: NaN = all-ones exponent and mantissa,
no Inf) or ``ieee`` (all-ones exponent: Inf if the mantissa is 0, else NaN).

The golden model and the RTL decode codes independently; ``tests/test_golden_formats.py`` checks
these facts against ml_dtypes.
"""

import dataclasses

#: special-value conventions, see the module docstring
SPECIALS = ("none", "fn", "ieee")


@dataclasses.dataclass(frozen=True)
class Format:
    """A binary floating-point format: sign, ``exp_bits`` exponent, ``man_bits`` mantissa bits,
    special values per ``specials`` (none|fn|ieee)."""

    name: str
    exp_bits: int
    man_bits: int
    specials: str

    def __post_init__(self):
        if self.specials not in SPECIALS:
            raise ValueError(f"specials: {self.specials!r} is not allowed; choose one of "
                             f"{', '.join(SPECIALS)}")

    @property
    def bits(self):
        """Bits of one code."""
        return 1 + self.exp_bits + self.man_bits

    @property
    def sig_bits(self):
        """Width of the significand including the hidden bit."""
        return self.man_bits + 1

    @property
    def bias(self):
        return (1 << (self.exp_bits - 1)) - 1

    @property
    def exp_width(self):
        """Width of the recoded ``exp = max(e, 1) - 1`` (it can reach ``2^exp_bits - 2``)."""
        return max(1, ((1 << self.exp_bits) - 2).bit_length())

    @property
    def grid(self):
        """Exponent of the integer view's unit: ``value = n * 2^grid``."""
        return 1 - self.bias - self.man_bits

    @property
    def max_int(self):
        """Largest finite integer view ``n`` (docs/numerics.md 1.1): E2M1 12, E4M3 229376 (448 *
        2^9), binary16 2^40 - 2^29."""
        e_top = (1 << self.exp_bits) - 1
        if self.specials == "ieee":
            e_top -= 1
        m_top = (1 << self.man_bits) - 1 - (self.specials == "fn")
        return ((1 << self.man_bits) + m_top) << (e_top - 1)

    @property
    def max_value(self):
        """Largest finite value (exact as a float): E2M1 6, E4M3 448, binary16 65504."""
        return float(self.max_int) * 2.0 ** self.grid

    @property
    def min_normal(self):
        """Smallest positive normal value: ``2^(1 - bias)``."""
        return 2.0 ** (1 - self.bias)


E2M1 = Format("e2m1", 2, 1, "none")
E4M3 = Format("e4m3", 4, 3, "fn")
BINARY16 = Format("binary16", 5, 10, "ieee")
BINARY32 = Format("binary32", 8, 23, "ieee")

#: the weight format of each ``MacParams.weights`` value; activations are always E2M1 ("fp4"),
#: block and tensor scales E4M3 and binary32
WEIGHT_FORMATS = {"fp4": E2M1, "fp8": E4M3, "fp16": BINARY16}

#: the ``weights`` names, in order
WEIGHTS = tuple(WEIGHT_FORMATS)
