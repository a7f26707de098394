"""Combinational Hsiao SECDED encoder and decoder, and the LUT storage codec built on them.

:class:`SecdedEncoder` / :class:`SecdedDecoder` are generated from
``nvlut.spec.secded.secded_code(k)``, the one description of the code (columns, check bits,
code word layout ``Cat(data, check)`` and decoder contract are documented there and in
``docs/ecc.md``). :class:`SecdedCodec` is the codec of ``ecc = secded | msb<p>`` for
``nvlut.hdl.lut_storage``: it stores a table entry in the layout of
``nvlut.spec.storage.StorageLayout`` (the entry, then the check bits of its ``p`` most
significant bits). ``tests/test_secded_hdl.py`` and ``tests/test_faults.py`` check both bit for bit
against the golden codec and fault model.
"""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from nvlut.spec.secded import secded_code
from nvlut.spec.storage import storage_layout


def _parity(value, mask):
    """XOR of the bits of ``value`` selected by the integer ``mask``."""
    return Cat(value[i] for i in range(len(value)) if mask >> i & 1).xor()


class SecdedEncoder(wiring.Component):
    """``code = Cat(data, check)``: ``data`` with its ``r`` Hsiao check bits appended.

    Ports: ``data: In(k)``, ``code: Out(k + r)``.
    """

    def __init__(self, k):
        self.secded = secded_code(k)
        super().__init__({"data": In(k), "code": Out(self.secded.n)})

    def elaborate(self, platform):
        m = Module()
        check = Cat(_parity(self.data, mask) for mask in self.secded.data_masks)
        m.d.comb += self.code.eq(Cat(self.data, check))
        return m


class SecdedDecoder(wiring.Component):
    """Corrects single-bit errors and flags uncorrectable ones in a received code word.

    Ports: ``code: In(k + r)``; ``data: Out(k)`` (corrected data, or the received data bits when
    ``uncorrectable``); ``corrected: Out(1)`` (the syndrome named one flipped bit, data or check,
    and it was corrected); ``uncorrectable: Out(1)`` (nonzero syndrome naming no single bit).
    """

    def __init__(self, k):
        self.secded = secded_code(k)
        super().__init__({"code": In(self.secded.n), "data": Out(k),
                          "corrected": Out(1), "uncorrectable": Out(1)})

    def elaborate(self, platform):
        m = Module()
        code = self.secded
        syndrome = Signal(code.r)
        m.d.comb += syndrome.eq(Cat(_parity(self.code, mask) for mask in code.row_masks))
        # one comparator per code word bit: the syndrome names that bit
        names_bit = Cat(syndrome == column for column in code.columns)
        m.d.comb += [
            self.data.eq(self.code[:code.k] ^ names_bit[:code.k]),
            self.corrected.eq(names_bit.any()),
            self.uncorrectable.eq(syndrome.any() & ~names_bit.any()),
        ]
        return m


class StorageEncoder(wiring.Component):
    """Write path of :class:`SecdedCodec`: ``code = Cat(data, check bits of the protected MSBs)``.

    Ports: ``data: In(width)``, ``code: Out(stored_bits)`` (``layout`` a
    ``nvlut.spec.storage.StorageLayout`` with ``protected >= 1``).
    """

    def __init__(self, layout):
        self.layout = layout
        super().__init__({"data": In(layout.width), "code": Out(layout.stored_bits)})

    def elaborate(self, platform):
        m = Module()
        raw = self.layout.width - self.layout.protected
        m.submodules.secded = secded = SecdedEncoder(self.layout.protected)
        m.d.comb += [
            secded.data.eq(self.data[raw:]),
            self.code.eq(Cat(self.data, secded.code[self.layout.protected:])),
        ]
        return m


class StorageDecoder(wiring.Component):
    """Read path of :class:`SecdedCodec`: the raw low bits pass through, the protected MSBs are
    decoded. Ports: ``code: In(stored_bits)``, ``data: Out(width)``, ``corrected: Out(1)``,
    ``uncorrectable: Out(1)`` (the :class:`SecdedDecoder` flags of the protected part)."""

    def __init__(self, layout):
        self.layout = layout
        super().__init__({"code": In(layout.stored_bits), "data": Out(layout.width),
                          "corrected": Out(1), "uncorrectable": Out(1)})

    def elaborate(self, platform):
        m = Module()
        width, raw = self.layout.width, self.layout.width - self.layout.protected
        m.submodules.secded = secded = SecdedDecoder(self.layout.protected)
        m.d.comb += [
            secded.code.eq(Cat(self.code[raw:width], self.code[width:])),
            self.data.eq(Cat(self.code[:raw], secded.data)),
            self.corrected.eq(secded.corrected),
            self.uncorrectable.eq(secded.uncorrectable),
        ]
        return m


class SecdedCodec:
    """Codec of ``ecc`` (``secded`` or ``msb<p>``) for ``width``-bit table entries, with the
    interface ``nvlut.hdl.lut_storage`` expects: ``entry_width``, ``word_width``,
    ``encode(entry) -> word``, ``encoder()``, ``decoder()``."""

    def __init__(self, width, ecc):
        self.layout = storage_layout(width, ecc)
        if not self.layout.protected:
            raise ValueError(f"ecc: {ecc!r} protects nothing; SecdedCodec needs secded or msb<p>")
        self.entry_width = width
        self.word_width = self.layout.stored_bits

    def encode(self, entry):
        """The stored word of ``entry``: the entry, then the check bits of its protected MSBs."""
        high = entry >> (self.layout.width - self.layout.protected)
        check = sum((bin(high & mask).count("1") & 1) << j
                    for j, mask in enumerate(self.layout.code.data_masks))
        return entry | check << self.layout.width

    def encoder(self):
        return StorageEncoder(self.layout)

    def decoder(self):
        return StorageDecoder(self.layout)
