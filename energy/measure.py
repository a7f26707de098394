"""One energy measurement: a design's gate-level netlist simulated on a workload, toggles to energy.

:func:`measure` simulates the OSU018 netlist of ``params`` (:func:`nvlut.verif.gate.gate_design`) on
Icarus with the stream harness, checks every output bit for bit against :mod:`nvlut.golden` (a
post-synthesis mismatch raises :class:`PostSynthesisMismatch`: it is a bug, not a number), reads the
per-net toggles of the stream window and turns them into energy per component class and kind with
:class:`nvlut.energy.power.EnergyModel`. Results are cached as JSON keyed by the netlist, the
workload, the Liberty file and the assumptions.
"""

import hashlib
import json
import pathlib

import numpy as np

from nvlut.cells import components, liberty
from nvlut.util import toolchain

from . import activity, circuit, power, voltage


class PostSynthesisMismatch(RuntimeError):
    """The gate-level netlist's outputs differ from the golden model's."""


def _batch_bytes(batch):
    parts = [batch.a, batch.w, batch.sa, batch.t, batch.nb] + ([batch.sw] if batch.sw is not None else [])
    return b"".join(np.ascontiguousarray(p).tobytes() for p in parts)


def conditions():
    lib = voltage.assumptions()["library"]
    return power.Conditions(slew_ns=lib["input_slew_ns"], period_ns=lib["clock_period_ns"],
                            wire_cap_pf=lib["wire_cap_pf_per_fanout"],
                            output_load_pf=lib["output_load_pf"])


_MODELS = {}


def energy_model(netlist):
    """The :class:`~nvlut.energy.power.EnergyModel` of ``netlist`` (cached in memory)."""
    key = hashlib.sha256(netlist.verilog.encode()).hexdigest()
    if key not in _MODELS:
        lib = liberty.osu018()
        circ = circuit.circuit(netlist, lib)
        _MODELS[key] = power.EnergyModel(circ, lib, conditions(),
                                         components.classifier(netlist, lib))
    return _MODELS[key]


def _crossing_nets(model):
    """Indices (into ``model.nets``) of nets driven in the table domain and read outside it."""
    circ = model.circuit
    of = model.component_of
    out = []
    for k, net in enumerate(model.nets):
        drv = circ.driver.get(net)
        if drv is None or of(drv[0]) not in components.TABLE_DOMAIN:
            continue
        if any(of(i) not in components.TABLE_DOMAIN for i, _ in circ.loads.get(net, [])) \
                or net in circ.outputs:
            out.append(k)
    return np.array(out, np.int64)


def measure(params, batch, workload, workdir, cache_dir=None, log=print):
    """Energy of ``params`` on ``batch`` (a :class:`~nvlut.verif.vectors.Batch`): a dict with
    per-dot-product energies ``energy_pj[class][kind]``, ``cycles``, ``n``, ``elements``,
    ``crossing_toggles`` (transitions of bits leaving the table domain, per dot product) and the
    cell count per class."""
    from nvlut.verif import sim, vectors
    from nvlut.verif.design import design_for
    from nvlut.verif.gate import gate_design, netlist_of

    design = design_for(params)
    netlist = netlist_of(design)
    key = hashlib.sha256(b"\0".join([
        netlist.verilog.encode(), _batch_bytes(batch), voltage.assumptions_text().encode(),
        toolchain.osu018_liberty().read_bytes(), pathlib.Path(__file__).read_bytes(),
        pathlib.Path(power.__file__).read_bytes(), pathlib.Path(components.__file__).read_bytes()])).hexdigest()[:24]
    cache = pathlib.Path(cache_dir) / f"{params.name}-{workload}-{key}.json" if cache_dir else None
    if cache is not None and cache.exists():
        return json.loads(cache.read_text())
    workdir = pathlib.Path(workdir) / f"{params.name}-{workload}"
    log(f"  gate-level simulation of {params.name} on '{workload}' ({batch.n} dot products, "
        f"{batch.beats} beats, {len(netlist.cells)} cells)")
    out = sim.run_batch(gate_design(design), batch, "icarus", workdir=workdir, activity="activity.vcd")
    y_ref, flags_ref = vectors.reference(params, batch)
    if out.problems or not np.array_equal(out.y, y_ref) or any(
            not np.array_equal(out.flags[k], v) for k, v in flags_ref.items()):
        raise PostSynthesisMismatch(
            f"{params.name}: gate-level outputs differ from nvlut.golden on workload {workload} "
            f"({'; '.join(out.problems) or 'mismatching y or flags'}); see {workdir}")
    act = activity.toggles(workdir / "activity.vcd")
    model = energy_model(netlist)
    rise, fall = model.counts_of(act)
    e = model.energy(rise, fall, act.cycles) / batch.n
    crossing = _crossing_nets(model)
    elements = int(batch.nb.sum()) * params.block
    result = {
        "design": params.name, "params": params.as_dict(), "workload": workload, "n": batch.n,
        "elements_per_dot": elements / batch.n, "cycles": act.cycles, "unknown_toggles": act.unknown,
        "energy_pj": {c: dict(zip(power.KINDS, map(float, e[k])))
                      for k, c in enumerate(model.components)},
        "cells": {c: int(x) for c, x in zip(model.components, model.cells_per_component)},
        "crossing_toggles": float((rise[crossing] + fall[crossing]).sum()) / batch.n,
        "crossing_bits": int(len(crossing)),
    }
    (workdir / "activity.vcd").unlink()
    if cache is not None:
        from nvlut.util.files import write_if_changed
        write_if_changed(cache, json.dumps(result, indent=1, sort_keys=True))
    return result
