"""The element multiplier ``a (E2M1) x w (weight format)``: three variants, one output interface.

Every variant has the members ``a`` (E2M1 code), ``w`` (weight code) in and, out:

- ``p``: the exact element product ``n_a * n_w`` of docs/numerics.md 2.1, signed two's complement of
  :func:`~nvlut.spec.table_geometry.product_width` bits (fp4 9, fp8 23, fp16 45); 0 when ``inf`` or ``nan``;
- ``neg``: the sign of the product (sign of ``a`` XOR sign of ``w``), the sign of an infinity;
- ``inf``: the product is infinite (fp16 infinite weight times a nonzero activation);
- ``nan``: the product is NaN (fp8/fp16 NaN weight, or fp16 infinity times zero).

These match ``nvlut.golden.element_product`` (its ``inf`` of +1/-1 is ``inf`` with ``neg``).
The table variants ``lut`` and ``fulllut`` also have a ``table`` member (a
:class:`~nvlut.hdl.lut_storage.ReadSignature`) to a table holding
:func:`~nvlut.hdl.tables.table_entries`, so that B lanes can share one storage;
:class:`ElementMultiplier` is the self-contained form (own constant table) used for unit tests and
equivalence checking.

- ``lut``: sign XOR, exponent adder, mantissa-product table lookup at ``{sig_a, sig_w}``, shift;
- ``fulllut``: one lookup of the signed full product at ``{a, w}``;
- ``mul``: sign XOR, exponent adder, integer significand multiplier, shift.
"""

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from nvlut.spec.formats import E2M1, WEIGHT_FORMATS
from nvlut.spec.table_geometry import entry_width, product_width, table_depth

from .formats import Decoder
from .lut_storage import LutStorage, ReadSignature, address_width, write_signature


def element_product_members(weights):
    """The members shared by all multiplier variants for one weight format."""
    return {
        "a": In(E2M1.bits),
        "w": In(WEIGHT_FORMATS[weights].bits),
        "p": Out(signed(product_width(weights))),
        "neg": Out(1),
        "inf": Out(1),
        "nan": Out(1),
    }


class _Multiplier(wiring.Component):
    """Decoders and special cases shared by the variants; subclasses define :meth:`product`."""

    multiplier = None  # the MacParams.multiplier name of the variant

    def __init__(self, weights):
        self.weights = weights
        members = element_product_members(weights)
        if self.multiplier != "mul":
            depth = table_depth(self.multiplier, weights)
            members["table"] = Out(ReadSignature(address_width(depth),
                                                 entry_width(self.multiplier, weights)))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.a_decoder = a = Decoder(E2M1)
        m.submodules.w_decoder = w = Decoder(WEIGHT_FORMATS[self.weights])
        m.d.comb += [
            a.code.eq(self.a),
            w.code.eq(self.w),
            self.neg.eq(a.sign ^ w.sign),
            self.inf.eq(w.is_inf & ~a.is_zero),
            self.nan.eq(w.is_nan | (w.is_inf & a.is_zero)),
            self.p.eq(self.product(m, a, w)),
        ]
        return m

    def product(self, m, a, w):
        """The signed product ``p`` (0 for infinite or NaN weights) from the decoded operands."""
        raise NotImplementedError

    def place(self, m, sig_product, a, w):
        """Shift a significand product into the fixed-point grid and sign it; 0 for Inf/NaN."""
        magnitude = Signal(len(self.p) - 1)
        m.d.comb += magnitude.eq(sig_product << (a.exp + w.exp))
        return Mux(w.is_inf | w.is_nan, 0, Mux(a.sign ^ w.sign, -magnitude, magnitude))


class LutMultiplier(_Multiplier):
    """``lut``: the significand product comes from the mantissa-product table."""

    multiplier = "lut"

    def product(self, m, a, w):
        m.d.comb += self.table.addr.eq(Cat(w.sig, a.sig))
        return self.place(m, self.table.data, a, w)


class FullLutMultiplier(_Multiplier):
    """``fulllut``: the whole signed product comes from the full-product table."""

    multiplier = "fulllut"

    def product(self, m, a, w):
        m.d.comb += self.table.addr.eq(Cat(self.w, self.a))
        return self.table.data.as_signed()


class IntMultiplier(_Multiplier):
    """``mul``: the significand product comes from an integer multiplier."""

    multiplier = "mul"

    def product(self, m, a, w):
        return self.place(m, a.sig * w.sig, a, w)


VARIANTS = {cls.multiplier: cls for cls in (LutMultiplier, FullLutMultiplier, IntMultiplier)}


class ElementMultiplier(wiring.Component):
    """Self-contained element multiplier of ``params.multiplier`` / ``params.weights``.

    Same members as every variant minus ``table``; a table variant gets its own one-port
    :class:`~nvlut.hdl.lut_storage.LutStorage` of ``params`` (a writable one exposes ``write``).
    """

    def __init__(self, params):
        self.params = params
        members = element_product_members(params.weights)
        if write_signature(params) is not None:
            members["write"] = In(write_signature(params))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.variant = variant = VARIANTS[self.params.multiplier](self.params.weights)
        for name in element_product_members(self.params.weights):
            if name in ("a", "w"):
                m.d.comb += getattr(variant, name).eq(getattr(self, name))
            else:
                m.d.comb += getattr(self, name).eq(getattr(variant, name))
        if self.params.multiplier != "mul":
            m.submodules.storage = storage = LutStorage(self.params, ports=1)
            wiring.connect(m, variant.table, storage.read[0])
            if storage.writable:
                wiring.connect(m, wiring.flipped(self.write), storage.write)
        return m
