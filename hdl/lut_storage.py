"""Table storage shared by the B lanes: constant (ROM) or writable (RAM), with a codec hook for ECC.

One table, ``ports`` combinational (asynchronous) read ports, one per lane; no per-lane copies. A
writable table has a synchronous write port (``write``: ``en``, ``addr``, ``data``), which the top
exposes as the ``cfg`` port. The codec is where ECC goes: the storage holds ``codec`` words; the
write path runs entries through ``codec.encoder()``, each read port through its own
``codec.decoder()``, whose ``corrected`` / ``uncorrectable`` outputs are ORed into the storage's
outputs of those names.

A codec object provides ``entry_width``, ``word_width``, ``encode(entry) -> word`` (Python) and
``encoder()`` (``data: In(entry_width)``, ``code: Out(word_width)``) and ``decoder()`` (``code:
In(word_width)``, ``data: Out(entry_width)``, ``corrected: Out(1)``, ``uncorrectable: Out(1)``)
components, the port names of ``nvlut.hdl.secded``. The contents of a RAM are undefined (zero in
simulation) until written.
"""

from amaranth.hdl import Module
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from .tables import entry_width, table_depth, table_entries


def address_width(depth):
    return max(1, (depth - 1).bit_length())


class ReadSignature(wiring.Signature):
    """A table read port as seen by its user: drives ``addr``, receives ``data`` the same cycle."""

    def __init__(self, addr_width, data_width):
        super().__init__({"addr": Out(addr_width), "data": In(data_width)})


class WriteSignature(wiring.Signature):
    """A table write port as seen by the writer: ``data`` is stored at ``addr`` while ``en``."""

    def __init__(self, addr_width, data_width):
        super().__init__({"en": Out(1), "addr": Out(addr_width), "data": Out(data_width)})


class IdentityEncoder(wiring.Component):
    """Codec write path without protection: ``code`` (the stored word) = ``data`` (the entry)."""

    def __init__(self, width):
        super().__init__({"data": In(width), "code": Out(width)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.code.eq(self.data)
        return m


class IdentityDecoder(wiring.Component):
    """Codec read path without protection: ``data`` = ``code``, never corrected or uncorrectable."""

    def __init__(self, width):
        super().__init__({"code": In(width), "data": Out(width),
                          "corrected": Out(1), "uncorrectable": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.data.eq(self.code)
        return m


class IdentityCodec:
    """The codec of ``ecc = none``."""

    def __init__(self, width):
        self.entry_width = self.word_width = width

    def encode(self, entry):
        return entry

    def encoder(self):
        return IdentityEncoder(self.entry_width)

    def decoder(self):
        return IdentityDecoder(self.entry_width)


def check_supported(params):
    """Raise ValueError for table options the storage does not implement yet."""
    if params.ecc != "none":
        raise ValueError("ecc: not yet supported")
    if params.fault_port:
        raise ValueError("fault_port: not yet supported")


def codec_for(params):
    """The codec of ``params.ecc`` for the table of ``params``."""
    check_supported(params)
    return IdentityCodec(entry_width(params.multiplier, params.weights))


def write_signature(params):
    """The :class:`WriteSignature` of the table of ``params``; None without a writable table."""
    if params.lut_storage != "ram" or params.multiplier == "mul":
        return None
    depth = table_depth(params.multiplier, params.weights)
    return WriteSignature(address_width(depth), entry_width(params.multiplier, params.weights))


class LutStorage(wiring.Component):
    """The multiplier table of ``params`` with ``ports`` read ports (see the module docstring).

    Members: ``read[i]`` (:class:`ReadSignature`, flipped), ``write`` (flipped
    :class:`WriteSignature`, only for ``lut_storage=ram``), ``corrected``, ``uncorrectable``.
    """

    def __init__(self, params, ports):
        self.params = params
        self.codec = codec_for(params)
        self.depth = table_depth(params.multiplier, params.weights)
        write = write_signature(params)
        self.writable = write is not None
        members = {
            "read": In(ReadSignature(address_width(self.depth),
                                     self.codec.entry_width)).array(ports),
            "corrected": Out(1),
            "uncorrectable": Out(1),
        }
        if self.writable:
            members["write"] = In(write)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        codec = self.codec
        init = [0] * self.depth if self.writable else [
            codec.encode(e) for e in table_entries(self.params.multiplier, self.params.weights)]
        m.submodules.mem = mem = memory.Memory(shape=codec.word_width, depth=self.depth, init=init)
        if self.writable:
            m.submodules.encoder = encoder = codec.encoder()
            wp = mem.write_port()
            m.d.comb += [
                encoder.data.eq(self.write.data),
                wp.en.eq(self.write.en),
                wp.addr.eq(self.write.addr),
                wp.data.eq(encoder.code),
            ]
        corrected = uncorrectable = 0
        for i, port in enumerate(self.read):
            rp = mem.read_port(domain="comb")
            m.submodules[f"decoder{i}"] = decoder = codec.decoder()
            m.d.comb += [
                rp.addr.eq(port.addr),
                decoder.code.eq(rp.data),
                port.data.eq(decoder.data),
            ]
            corrected |= decoder.corrected
            uncorrectable |= decoder.uncorrectable
        m.d.comb += [self.corrected.eq(corrected), self.uncorrectable.eq(uncorrectable)]
        return m
