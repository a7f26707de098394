"""Evaluate one design point in a worker: generate it, run the metric steps, return its row.

:func:`evaluate` takes and returns plain data (a point dict and a workload dict in, a row dict
out), so that it can run in a local process or on a Dask worker. The row holds the point's
parameters, every column of :data:`nvlut.explore.steps.COLUMNS` (``None`` when not measured) and
``notes``; it does not depend on where or when it ran.
"""

import dataclasses
import time

from nvlut.spec.params import MacParams

from . import assumptions, steps
from .space import Point


def point_from_dict(d):
    return Point(MacParams(**{k: v for k, v in d.items() if k != "voltage"}), d["voltage"])


def evaluate(point_dict, workload_dict):
    """``(row, seconds per step)`` of one point (see the module docstring)."""
    from nvlut.util.cache import Cache
    from nvlut.verif.design import design_for

    start = time.monotonic()
    point = point_from_dict(point_dict)
    workload = steps.Workload(**workload_dict)
    cache = Cache(f"{workload.out}/cache/steps")
    row = {"point": point.name, **point.as_dict(),
           "seed_point": assumptions.is_seed_point(point.params, point.voltage)}
    row.update({column: None for column in steps.COLUMNS})
    notes = []
    design = design_for(point.params)
    seconds = {"generate": time.monotonic() - start}
    for name in workload.steps:
        clock = time.monotonic()
        try:
            result = dict(steps.STEPS[name](point, design, workload, cache))
        except Exception as exc:  # a tool failure marks this point, not the whole sweep
            notes.append(f"{name} failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        finally:
            seconds[name] = time.monotonic() - clock
        notes += result.pop("notes", [])
        row.update(result)
    for name in steps.STEPS:
        if name not in workload.steps:
            notes.append(f"{name}: step not run (--steps)")
    row["ber"] = point.ber
    row["status"] = ("failed" if row["verify"] == "failed" else
                     "error" if any(" failed: " in n for n in notes) else "ok")
    row["notes"] = "; ".join(notes)
    return row, seconds


def evaluate_group(point_dicts, workload_dict):
    """:func:`evaluate` for points of one design (differing only in voltage) in turn, so that they
    share its verify, synthesis and timing results instead of computing them side by side."""
    return [evaluate(p, workload_dict) for p in point_dicts]


def workload_dict(workload):
    return dataclasses.asdict(workload)
