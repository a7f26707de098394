"""Energy per MAC and power at Fmax of the MAC designs ``nvlut synth`` times.

:func:`measure` is one design's energy task: the gate-level measurement of ``nvlut energy``
(:func:`nvlut.energy.nominal_measurement`: OSU018 netlist simulated on Icarus, outputs checked bit
for bit against nvlut.golden, per-net toggles priced with the Liberty tables) on the ``random``
workload at the nominal 1.8 V, simulated under ``<out>/work/<design>/energy`` and cached in the
energy cache that ``nvlut energy`` and ``nvlut explore`` share (default ``build/energy/cache``, so a
design ``make energy`` measured is not simulated again), split into dynamic energy per element MAC
and leakage power (:func:`nvlut.energy.at_clock.split`). It returns target
``energy``; a design it does not measure gets ``not_measured`` with the reason instead (tools
missing, not fp4 weights, more than ``max_cells`` cells, ``--quick``), never a silent gap.
:func:`derived_records` combines each design's ``energy`` and ``sta`` targets into target
``energy_at_fmax`` (:func:`nvlut.energy.at_clock.at_clock` at the design's Fmax).
"""

import pathlib
import time

#: Designs with more gate-level cells than this get no energy figure from ``nvlut synth``
#: (``--energy-max-cells`` raises the bound). Icarus time grows with the cell count: measured on the
#: shared 2-core machine (load 3-5), netlist mapping plus simulation of the 120 dot products,
#: 34 s for B=4 (11,019 cells), 45 s for the reference design (14,030 cells), 135 + 148 s for B=64
#: (20,661 cells), 31 + 334 s for the writable full-product table (74,745 cells; ~107k with SECDED,
#: longer still). Those two alone would more than double the energy part of ``make synth``, and
#: ``nvlut energy`` measures them in its default run; every other fp4 design of the default set
#: is below the bound (docs/synthesis.md).
MAX_CELLS = 50_000
#: ``nvlut energy``'s result cache, shared with ``nvlut explore`` (``--energy-cache``)
DEFAULT_CACHE = pathlib.Path("build/energy/cache")
QUICK = "not run in --quick (run `nvlut synth` without --quick)"


def not_measured(reason):
    return {"energy": {"not_measured": reason}}


def measure(design, out, max_cells=MAX_CELLS, cache_dir=DEFAULT_CACHE):
    """Target ``energy`` of a MAC ``design`` (:class:`nvlut.synth.designs.Design`):
    ``dynamic_pj_per_mac``, ``leakage_mw``, ``macs_per_cycle`` (the throughput reached on the
    workload), ``cells``, ``dot_products``, ``workload``,
    ``voltage_v`` and ``stated_period_ns`` (the clock of the energy report's leakage), or
    ``not_measured``."""
    from nvlut.energy import (at_clock, measure as energy_measure, missing_tools,
                              nominal_measurement, voltage)
    from nvlut.spec.params import MacParams
    from nvlut.verif.design import design_for
    from nvlut.verif.gate import netlist_of

    missing = missing_tools()
    if missing:
        return not_measured(f"{', '.join(missing)} missing (make tools; install iverilog)")
    params = MacParams(**design.params)
    if params.weights != "fp4":
        return not_measured(f"{params.weights} weights: the synthetic workloads of nvlut energy "
                            "are written for fp4 weights")
    generated = design_for(params)
    if generated.verilog != design.verilog:
        return not_measured("the manifest's Verilog is not the generator's (stale build/verilog: "
                            "run `make verilog`)")
    cells = len(netlist_of(generated).cells)
    if cells > max_cells:
        return not_measured(f"{cells:,} cells > {max_cells:,}, the bound that keeps Icarus "
                            "(minutes per design at this size) out of `make synth`; "
                            f"`nvlut synth --energy-max-cells {cells}` measures it")
    workdir = pathlib.Path(out) / "work" / design.name / "energy"
    m = nominal_measurement(params, workdir, cache_dir)
    period = energy_measure.conditions().period_ns
    dynamic, leakage_w = at_clock.split(m, period)
    return {"energy": {"dynamic_pj_per_mac": dynamic, "leakage_mw": leakage_w * 1e3,
                       "macs_per_cycle": at_clock.macs_per_cycle(m),
                       "cells": cells, "dot_products": m["n"], "workload": m["workload"],
                       "voltage_v": voltage.assumptions()["library"]["nominal_voltage_v"],
                       "stated_period_ns": period}}


def task_result(design, out, max_cells=MAX_CELLS, quick=False, cache_dir=DEFAULT_CACHE):
    """A run result of the synth flow (``design``, ``flow``, ``cached``, ``seconds``,
    ``targets``) for :func:`measure`; ``cached`` when no new measurement was written."""
    if quick:
        return {"design": design, "flow": "energy", "cached": True, "seconds": 0,
                "targets": not_measured(QUICK)}
    cache_dir = pathlib.Path(cache_dir)
    pattern = f"{design.name}-random-*.json"
    before = set(cache_dir.glob(pattern))
    start = time.monotonic()
    targets = measure(design, out, max_cells, cache_dir)
    return {"design": design, "flow": "energy", "cached": set(cache_dir.glob(pattern)) <= before,
            "seconds": round(time.monotonic() - start, 1), "targets": targets}


def derived_records(records):
    """Target ``energy_at_fmax`` records (``pj_per_mac``, ``leakage_pj_per_mac``, ``power_mw``) of
    every design whose
    records hold both an Fmax (target ``sta``) and a dynamic energy (target ``energy``)."""
    from nvlut.energy.at_clock import at_clock

    values = {(r["design"], r["target"], r["metric"]): r for r in records}
    out = []
    for (name, target, metric), r in values.items():
        if (target, metric) != ("energy", "dynamic_pj_per_mac"):
            continue
        fmax = values.get((name, "sta", "fmax_mhz"))
        leak = values.get((name, "energy", "leakage_mw"))
        rate = values.get((name, "energy", "macs_per_cycle"))
        if fmax is None or leak is None or rate is None:
            continue
        v = at_clock(r["value"], leak["value"] * 1e-3, rate["value"], fmax["value"])
        out += [dict(r, target="energy_at_fmax", metric=k, value=v[k]) for k in sorted(v)]
    return out
