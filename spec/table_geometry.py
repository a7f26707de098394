"""Geometry of the multiplier tables (depth, entry width, product width), without Amaranth.

The one place where these widths are computed: ``MacParams`` uses them to validate ``ecc``, the
RTL (``nvlut.hdl.tables``) to size its tables. They follow from the format table
(:mod:`nvlut.spec.formats`, docs/numerics.md 1.1); ``tests/test_faults.py`` checks them against
the golden tables.

- ``lut`` (mantissa-product table): index ``{sig_a, sig_w}`` (significands with hidden bit), entry
  ``sig_a * sig_w`` (unsigned);
- ``fulllut`` (full-product table): index ``{a, w}`` (the raw codes), entry the signed element
  product ``p`` (two's complement, :func:`product_width` bits);
- ``mul``: no table (depth and width 0).
"""

from .formats import E2M1, WEIGHT_FORMATS


def product_width(weights):
    """Width of the signed element product ``p`` for a weight format (fp4 9, fp8 23, fp16 45)."""
    return (E2M1.max_int * WEIGHT_FORMATS[weights].max_int).bit_length() + 1


def entry_width(multiplier, weights):
    """Bits of one table entry (0 for ``mul``): lut fp4 4, fp8 6, fp16 13; fulllut fp4 9, fp8 23."""
    if multiplier == "lut":
        largest = ((1 << E2M1.sig_bits) - 1) * ((1 << WEIGHT_FORMATS[weights].sig_bits) - 1)
        return largest.bit_length()
    if multiplier == "fulllut":
        return product_width(weights)
    return 0


def table_depth(multiplier, weights):
    """Entries in the table (0 for ``mul``): lut 2^(2 + sig bits), fulllut 2^(4 + code bits)."""
    if multiplier == "lut":
        return 1 << (E2M1.sig_bits + WEIGHT_FORMATS[weights].sig_bits)
    if multiplier == "fulllut":
        return 1 << (E2M1.bits + WEIGHT_FORMATS[weights].bits)
    return 0
