"""``NvlutMac``: the streaming NVFP4 dot-product unit (top level).

Dataflow (one beat = one block, ``last`` ends a dot product)::

    i.payload -> BlockDot (B multipliers, shared table, adder tree) -> [R3] -> BlockScaler
      -> [R1] -> Accumulator (register) -> TensorScale -> [R2] -> Binary32Result -> o.payload

with, for ``pipeline >= 4``, Binary32Result = Binary32Normalize -> [R4] -> Binary32Round and,
for ``pipeline >= 5``, TensorScale = TensorScaleProducts -> [R5] -> TensorScaleSum (the
``|X| * m_t`` multiplier cut into two partial products and their sum).

With ``final_stage = "iterative"`` an :class:`~nvlut.hdl.iterative_scale.IterativeTensorScale`
replaces TensorScale and Binary32Normalize: it multiplies and normalizes in one shift register over
:func:`~nvlut.hdl.iterative_scale.iterative_extra_latency` more cycles, during which the next dot
product accumulates; then [R2] [R4] Binary32Round (aligned). ``i.ready`` falls only for a ``last``
beat less than ``extra_latency + 1`` cycles after the previous one (dot products shorter than that).

``[Rk]`` is a pipeline register present when ``params.pipeline >= k``; the accumulator register is
always there, so the latency (cycles from the edge that accepts the ``last`` beat to ``o.valid``) is
``1 + pipeline`` (plus ``extra_latency`` for the iterative final stage). All registers advance
together when ``advance = ~o.valid | o.ready``, and ``i.ready = advance``: one block per cycle
while ``i.valid`` and ``o.ready`` are high, and everything holds still while the output waits.
``t`` travels with every beat and is taken from the ``last`` one.
"""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from nvlut.spec.accumulator import accumulator_width
from nvlut.spec.formats import BINARY32, E2M1, E4M3

from .accumulator import STICKY_FLAGS, Accumulator, term_layout
from .block_dot import BlockDot, block_sum_width
from .block_scale import BlockScaler
from .final_stage import (Binary32Normalize, Binary32Result, Binary32Round, TensorScale,
                          TensorScaleProducts, TensorScaleSum, scaled_layout)
from .iterative_scale import IterativeTensorScale, iterative_extra_latency
from .lut_storage import storage_members

#: fields of the output payload, LSB first
OUTPUT_LAYOUT = data.StructLayout({
    "y": BINARY32.bits,
    "invalid": 1,
    "overflow": 1,
    "underflow": 1,
    "inexact": 1,
    "ecc_corrected": 1,
    "ecc_uncorrectable": 1,
})


def input_layout(params):
    """Fields of the input payload (one block), LSB first: ``a``, ``w``, ``sa``, [``sw``], ``t``,
    ``last``; lane ``i`` of ``a`` / ``w`` is element ``i`` of the block."""
    fields = {
        "a": data.ArrayLayout(E2M1.bits, params.block),
        "w": data.ArrayLayout(params.weight_bits, params.block),
        "sa": E4M3.bits,
    }
    if params.block_scaled:
        fields["sw"] = E4M3.bits
    fields.update({"t": BINARY32.bits, "last": 1})
    return data.StructLayout(fields)


def mac_accumulator_width(params):
    """``W_acc`` of ``params`` (docs/numerics.md 2.1)."""
    return accumulator_width(params.weights, params.block, params.max_blocks, params.block_scaled)


def _stage(m, present, enable, name, values):
    """A pipeline register over ``values`` (a dict of name -> Value) loaded when ``enable``,
    or the values themselves when the stage is not ``present``. Returns a name -> Value mapping."""
    if not present:
        return values
    reg = Signal(data.StructLayout({k: v.shape() for k, v in values.items()}), name=name)
    with m.If(enable):
        m.d.sync += [reg[k].eq(v) for k, v in values.items()]
    return {k: reg[k] for k in values}


class NvlutMac(wiring.Component):
    """Streaming ``y = RNE_binary32(t * sum_j sa_j * sw_j * sum_i a_ji * w_ji)`` for ``params``.

    Members: ``i`` (``In(stream.Signature(input_layout(params)))``), ``o``
    (``Out(stream.Signature(OUTPUT_LAYOUT))``), for ``lut_storage=ram`` ``cfg`` (the table
    write port: ``en``, ``addr``, ``data``, one entry of :func:`nvlut.hdl.lut_image` per cycle,
    encoded by the ECC codec of ``params.ecc``) and, with ``fault_port``, ``fault`` (``en``,
    ``addr``, ``mask``: XOR ``mask`` into the stored code word at ``addr``; see
    :mod:`nvlut.hdl.lut_storage`). ``o.payload.ecc_corrected`` / ``ecc_uncorrectable``: some table
    read of a block of the dot product was corrected / uncorrectable.
    Attributes: ``latency`` (``1 + params.pipeline + extra_latency``), ``extra_latency`` (0, or the
    iterative final stage's cycles), ``acc_width`` (``W_acc``).
    """

    def __init__(self, params):
        self.params = params
        self.acc_width = mac_accumulator_width(params)
        self.extra_latency = (iterative_extra_latency(params)
                              if params.final_stage == "iterative" else 0)
        self.latency = 1 + params.pipeline + self.extra_latency
        members = {
            "i": In(stream.Signature(input_layout(params))),
            "o": Out(stream.Signature(OUTPUT_LAYOUT)),
        }
        members.update(storage_members(params, write_name="cfg"))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        p = self.params
        advance = Signal()
        m.d.comb += advance.eq(~self.o.valid | self.o.ready)
        # the registers up to the accumulator move with `front`: `advance`, unless an iterative
        # final stage is still busy when a dot product ends (see _iterative_scale)
        front = advance if p.final_stage == "parallel" else Signal()
        beat = self.i.payload
        # a `last` beat may enter now (always, unless an iterative final stage would still be
        # busy when it reaches the accumulator: see _last_gate)
        if p.final_stage == "parallel":
            accepted = self.i.valid
            m.d.comb += self.i.ready.eq(front)
        else:
            last_ok = self._last_gate(m, front, beat.last)
            accepted = Signal()
            m.d.comb += [self.i.ready.eq(front & last_ok), accepted.eq(self.i.valid & last_ok)]

        m.submodules.block_dot = bd = BlockDot(p)
        m.d.comb += [bd.a.eq(beat.a), bd.w.eq(beat.w)]
        if "cfg" in self.signature.members:
            wiring.connect(m, wiring.flipped(self.cfg), bd.write)
        if "fault" in self.signature.members:
            wiring.connect(m, wiring.flipped(self.fault), bd.fault)

        scales = {"sa": beat.sa, **({"sw": beat.sw} if p.block_scaled else {})}
        block = _stage(m, p.pipeline >= 3, front, "block_reg", {
            "valid": accepted, "last": beat.last, "t": beat.t, "s": bd.s, **scales,
            **{name: getattr(bd, name) for name in STICKY_FLAGS}})

        m.submodules.scaler = sc = BlockScaler(block_sum_width(p), self.acc_width, p.block_scaled)
        m.d.comb += [getattr(sc, k).eq(block[k]) for k in ("s", "nan", "inf_pos", "inf_neg",
                                                           *scales)]
        term = Signal(term_layout(self.acc_width))
        m.d.comb += [term.value.eq(sc.term), term.nan.eq(sc.term_nan),
                     term.inf_pos.eq(sc.term_inf_pos), term.inf_neg.eq(sc.term_inf_neg),
                     term.ecc_corrected.eq(block["ecc_corrected"]),
                     term.ecc_uncorrectable.eq(block["ecc_uncorrectable"])]
        beat_term = _stage(m, p.pipeline >= 1, front, "term_reg", {
            "valid": block["valid"], "last": block["last"], "t": block["t"], "term": term})

        m.submodules.accumulator = acc = Accumulator(self.acc_width)
        m.d.comb += [acc.en.eq(front & beat_term["valid"]), acc.last.eq(beat_term["last"]),
                     acc.term.eq(beat_term["term"])]
        done = Signal()
        t = Signal(BINARY32.bits)
        ends = beat_term["valid"] & beat_term["last"]
        with m.If(front):
            m.d.sync += done.eq(ends)
            with m.If(ends):
                m.d.sync += t.eq(beat_term["t"])

        total = acc.total
        ecc = {"ecc_corrected": total.ecc_corrected, "ecc_uncorrectable": total.ecc_uncorrectable}
        inputs = {"x": total.value, "nan": total.nan, "inf_pos": total.inf_pos,
                  "inf_neg": total.inf_neg, "t": t}
        if p.final_stage == "iterative":
            aligned = self._iterative_scale(m, p, advance, front, done, ends, ecc, inputs)
            res = self._aligned_result(m, p, advance, aligned)
        else:
            scaled = self._tensor_scale(m, p, advance, {"valid": done, **ecc}, inputs)
            scaled = _stage(m, p.pipeline >= 2, advance, "scaled_reg", scaled)
            res = self._result(m, p, advance, scaled)
        out = self.o.payload
        m.d.comb += [
            self.o.valid.eq(res["valid"]),
            out.y.eq(res["y"]),
            out.invalid.eq(res["invalid"]),
            out.overflow.eq(res["overflow"]),
            out.underflow.eq(res["underflow"]),
            out.inexact.eq(res["inexact"]),
            out.ecc_corrected.eq(res["ecc_corrected"]),
            out.ecc_uncorrectable.eq(res["ecc_uncorrectable"]),
        ]
        return m

    def _tensor_scale(self, m, p, advance, side, inputs):
        """``side`` (valid and flags travelling along) and ``scaled`` (the :class:`TensorScale`
        result of ``inputs``), with register R5 inside the multiplier when ``pipeline >= 5``."""
        if p.pipeline < 5:
            m.submodules.tensor_scale = ts = TensorScale(p, self.acc_width)
            m.d.comb += [getattr(ts, k).eq(v) for k, v in inputs.items()]
            return {**side, "scaled": ts.result}
        m.submodules.tensor_scale = ts = TensorScaleProducts(p, self.acc_width)
        m.d.comb += [getattr(ts, k).eq(v) for k, v in inputs.items()]
        partial = _stage(m, True, advance, "partial_reg", {**side, "partial": ts.partial})
        m.submodules.tensor_scale_sum = tss = TensorScaleSum(p, self.acc_width)
        m.d.comb += tss.partial.eq(partial.pop("partial"))
        return {**partial, "scaled": tss.result}

    def _last_gate(self, m, front, last):
        """With the iterative final stage: 1 when a ``last`` beat may be accepted now, i.e. at
        least ``extra_latency + 1`` cycles after the previous one; then the unit is
        free by the time the beat ends its dot product, and the latency from accepting a ``last``
        beat to ``o.valid`` is the declared one whenever ``o.ready`` stays high."""
        cooldown = Signal(range(self.extra_latency + 1))
        ok = Signal()
        m.d.comb += ok.eq(~last | (cooldown == 0))
        with m.If(front & self.i.valid & last & ok):
            m.d.sync += cooldown.eq(self.extra_latency)
        with m.Elif(cooldown != 0):
            m.d.sync += cooldown.eq(cooldown - 1)
        return ok

    def _iterative_scale(self, m, p, advance, front, done, ends, ecc, inputs):
        """The iterative final stage: ``done`` (one cycle, as ``front`` falls to 0 otherwise)
        starts the unit, which never is busy then: ``front`` stays low while a dot product would
        end (``ends``) with the unit busy or starting (only after ``o.ready`` was low: otherwise
        :meth:`_last_gate` has spaced the ``last`` beats far enough apart)."""
        side = data.StructLayout({k: 1 for k in ecc})
        m.submodules.tensor_scale = ts = IterativeTensorScale(p, self.acc_width, side)
        m.d.comb += [getattr(ts, k).eq(v) for k, v in inputs.items()]
        m.d.comb += [ts.start.eq(done), ts.side.eq(Cat(*ecc.values())), ts.ack.eq(advance),
                     front.eq(advance & ~(ends & (ts.busy | done)))]
        # `done` must be a pulse here: with `front` low it would otherwise start the unit again
        with m.If(~front):
            m.d.sync += done.eq(0)
        return {"valid": ts.valid, **{k: ts.side_out[k] for k in ecc}, "normalized": ts.result}

    def _aligned_result(self, m, p, advance, aligned):
        """``y`` and its flags from the iterative unit's normalized ``aligned`` value: registers
        R2 (after the tensor scale) and R4 (between normalization and rounding) when present,
        then :class:`Binary32Round` with the aligned rounder."""
        aligned = _stage(m, p.pipeline >= 2, advance, "scaled_reg", aligned)
        aligned = _stage(m, p.pipeline >= 4, advance, "normalized_reg", aligned)
        m.submodules.result = rnd = Binary32Round(scaled_layout(p, self.acc_width), aligned=True)
        m.d.comb += rnd.normalized.eq(aligned.pop("normalized"))
        return {**aligned, **{k: getattr(rnd, k)
                              for k in ("y", "invalid", "overflow", "underflow", "inexact")}}

    def _result(self, m, p, advance, scaled):
        """``y`` and its flags from ``scaled`` (with the side values passed on), with register R4
        between normalization and rounding when ``pipeline >= 4``."""
        layout = scaled_layout(p, self.acc_width)
        names = ("y", "invalid", "overflow", "underflow", "inexact")
        side = {k: v for k, v in scaled.items() if k != "scaled"}
        if p.pipeline < 4:
            m.submodules.result = res = Binary32Result(layout)
            m.d.comb += res.scaled.eq(scaled["scaled"])
            return {**side, **{k: getattr(res, k) for k in names}}
        m.submodules.normalize = norm = Binary32Normalize(layout)
        m.d.comb += norm.scaled.eq(scaled["scaled"])
        normalized = _stage(m, True, advance, "normalized_reg",
                            {**side, "normalized": norm.normalized})
        m.submodules.result = rnd = Binary32Round(layout)
        m.d.comb += rnd.normalized.eq(normalized.pop("normalized"))
        return {**normalized, **{k: getattr(rnd, k) for k in names}}
