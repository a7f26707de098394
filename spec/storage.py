"""How the table storage holds one entry: the stored word of an entry and its check bits.

Each entry of ``width`` bits is stored as one word

    stored = entry | check << width          (bits [0, width) are the entry, unchanged)

where ``check`` are the Hsiao check bits (:mod:`nvlut.spec.secded`) of the entry's ``protected``
most significant bits ``entry[width-1 : width-protected]``: all ``width`` bits for ``ecc=secded``,
``k`` bits for ``ecc=msb<k>``, none (no check bits) for ``ecc=none``. The low ``width -
protected`` bits are stored raw: a flip there reaches the multiplier unnoticed.

The golden fault model (``nvlut.golden.faults``) and the RTL codec (``nvlut.hdl.secded``) each
implement this layout; ``tests/test_faults.py`` checks them against each other bit for bit.
"""

import dataclasses

from .ecc import EccMode
from .secded import secded_code


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

    @property
    def code(self):
        """The :class:`~nvlut.spec.secded.SecdedCode` of the protected bits, or None."""
        return secded_code(self.protected) if self.protected else None

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
    """The :class:`StorageLayout` of ``width``-bit entries under ``ecc`` (none|secded|msb<k>)."""
    return StorageLayout(width, EccMode.parse(ecc).protected_bits(width))
