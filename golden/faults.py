"""Golden fault model of the LUT storage: what the hardware computes from a faulty table.

**The table** (:func:`lut_table`), derived here from the golden formats: ``lut`` stores the
significand products ``sig_a * sig_w`` at address ``sig_a << sig_w_bits | sig_w`` (significands
with their hidden bit; the hardware then shifts the entry by ``exp_a + exp_w`` and signs it);
``fulllut`` stores the signed element product ``p`` (two's complement, 0 for NaN weights) at address
``a << Ww | w``. One table serves all B lanes. ``tests/test_faults.py`` checks that it equals
``nvlut.hdl.lut_image``.

**The storage.** Each entry of ``width`` bits is stored as one word

    stored = entry | check << width          (bits [0, width) are the entry, unchanged)

where ``check`` are the Hsiao check bits (:mod:`nvlut.golden.secded`) of the entry's ``protected``
most significant bits ``entry[width-1 : width-protected]``: all ``width`` bits for ``ecc=secded``,
``p`` bits for ``ecc=msb<p>``, none (no check bits) for ``ecc=none``. The low
``width - protected`` bits are stored raw: a flip there reaches the multiplier unnoticed.

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
import re

import numpy as np

from . import secded
from .dot import dot_flags, element_product
from .formats import MAX_INT, check_codes

_MSB_RE = re.compile(r"^msb([1-9][0-9]*)$")

#: (exponent bits, mantissa bits) of the E2M1 activation and of each weight format
_FIELDS = {"fp4": (2, 1), "fp8": (4, 3), "fp16": (5, 10)}
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
    e_bits, m_bits = _FIELDS[fmt]
    c = np.asarray(codes).astype(np.int64)
    m = c & ((1 << m_bits) - 1)
    e = (c >> m_bits) & ((1 << e_bits) - 1)
    return np.where(e != 0, m | (1 << m_bits), m), np.maximum(e, 1) - 1, c >> (e_bits + m_bits) & 1


def _sig_bits(fmt):
    return _FIELDS[fmt][1] + 1


def lut_table(multiplier, weights):
    """The :class:`LutTable` of ``multiplier`` (lut|fulllut) for ``weights`` (see module docs)."""
    if multiplier not in _ENTRY_MULTIPLIERS:
        raise ValueError(f"multiplier: {multiplier!r} has no table; choose one of "
                         f"{', '.join(_ENTRY_MULTIPLIERS)}")
    if weights not in _FIELDS:
        raise ValueError(f"weights: {weights!r} is not allowed; choose one of fp4, fp8, fp16")
    if multiplier == "lut":
        sig_a = np.arange(1 << _sig_bits("fp4"), dtype=np.uint64)
        sig_w = np.arange(1 << _sig_bits(weights), dtype=np.uint64)
        entries = (sig_a[:, None] * sig_w[None, :]).ravel()
        return LutTable(multiplier, weights, int(entries.max()).bit_length(), entries)
    w_bits = sum(_FIELDS[weights]) + 1
    a, w = np.meshgrid(np.arange(16), np.arange(1 << w_bits), indexing="ij")
    p, _, _ = element_product(a.ravel(), w.ravel(), weights)
    width = (12 * MAX_INT[weights]).bit_length() + 1
    return LutTable(multiplier, weights, width, (p & ((1 << width) - 1)).astype(np.uint64))


def table_address(table, a, w):
    """Table address each element (E2M1 code ``a``, weight code ``w``) reads."""
    a = np.asarray(a).astype(np.int64)
    w = np.asarray(w).astype(np.int64)
    if table.multiplier == "fulllut":
        return a << (sum(_FIELDS[table.weights]) + 1) | w
    sig_a, _, _ = _sig_exp_sign(a, "fp4")
    sig_w, _, _ = _sig_exp_sign(w, table.weights)
    return sig_a << _sig_bits(table.weights) | sig_w


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

@dataclasses.dataclass(frozen=True)
class StorageLayout:
    """How one table entry of ``width`` bits is stored with ``protected`` SECDED-covered MSBs."""

    width: int
    protected: int

    def __post_init__(self):
        if isinstance(self.width, bool) or not isinstance(self.width, int) or self.width < 1:
            raise ValueError(f"width: {self.width!r} is not allowed; use an integer >= 1")
        if not 0 <= self.protected <= self.width:
            raise ValueError(f"ecc: cannot protect {self.protected} bits of a {self.width}-bit "
                             f"table entry; use msb1 .. msb{self.width} or secded")
        if self.stored_bits > secded.MAX_NUMPY_DATA_BITS:
            raise ValueError(f"width: stored words of {self.stored_bits} bits exceed the "
                             f"{secded.MAX_NUMPY_DATA_BITS}-bit words of the NumPy fault model")

    @property
    def code(self):
        """The :class:`~nvlut.golden.secded.SecdedCode` of the protected bits, or None."""
        return secded.secded_code(self.protected) if self.protected else None

    @property
    def check_bits(self):
        return self.code.r if self.protected else 0

    @property
    def stored_bits(self):
        """Bits per stored word: the entry plus its check bits."""
        return self.width + self.check_bits

    @property
    def overhead(self):
        """Extra storage relative to the unprotected table (check bits / entry bits)."""
        return self.check_bits / self.width


def storage_layout(width, ecc):
    """The :class:`StorageLayout` of ``width``-bit entries under ``ecc`` (none|secded|msb<p>)."""
    if ecc == "none":
        return StorageLayout(width, 0)
    if ecc == "secded":
        return StorageLayout(width, width)
    match = _MSB_RE.match(ecc) if isinstance(ecc, str) else None
    if match is None:
        raise ValueError(f"ecc: {ecc!r} is not allowed; choose none, secded or msb<p> (p >= 1)")
    return StorageLayout(width, int(match.group(1)))


def _split(layout, entries):
    """(raw low bits, protected high bits) of ``entries``."""
    low_bits = np.uint64(layout.width - layout.protected)
    return entries & ((np.uint64(1) << low_bits) - np.uint64(1)), entries >> low_bits


def encode_table(layout, entries):
    """Stored words (``uint64``) of the table ``entries`` (integers of ``layout.width`` bits)."""
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
