"""Facts read from the OSU 0.18 um Liberty file with ``liberty-parser``: cell areas.

Parsed once per process (0.2 s); :func:`cell_areas` is what the per-component area report needs.
"""

import functools

from ..util import toolchain


@functools.lru_cache(maxsize=1)
def library():
    """The parsed OSU018 Liberty (a ``liberty.types.Group``); raises ``ToolMissing`` without it."""
    from liberty.parser import parse_liberty

    return parse_liberty(toolchain.osu018_liberty().read_text())


@functools.lru_cache(maxsize=1)
def cell_areas():
    """Cell name -> area in um^2 (the Liberty's ``area`` attribute)."""
    return {str(cell.args[0]).strip('"'): float(cell["area"])
            for cell in library().get_groups("cell")}


def component_areas(netlist, group=None):
    """Area (um^2) per component of a :class:`~nvlut.synth.netlist.GateNetlist`: the sum of the
    Liberty areas of its cells, keyed by ``group(component path)`` (default: the path itself)."""
    areas = cell_areas()
    out = {}
    for instance, cell in netlist.cells.items():
        key = netlist.component(instance)
        key = group(key) if group else key
        out[key] = out.get(key, 0.0) + areas[cell]
    return out
