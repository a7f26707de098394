"""The post-synthesis (gate-level) twin of a design: its OSU018 netlist plus the cell models.

:func:`gate_design` maps a :class:`~nvlut.verif.design.Design`'s Verilog to OSU 0.18 um standard
cells (:func:`nvlut.cells.netlist.osu018_netlist`, cached under ``<build>/sim/netlists``) and returns
a design whose Verilog is that flat netlist followed by the library's Verilog cell models
(``osu018_stdcells.v``, with its UDPs). Its ports, payload layout, table words and latency are those
of the RTL design, so the same harness, vectors and golden checks apply. The tag gets ``-gate``
appended. Icarus simulates it with zero cell delays (``specify`` blocks are ignored without
``-gspecify``): outputs are cycle-exact, and no glitches are simulated.
"""

import dataclasses

from nvlut.util import toolchain

from .design import build_root

#: the simulation levels of ``nvlut sim --level``
LEVELS = ("rtl", "gate")


def check_level(level):
    if level not in LEVELS:
        raise ValueError(f"level: {level!r} is not allowed; choose one of {', '.join(LEVELS)}")


def netlist_of(design):
    """The :class:`nvlut.cells.netlist.GateNetlist` of ``design`` (cached)."""
    from nvlut.util.cache import Cache
    from nvlut.cells.netlist import osu018_netlist

    root = build_root() / "sim" / "netlists"
    return osu018_netlist(design.verilog.encode(), root / "work" / design.tag,
                          cache=Cache(root / "cache"))


def gate_design(design):
    """``design`` as a gate-level netlist on the OSU018 cell models; raises
    :class:`nvlut.util.toolchain.ToolMissing` when the library is not installed."""
    netlist = netlist_of(design)
    if netlist.top != design.ports.module:
        raise RuntimeError(f"netlist top {netlist.top!r} differs from {design.ports.module!r}")
    models = toolchain.osu018_cell_models().read_text()
    verilog = netlist.verilog + "\n" + models
    return dataclasses.replace(design, tag=design.tag + "-gate", verilog=verilog)
