"""``SerialWrapper``: a few-pin serial interface around a wide component, for small FPGAs.

A MAC's stream ports are hundreds of bits wide (221 for the reference design), more than any iCE40
package has pins. The wrapper exposes ten pins instead and puts a register on every boundary of
the wrapped component, so that every path through it runs register to register and an FPGA tool's
Fmax is the core's own clock rate (the wrapper's own paths are one shift-register bit or one
handshake gate deep):

- ``sin`` / ``shift_in``: while ``shift_in``, the input shift register takes ``sin`` at its top and
  shifts right (the word is sent LSB first; after ``N = in_width`` shifts it holds the word).
- ``load``: the shifted word is copied into the input register. Its ``i`` field
  (:func:`input_fields`) becomes a stream beat: ``i.valid`` rises and stays high until the core
  accepts the beat (``busy`` is high meanwhile; a ``load`` while ``busy`` is ignored). Every other
  input port (``cfg``, ``fault``) is driven from the input register, with its ``en`` bit high for
  the single cycle after the ``load``.
- ``o``: the core's output stream is captured into the output register when it holds no result
  (``full`` low): ``o.ready = ~full``. ``sout`` is bit 0 of the output register; ``shift_out``
  shifts it right (LSB first); ``take`` empties it (``full`` falls) for the next result.

``in_width`` / ``out_width`` give the word lengths; :func:`input_fields` / :func:`output_fields`
give the offset of each port inside the words. The wrapper is generic over the core's signature:
stream members named ``i`` (input) and ``o`` (output), any other ``In`` members (a port with a
member ``en`` is pulsed as above), ``Out`` members outside ``o`` captured with ``o``.
"""

from amaranth.hdl import Cat, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


def _flat(component, flow_name):
    """``[(name, value)]`` of the core's flattened ports of one direction, in signature order."""
    out = []
    for path, member, value in component.signature.flatten(component):
        if member.flow.name == flow_name:
            out.append(("__".join(map(str, path)), Value.cast(value)))
    return out


def input_fields(core):
    """``{port name: (offset, width)}`` in the input word (``i__valid`` and ``o__ready`` are not
    in it: the wrapper drives them)."""
    fields, offset = {}, 0
    for name, value in _flat(core, "In"):
        if name in ("i__valid", "o__ready"):
            continue
        fields[name] = (offset, len(value))
        offset += len(value)
    return fields


def output_fields(core):
    """``{port name: (offset, width)}`` in the output word (``i__ready`` and ``o__valid`` are
    handshake signals the wrapper consumes)."""
    fields, offset = {}, 0
    for name, value in _flat(core, "Out"):
        if name in ("i__ready", "o__valid"):
            continue
        fields[name] = (offset, len(value))
        offset += len(value)
    return fields


class SerialWrapper(wiring.Component):
    """The serial wrapper of the module docstring around ``core`` (a ``wiring.Component`` with an
    input stream ``i`` and an output stream ``o``, e.g. :class:`~nvlut.hdl.NvlutMac`)."""

    def __init__(self, core):
        self.core = core
        self.in_fields = input_fields(core)
        self.out_fields = output_fields(core)
        self.in_width = sum(w for _, w in self.in_fields.values())
        self.out_width = sum(w for _, w in self.out_fields.values())
        super().__init__({
            "sin": In(1), "shift_in": In(1), "load": In(1), "busy": Out(1),
            "sout": Out(1), "shift_out": In(1), "take": In(1), "full": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = self.core
        ins = dict(_flat(core, "In"))
        outs = dict(_flat(core, "Out"))

        shifter = Signal(self.in_width)
        word = Signal(self.in_width)
        valid = Signal()
        pulse = Signal()
        with m.If(self.shift_in):
            m.d.sync += shifter.eq(Cat(shifter[1:], self.sin))
        m.d.sync += pulse.eq(0)
        with m.If(self.load & ~valid):
            m.d.sync += [word.eq(shifter), valid.eq(1), pulse.eq(1)]
        with m.Elif(outs["i__ready"]):
            m.d.sync += valid.eq(0)
        m.d.comb += [ins["i__valid"].eq(valid), self.busy.eq(valid)]
        for name, (offset, width) in self.in_fields.items():
            value = word[offset:offset + width]
            if name.endswith("__en") and not name.startswith("i__"):
                value = value & pulse
            m.d.comb += ins[name].eq(value)

        result = Signal(self.out_width)
        full = Signal()
        m.d.comb += [ins["o__ready"].eq(~full), self.full.eq(full), self.sout.eq(result[0])]
        captured = Cat(*[outs[name] for name in self.out_fields])
        with m.If(outs["o__valid"] & ~full):
            m.d.sync += [result.eq(captured), full.eq(1)]
        with m.Else():
            with m.If(self.shift_out):
                m.d.sync += result.eq(result[1:])
            with m.If(self.take):
                m.d.sync += full.eq(0)
        return m
