"""Contents and geometry of the multiplier tables (what the LUT stores).

``lut`` (mantissa-product table): index ``{sig_a, sig_w}`` = ``sig_a << sig_w_bits | sig_w``, the
significands *with* hidden bits of the E2M1 activation (2 bits) and of the weight (2, 4 or 11 bits),
entry ``sig_a * sig_w`` (unsigned). Subnormals are exact: the hidden bit is part of the index.

``fulllut`` (full-product table): index ``{a, w}`` = ``a << Ww | w`` (the raw codes), entry the
exact signed element product ``p`` of docs/numerics.md 2.1 in two's complement, 0 for NaN weights.

``mul`` has no table. The entries are computed here from the format table
(:func:`nvlut.hdl.formats.decode_fields`), independently of ``nvlut.golden``. The geometry
(``entry_width``, ``table_depth``, ``product_width``) is a fact of ``nvlut.spec.table_geometry``.
"""

from nvlut.spec.formats import E2M1, WEIGHT_FORMATS
from nvlut.spec.table_geometry import product_width

from .formats import decode_fields


def _mantissa_entries(weights):
    wf = WEIGHT_FORMATS[weights]
    return [sa * sw for sa in range(1 << E2M1.sig_bits) for sw in range(1 << wf.sig_bits)]


def _product_entries(weights):
    wf = WEIGHT_FORMATS[weights]
    width = product_width(weights)
    entries = []
    for a in range(1 << E2M1.bits):
        a_sign, a_exp, a_sig, _, _, _ = decode_fields(E2M1, a)
        for w in range(1 << wf.bits):
            w_sign, w_exp, w_sig, _, w_inf, w_nan = decode_fields(wf, w)
            p = 0 if (w_inf or w_nan) else (a_sig * w_sig) << (a_exp + w_exp)
            entries.append((-p if a_sign ^ w_sign else p) & ((1 << width) - 1))
    return entries


def table_entries(multiplier, weights):
    """The table of a multiplier variant as unsigned entries (address order); ``[]`` for ``mul``."""
    if multiplier == "lut":
        return _mantissa_entries(weights)
    if multiplier == "fulllut":
        return _product_entries(weights)
    return []


def lut_image(params):
    """The words to write through the ``cfg`` port at addresses ``0..len-1`` (``lut_storage=ram``).

    The ``cfg`` port takes plain table entries; the storage encodes them with its codec (ECC) on
    the write path, so the image does not depend on ``ecc``.
    """
    if params.lut_storage != "ram":
        raise ValueError(f"lut_storage: {params.lut_storage!r} has no writable table; "
                         "lut_image needs lut_storage 'ram'")
    return table_entries(params.multiplier, params.weights)
