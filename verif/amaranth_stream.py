"""The one Amaranth stream driver: dot products through ``NvlutMac`` in Amaranth's simulator.

:func:`stream` loads the table through ``cfg`` (designs with ``lut_storage=ram``), then per fault
map brings the stored words to exactly that map through the ``fault`` port (designs with
``fault_port``; one write per word that differs from the previous map) and streams the dot
products, offering a beat with probability ``valid`` and accepting an output with probability
``ready`` in each cycle (1.0: every cycle). Used by the fault campaign's RTL replay
(:mod:`nvlut.verif.faults`) and the MAC tests; the Verilog simulators have their own harness
(:mod:`nvlut.verif.harness`).
"""

import dataclasses

import numpy as np


@dataclasses.dataclass
class StreamResult:
    """What one pass of the dot products gave: ``y`` (``uint32[n]``), ``flags`` (each output flag
    of ``nvlut.hdl.OUTPUT_LAYOUT`` -> ``bool[n]``), ``latencies`` (cycles from the edge accepting
    a ``last`` beat to the cycle its output is accepted; meaningful with ``ready`` 1), ``stalls``
    (cycles with ``i.valid`` high and ``i.ready`` low) and the design's ``declared_latency``."""

    y: np.ndarray
    flags: dict
    latencies: list
    stalls: int
    declared_latency: int


def beats(params, a, w, sa, sw, t):
    """The input beats (payload constants) of the dot products ``(a, w, sa, sw, t)``, shaped as
    for ``nvlut.golden.dot`` (``sw`` None without a weight block scale)."""
    from nvlut.hdl import input_layout

    layout = input_layout(params)
    n, nb, _ = a.shape
    out = []
    for k in range(n):
        for j in range(nb):
            fields = {"a": a[k, j].tolist(), "w": w[k, j].tolist(), "sa": int(sa[k, j]),
                      "t": int(t[k]), "last": int(j == nb - 1)}
            if sw is not None:
                fields["sw"] = int(sw[k, j])
            out.append(layout.const(fields))
    return out


def _fields(words):
    from nvlut.hdl import OUTPUT_LAYOUT

    def field(name):
        f = OUTPUT_LAYOUT[name]
        return words >> np.uint64(f.offset) & np.uint64((1 << f.width) - 1)

    return field("y").astype(np.uint32), {name: field(name).astype(bool)
                                          for name, _ in OUTPUT_LAYOUT if name != "y"}


def stream(params, operands, fault_maps=(None,), ready=1.0, valid=1.0, seed=0):
    """Simulate ``NvlutMac(params)`` on ``operands`` (``(a, w, sa, sw, t)``, all dot products of
    the same number of blocks) once per entry of ``fault_maps`` (``uint64[depth]`` XOR masks of
    the stored words as in ``nvlut.golden.faults``, or None for no fault writes); returns one
    :class:`StreamResult` per entry. ``valid`` / ``ready`` are the per-cycle probabilities of
    offering a beat / accepting an output, drawn from ``numpy.random.default_rng(seed)``."""
    from amaranth.sim import Simulator

    from nvlut.hdl import NvlutMac, lut_image

    dut = NvlutMac(params)
    stream_beats = beats(params, *operands)
    n, nb = operands[0].shape[:2]
    payload = dut.o.payload.as_value()
    rng = np.random.default_rng(seed)
    results = []

    async def bench(ctx):
        if params.lut_storage == "ram":
            ctx.set(dut.cfg.en, 1)
            for addr, entry in enumerate(lut_image(params)):
                ctx.set(dut.cfg.addr, addr)
                ctx.set(dut.cfg.data, entry)
                await ctx.tick()
            ctx.set(dut.cfg.en, 0)
        stored = None                  # the fault map now in the storage (None: no faults)
        for fault_map in fault_maps:
            if fault_map is not None:
                target = np.asarray(fault_map, np.uint64)
                delta = target if stored is None else stored ^ target
                stored = target
                ctx.set(dut.fault.en, 1)
                for addr in np.flatnonzero(delta):
                    ctx.set(dut.fault.addr, int(addr))
                    ctx.set(dut.fault.mask, int(delta[addr]))
                    await ctx.tick()
                ctx.set(dut.fault.en, 0)
            outputs, last_cycles, out_cycles = [], [], []
            sent = cycle = stalls = 0
            while len(outputs) < n:
                assert cycle < 20 * len(stream_beats) + 4 * n * dut.latency + 100, "no progress"
                offer = sent < len(stream_beats) and rng.random() < valid
                ctx.set(dut.i.valid, offer)
                if offer:
                    ctx.set(dut.i.payload, stream_beats[sent])
                take = rng.random() < ready
                ctx.set(dut.o.ready, take)
                if ctx.get(dut.o.valid) and take:
                    outputs.append(ctx.get(payload))
                    out_cycles.append(cycle)
                if offer and ctx.get(dut.i.ready):
                    if sent % nb == nb - 1:
                        last_cycles.append(cycle)
                    sent += 1
                elif offer:
                    stalls += 1
                await ctx.tick()
                cycle += 1
            ctx.set(dut.i.valid, 0)
            y, flags = _fields(np.array(outputs, np.uint64))
            results.append(StreamResult(y, flags, [o - s for o, s in zip(out_cycles, last_cycles)],
                                        stalls, dut.latency))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return results
