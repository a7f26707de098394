"""Geometry of the multiplier tables (depth, entry width, product width), without Amaranth.

The one place where these widths are computed: ``MacParams`` uses them to validate ``ecc``, and
``nvlut.hdl.tables`` re-exports them for the generator. They follow from the field widths of the
formats (docs/numerics.md 1.1); ``tests/test_faults.py`` checks them against the golden tables.

- ``lut`` (mantissa-product table): index ``{sig_a, sig_w}`` (significands with hidden bit), entry
  ``sig_a * sig_w`` (unsigned);
- ``fulllut`` (full-product table): index ``{a, w}`` (the raw codes), entry the signed element
  product ``p`` (two's complement, :func:`product_width` bits);
- ``mul``: no table (depth and width 0).
"""

#: (exponent bits, mantissa bits, top exponent code usable by finite values, top mantissa code
#: usable with it) of the E2M1 activation and of each weight format
_FIELDS = {
    "fp4": (2, 1, 3, 1),         # E2M1: no Inf/NaN
    "fp8": (4, 3, 15, 6),        # E4M3 "fn": e = 15, m = 7 is NaN
    "fp16": (5, 10, 30, 1023),   # binary16: e = 31 is Inf/NaN
}


def code_bits(fmt):
    """Bits of one code of ``fmt`` (fp4|fp8|fp16)."""
    exp_bits, man_bits, _, _ = _FIELDS[fmt]
    return 1 + exp_bits + man_bits


def significand_bits(fmt):
    """Bits of the significand with its hidden bit."""
    return _FIELDS[fmt][1] + 1


def max_int(fmt):
    """Largest finite integer view ``n`` of ``fmt`` (docs/numerics.md 1.1): fp4 12, fp8 229376,
    fp16 2^40 - 2^29."""
    _, man_bits, e_top, m_top = _FIELDS[fmt]
    return ((1 << man_bits) + m_top) << (e_top - 1)


def product_width(weights):
    """Width of the signed element product ``p`` for a weight format (fp4 9, fp8 23, fp16 45)."""
    return (max_int("fp4") * max_int(weights)).bit_length() + 1


def entry_width(multiplier, weights):
    """Bits of one table entry (0 for ``mul``): lut fp4 4, fp8 6, fp16 13; fulllut fp4 9, fp8 23."""
    if multiplier == "lut":
        largest = ((1 << significand_bits("fp4")) - 1) * ((1 << significand_bits(weights)) - 1)
        return largest.bit_length()
    if multiplier == "fulllut":
        return product_width(weights)
    return 0


def table_depth(multiplier, weights):
    """Entries in the table (0 for ``mul``): lut 2^(2 + sig bits), fulllut 2^(4 + code bits)."""
    if multiplier == "lut":
        return 1 << (significand_bits("fp4") + significand_bits(weights))
    if multiplier == "fulllut":
        return 1 << (code_bits("fp4") + code_bits(weights))
    return 0
