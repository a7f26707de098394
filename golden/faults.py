"""Golden fault model of the LUT storage: what the hardware computes from a faulty table.

**The table** (:func:`lut_table`), derived here from the golden formats: ``lut`` stores the
significand products ``sig_a * sig_w`` at address ``sig_a << sig_w_bits | sig_w`` (significands
with their hidden bit; the hardware then shifts the entry by ``exp_a + exp_w`` and signs it);
``fulllut`` stores the signed element product ``p`` (two's complement, 0 for NaN weights) at address
``a << Ww | w``. One table serves all B lanes. ``tests/test_faults.py`` checks that it equals
``nvlut.hdl.lut_image``.

**The storage.** Each entry is stored in the layout of :mod:`nvlut.spec.storage` (the entry, then
the Hsiao check bits of its ``protected`` most significant bits; the low bits are stored raw, so a
flip there reaches the multiplier unnoticed).

A *fault map* is ``uint64[depth]``: per table word, the XOR mask of the flipped stored bits (bit
``b`` of the mask flips bit ``b`` of the stored word above). :func:`read_table` returns what the
read path delivers for every word: the decoded entry and the decoder's ``corrected`` and
``uncorrectable`` flags (decoder contract in :mod:`nvlut.golden.secded`).

**The dot product** (:func:`dot_with_table`) is the golden dot product with every element product
replaced by the one the delivered table gives (:func:`faulty_products`), plus the two ECC flags:
a dot product raises ``ecc_corrected`` (``ecc_uncorrectable``) when any of its elements read a
table word whose decoder reported ``corrected`` (``uncorrectable``); every lane reads the table on
every beat, whatever its operands.
"""

import dataclasses

import numpy as np

from nvlut.spec.formats import E2M1, WEIGHT_FORMATS
from nvlut.spec.storage import storage_layout

from . import secded
from .dot import dot_flags, element_product
from .formats import check_codes

_ENTRY_MULTIPLIERS = ("lut", "fulllut")


@dataclasses.dataclass(frozen=True)
class LutTable:
    """The multiplier table of one design: ``entries`` (``uint64[depth]``, unsigned) of ``width``
    bits, for ``multiplier`` (lut|fulllut) and ``weights``."""

    multiplier: str
    weights: str
    width: int
    entries: np.ndarray

    @property
    def depth(self):
        return len(self.entries)


def _sig_exp_sign(codes, fmt):
    """Per code: significand with hidden bit, shift ``max(e, 1) - 1`` (``|n| = sig << shift``) and
    sign bit."""
    e_bits, m_bits = WEIGHT_FORMATS[fmt].exp_bits, WEIGHT_FORMATS[fmt].man_bits
    c = np.asarray(codes).astype(np.int64)
    m = c & ((1 << m_bits) - 1)
    e = (c >> m_bits) & ((1 << e_bits) - 1)
    return np.where(e != 0, m | (1 << m_bits), m), np.maximum(e, 1) - 1, c >> (e_bits + m_bits) & 1


def lut_table(multiplier, weights):
    """The :class:`LutTable` of ``multiplier`` (lut|fulllut) for ``weights`` (see module docs)."""
    if multiplier not in _ENTRY_MULTIPLIERS:
        raise ValueError(f"multiplier: {multiplier!r} has no table; choose one of "
                         f"{', '.join(_ENTRY_MULTIPLIERS)}")
    if weights not in WEIGHT_FORMATS:
        raise ValueError(f"weights: {weights!r} is not allowed; choose one of fp4, fp8, fp16")
    if multiplier == "lut":
        sig_a = np.arange(1 << E2M1.sig_bits, dtype=np.uint64)
        sig_w = np.arange(1 << WEIGHT_FORMATS[weights].sig_bits, dtype=np.uint64)
        entries = (sig_a[:, None] * sig_w[None, :]).ravel()
        return LutTable(multiplier, weights, int(entries.max()).bit_length(), entries)
    a, w = np.meshgrid(np.arange(1 << E2M1.bits), np.arange(1 << WEIGHT_FORMATS[weights].bits),
                       indexing="ij")
    p, _, _ = element_product(a.ravel(), w.ravel(), weights)
    width = int(np.abs(p).max()).bit_length() + 1     # two's complement of the largest |p|
    return LutTable(multiplier, weights, width, (p & ((1 << width) - 1)).astype(np.uint64))


def table_address(table, a, w):
    """Table address each element (E2M1 code ``a``, weight code ``w``) reads."""
    a = np.asarray(a).astype(np.int64)
    w = np.asarray(w).astype(np.int64)
    if table.multiplier == "fulllut":
        return a << WEIGHT_FORMATS[table.weights].bits | w
    sig_a, _, _ = _sig_exp_sign(a, "fp4")
    sig_w, _, _ = _sig_exp_sign(w, table.weights)
    return sig_a << WEIGHT_FORMATS[table.weights].sig_bits | sig_w


def faulty_products(table, entries, a, w):
    """Element products ``(p, inf, nan)`` as the hardware forms them from delivered ``entries``
    (``uint64[depth]``, e.g. from :func:`faulty_read`), in the form of ``element_product``."""
    _, inf, nan = element_product(a, w, table.weights)
    value = np.asarray(entries, dtype=np.uint64)[table_address(table, a, w)].astype(np.int64)
    if table.multiplier == "fulllut":
        p = np.where(value >> (table.width - 1) & 1, value - (1 << table.width), value)
    else:
        _, exp_a, sign_a = _sig_exp_sign(a, "fp4")
        _, exp_w, sign_w = _sig_exp_sign(w, table.weights)
        magnitude = value << (exp_a + exp_w)
        p = np.where(inf | nan, 0, np.where(sign_a ^ sign_w, -magnitude, magnitude))
    return p, inf, nan

def _check_numpy_words(layout):
    if layout.stored_bits > secded.MAX_NUMPY_DATA_BITS:
        raise ValueError(f"width: stored words of {layout.stored_bits} bits exceed the "
                         f"{secded.MAX_NUMPY_DATA_BITS}-bit words of the NumPy fault model")


def _split(layout, entries):
    """(raw low bits, protected high bits) of ``entries``."""
    low_bits = np.uint64(layout.width - layout.protected)
    return entries & ((np.uint64(1) << low_bits) - np.uint64(1)), entries >> low_bits


def encode_table(layout, entries):
    """Stored words (``uint64``) of the table ``entries`` (integers of ``layout.width`` bits)."""
    _check_numpy_words(layout)
    entries = np.asarray(entries)
    if entries.dtype.kind not in "ui" or np.any(entries < 0) or np.any(
            entries.astype(np.uint64) >> np.uint64(layout.width)):
        raise ValueError(f"entries: expected non-negative integers of at most {layout.width} bits")
    entries = entries.astype(np.uint64)
    if not layout.protected:
        return entries
    check = secded.encode(layout.code, _split(layout, entries)[1]).astype(np.uint64)
    return entries | check << np.uint64(layout.width)


def read_table(layout, stored):
    """What the read path delivers from ``stored`` words: ``(entries uint64, corrected bool,
    uncorrectable bool)`` per word."""
    _check_numpy_words(layout)
    stored = np.asarray(stored, dtype=np.uint64)
    entries = stored & np.uint64((1 << layout.width) - 1)
    if not layout.protected:
        zeros = np.zeros(stored.shape, dtype=bool)
        return entries, zeros, zeros.copy()
    low, high = _split(layout, entries)
    check = stored >> np.uint64(layout.width)
    high, corrected, uncorrectable = secded.decode(layout.code, high, check)
    return low | high << np.uint64(layout.width - layout.protected), corrected, uncorrectable


def random_fault_map(rng, depth, stored_bits, ber):
    """A fault map flipping each of the ``depth * stored_bits`` stored bits independently with
    probability ``ber`` (``rng`` a :class:`numpy.random.Generator`)."""
    if not 0.0 <= ber <= 1.0:
        raise ValueError(f"ber: {ber!r} is not a probability; use a number from 0 to 1")
    flips = rng.random((depth, stored_bits)) < ber
    weights = np.uint64(1) << np.arange(stored_bits, dtype=np.uint64)
    return (flips * weights).sum(axis=1, dtype=np.uint64)


def fault_map_from_bits(depth, bits):
    """A fault map from ``(word, bit)`` pairs (each pair flips one stored bit; repeats cancel)."""
    fault_map = np.zeros(depth, dtype=np.uint64)
    for word, bit in bits:
        if not 0 <= word < depth or not 0 <= bit < 64:
            raise ValueError(f"bits: ({word}, {bit}) is outside a table of {depth} words")
        fault_map[word] ^= np.uint64(1 << bit)
    return fault_map


def faulty_read(layout, entries, fault_map):
    """The table as the faulty storage delivers it: :func:`read_table` of the encoded ``entries``
    with the ``fault_map`` flips applied."""
    fault_map = np.asarray(fault_map, dtype=np.uint64)
    if np.any(fault_map >> np.uint64(layout.stored_bits)):
        raise ValueError(f"fault_map: flips beyond the {layout.stored_bits} stored bits per word")
    return read_table(layout, encode_table(layout, entries) ^ fault_map)


def faulty_table(params, fault_map):
    """What the storage of ``params`` (a ``MacParams`` with a table) delivers under ``fault_map``:
    ``(entries, corrected, uncorrectable)`` per table word."""
    table = lut_table(params.multiplier, params.weights)
    return faulty_read(storage_layout(table.width, params.ecc), table.entries, fault_map)


def dot_with_table(params, delivered, a, w, sa, sw, t):
    """The dot products of ``params`` computed from the ``delivered`` table ``(entries, corrected,
    uncorrectable)`` (from :func:`faulty_table`): ``(y, flags)`` as ``nvlut.golden.dot_flags`` gives
    them, plus ``flags["ecc_corrected"]`` and ``flags["ecc_uncorrectable"]``. Other arguments as for
    ``nvlut.golden.dot``."""
    entries, corrected, uncorrectable = delivered
    table = lut_table(params.multiplier, params.weights)
    a = check_codes(a, "fp4", "a")
    w = check_codes(w, params.weights, "w")
    products = faulty_products(table, entries, a, w)
    y, flags = dot_flags(a, w, sa, sw, t, params.weights, products=products)
    address = table_address(table, a, w).reshape(len(a), -1)
    flags["ecc_corrected"] = np.asarray(corrected)[address].any(axis=1)
    flags["ecc_uncorrectable"] = np.asarray(uncorrectable)[address].any(axis=1)
    return y, flags
