"""Component classes of a gate-level netlist, for the synthesis report's per-component area and
path-delay tables, the energy reports and the voltage domains.

:func:`component_of` maps a cell (its instance name ``<component path>__g<n>`` and cell type) to one
of :data:`CLASSES`; the table storage is split into its bit cells (the flip-flops of a writable
table) and its read/write logic (read multiplexers of the B read ports, write decode; for a ROM
table, the logic that is the table), and ECC encoder and decoders are classes of their own. The
nets of input ports and the clock net are the classes ``inputs`` and ``clock`` of
:mod:`nvlut.energy.power`.
"""

import re

CLASSES = ("multiplier lanes", "table bits", "table read/write logic", "ECC encoder",
           "ECC decoders", "adder tree", "block scaler", "accumulator",
           "tensor scale + rounding", "stream/pipeline registers + glue", "inputs", "clock")
#: the classes in the table-storage voltage domain
TABLE_DOMAIN = ("table bits", "table read/write logic")

_RULES = (
    (re.compile(r"__encoder(__|$)"), "ECC encoder"),
    (re.compile(r"__decoder\d*(__|$)"), "ECC decoders"),
    (re.compile(r"^block_dot__storage"), None),          # bits or logic, by cell type
    (re.compile(r"^block_dot__lane\d+__table"), "table read/write logic"),
    (re.compile(r"^block_dot__lane"), "multiplier lanes"),
    (re.compile(r"^block_dot"), "adder tree"),
    (re.compile(r"^scaler"), "block scaler"),
    (re.compile(r"^accumulator"), "accumulator"),
    (re.compile(r"^(tensor_scale|result)"), "tensor scale + rounding"),
)


def component_of(path, sequential):
    """The class of a cell in component ``path`` (``''`` for the top module); ``sequential``:
    whether the cell is a flip-flop or latch."""
    for pattern, name in _RULES:
        if pattern.search(path):
            if name is None:
                return "table bits" if sequential else "table read/write logic"
            return name
    return "stream/pipeline registers + glue"


def classifier(netlist, library):
    """``instance -> class`` for the cells of ``netlist`` (a
    :class:`nvlut.cells.netlist.GateNetlist`) with cell types of ``library``."""
    def of(instance):
        cell = library.cells[netlist.cells[instance]]
        return component_of(netlist.component(instance), cell.sequential)
    return of

