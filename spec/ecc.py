"""The ECC mode of the table storage: ``none | secded | msb<k>``, parsed in this one place.

- ``none``: entries stored as they are;
- ``secded``: the whole entry covered by a Hsiao SECDED code (:mod:`nvlut.spec.secded`);
- ``msb<k>`` (``k >= 1``): only the ``k`` most significant bits of each entry covered.

How the covered bits and the check bits are laid out in a stored word is
:mod:`nvlut.spec.storage`.
"""

import dataclasses
import re

_ECC_RE = re.compile(r"^(none|secded|msb([1-9][0-9]*))$")

#: what ``ecc`` accepts, for messages and help texts
ECC_GRAMMAR = "none|secded|msb<k>"

#: the one default of a sweep over ECC modes (``nvlut faults --ecc-modes``, ``nvlut ablate
#: --ecc-modes``)
ECC_SWEEP = ("none", "msb2", "msb4", "secded")


@dataclasses.dataclass(frozen=True)
class EccMode:
    """A parsed ECC mode: ``kind`` (none|secded|msb) and, for ``msb``, ``k``. Build it with
    :meth:`parse`; ``str()`` gives back the text it was parsed from."""

    kind: str
    k: int = 0

    @classmethod
    def parse(cls, text):
        """The :class:`EccMode` of ``text``, or ``ValueError`` naming ``ecc`` and the grammar."""
        match = _ECC_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"ecc: {text!r} is not allowed; choose none, secded or msb<k> "
                             "(k >= 1: SECDED on the k most significant bits of each table entry)")
        if match.group(2):
            return cls("msb", int(match.group(2)))
        return cls(match.group(1))

    def __str__(self):
        return f"msb{self.k}" if self.kind == "msb" else self.kind

    @property
    def enabled(self):
        """True unless the mode is ``none``."""
        return self.kind != "none"

    def protected_bits(self, width, entry=""):
        """Most significant bits of a ``width``-bit entry this mode covers: ``k`` for ``msb<k>``,
        ``width`` for ``secded``, 0 for ``none``. Raises ``ValueError`` when ``k > width``
        (``entry``, e.g. ``" (lut table, fp8 weights)"``, says which entry in the message)."""
        if self.kind == "msb":
            if self.k > width:
                raise ValueError(f"ecc: cannot protect {self.k} bits of a {width}-bit table "
                                 f"entry{entry}; use msb1 .. msb{width} or secded")
            return self.k
        return width if self.kind == "secded" else 0
