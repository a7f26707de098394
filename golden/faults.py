"""Golden fault model of the ECC-protected LUT storage: what the decoder delivers from a faulty table.

A table of ``depth`` entries of ``width`` bits is stored, one stored word per entry, as

    stored = entry | check << width          (bits [0, width) are the entry, unchanged)

where ``check`` are the Hsiao check bits (:mod:`nvlut.golden.secded`) of the entry's ``protected``
most significant bits, ``entry[width-1 : width-protected]``: all ``width`` bits for ``ecc=secded``,
``p`` bits for ``ecc=msb<p>``, none (no check bits) for ``ecc=none``. The low ``width - protected``
bits are stored raw: a flip there reaches the multiplier unnoticed.

A *fault map* is ``uint64[depth]``: per table word, the XOR mask of the stored bits that are flipped
(bit ``b`` of the mask flips bit ``b`` of the stored word above). :func:`read_table` then returns what
the read path delivers for every word: the decoded entry and the decoder's ``corrected`` and
``uncorrectable`` flags (decoder contract in :mod:`nvlut.golden.secded`).
"""

import dataclasses
import re

import numpy as np

from . import secded

_MSB_RE = re.compile(r"^msb([1-9][0-9]*)$")


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
