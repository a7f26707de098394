"""Table storage shared by the B lanes: constant (ROM) or writable (RAM), with its ECC codec.

One table, ``ports`` combinational (asynchronous) read ports, one per lane; no per-lane copies. A
writable table has a synchronous write port (``write``: ``en``, ``addr``, ``data``), which the top
exposes as the ``cfg`` port. The storage holds ``codec`` words (:func:`codec_for`: the plain entry
for ``ecc=none``, the entry and its SECDED check bits otherwise): the write path runs entries through
``codec.encoder()``, each read port through its own ``codec.decoder()``, whose ``corrected`` /
``uncorrectable`` outputs are ORed into the storage's outputs of those names.

With ``fault_port`` the storage also has a fault-injection port (``fault``: ``en``, ``addr``,
``mask``): at a clock edge with ``en`` high the stored word at ``addr`` becomes ``word ^ mask``,
bypassing the encoder, so any stored bit (entry or check bit, in the layout of
``nvlut.spec.storage.StorageLayout``) can be flipped. It is a read-modify-write through one more
combinational read port and the table's single write port; a fault write takes precedence over a
``write`` in the same cycle (that write is lost).

A codec object provides ``entry_width``, ``word_width``, ``encode(entry) -> word`` (Python) and
``encoder()`` (``data: In(entry_width)``, ``code: Out(word_width)``) and ``decoder()`` (``code:
In(word_width)``, ``data: Out(entry_width)``, ``corrected: Out(1)``, ``uncorrectable: Out(1)``)
components, the port names of ``nvlut.hdl.secded``. The contents of a RAM are undefined (zero in
simulation) until written.
"""

from amaranth.hdl import Cat, Const, Module
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from nvlut.spec.table_geometry import entry_width, table_depth

from .secded import SecdedCodec
from .tables import table_entries


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


class FaultSignature(wiring.Signature):
    """The fault-injection port as seen by the injector: the stored word at ``addr`` is XORed with
    ``mask`` while ``en``."""

    def __init__(self, addr_width, word_width):
        super().__init__({"en": Out(1), "addr": Out(addr_width), "mask": Out(word_width)})


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


def codec_for(params):
    """The codec of ``params.ecc`` for the table of ``params``: :class:`IdentityCodec` for
    ``none``, :class:`~nvlut.hdl.secded.SecdedCodec` for ``secded`` and ``msb<k>``."""
    width = entry_width(params.multiplier, params.weights)
    return IdentityCodec(width) if not params.ecc_mode.enabled else SecdedCodec(width, params.ecc)


def write_signature(params):
    """The :class:`WriteSignature` of the table of ``params``; None without a writable table."""
    if params.lut_storage != "ram" or params.multiplier == "mul":
        return None
    depth = table_depth(params.multiplier, params.weights)
    return WriteSignature(address_width(depth), entry_width(params.multiplier, params.weights))


def fault_signature(params):
    """The :class:`FaultSignature` of the table of ``params``; None without ``fault_port``."""
    if not params.fault_port:
        return None
    depth = table_depth(params.multiplier, params.weights)
    return FaultSignature(address_width(depth), codec_for(params).word_width)


def storage_members(params, write_name="write"):
    """The optional members a component exposes for its table: the write port (named
    ``write_name``, only for a writable table) and the ``fault`` port (only with ``fault_port``)."""
    members = {}
    if write_signature(params) is not None:
        members[write_name] = In(write_signature(params))
    if fault_signature(params) is not None:
        members["fault"] = In(fault_signature(params))
    return members


class LutStorage(wiring.Component):
    """The multiplier table of ``params`` with ``ports`` read ports (see the module docstring).

    Members: ``read[i]`` (:class:`ReadSignature`, flipped), ``write`` (flipped
    :class:`WriteSignature`, only for ``lut_storage=ram``), ``fault`` (flipped
    :class:`FaultSignature`, only with ``fault_port``), ``corrected``, ``uncorrectable``.
    """

    def __init__(self, params, ports):
        self.params = params
        self.codec = codec_for(params)
        self.depth = table_depth(params.multiplier, params.weights)
        self.writable = write_signature(params) is not None
        members = {
            "read": In(ReadSignature(address_width(self.depth),
                                     self.codec.entry_width)).array(ports),
            "corrected": Out(1),
            "uncorrectable": Out(1),
            **storage_members(params),
        }
        super().__init__(members)

    def elaborate(self, platform):
        if not self.writable:
            return self._elaborate_constant()
        m = Module()
        codec = self.codec
        m.submodules.mem = mem = memory.Memory(shape=codec.word_width, depth=self.depth,
                                               init=[0] * self.depth)
        m.submodules.encoder = encoder = codec.encoder()
        wp = mem.write_port()
        m.d.comb += [
            encoder.data.eq(self.write.data),
            wp.en.eq(self.write.en),
            wp.addr.eq(self.write.addr),
            wp.data.eq(encoder.code),
        ]
        if "fault" in self.signature.members:
            fault_read = mem.read_port(domain="comb")
            m.d.comb += fault_read.addr.eq(self.fault.addr)
            with m.If(self.fault.en):
                m.d.comb += [
                    wp.en.eq(1),
                    wp.addr.eq(self.fault.addr),
                    wp.data.eq(fault_read.data ^ self.fault.mask),
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

    def _elaborate_constant(self):
        """A constant table as combinational logic, one truth table per entry bit: bit ``j`` of
        read port ``i`` is bit ``addr`` of a ``depth``-bit constant (``Const.bit_select``; a
        constant indexed by the address in the Verilog), so no ``initial`` block or memory is
        emitted and every synthesis tool builds the same logic. A constant table has no ECC
        (``MacParams`` rejects ``ecc`` without ``ram``)."""
        m = Module()
        entries = table_entries(self.params.multiplier, self.params.weights)
        columns = [Const(sum(((e >> j) & 1) << a for a, e in enumerate(entries)), self.depth)
                   for j in range(self.codec.entry_width)]
        for port in self.read:
            m.d.comb += port.data.eq(Cat(c.bit_select(port.addr, 1) for c in columns))
        m.d.comb += [self.corrected.eq(0), self.uncorrectable.eq(0)]
        return m
