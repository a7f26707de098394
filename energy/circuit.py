"""Connectivity of a flat gate-level netlist: which cell pin drives each net and which pins load it.

:func:`circuit` reads the cell instances of a :class:`nvlut.cells.netlist.GateNetlist` (plain
identifiers, one ``.PIN(net)`` per connection, as Yosys' ``write_verilog -noattr`` writes them) and
the library's pin directions, and returns a :class:`Circuit`. Nets are named as in the netlist
(``_00418_``, ``o__payload[37]``); a net of a top-level input port (``clk``, ``i__payload[5]``) has
no driving cell. Constant connections (``1'h0``: OSU018 has no tie cells) are not nets.
"""

import dataclasses
import re

_INSTANCE = re.compile(r"^\s+([A-Z][A-Z0-9_]*)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\((.*?)\);", re.M | re.S)
_CONNECTION = re.compile(r"\.(\w+)\(\s*([^)]*?)\s*\)")
_PORT = re.compile(r"^\s*(input|output)\s+(?:\[(\d+):(\d+)\]\s*)?(\w+)\s*;", re.M)
_CONSTANT = re.compile(r"^\d+'[bhd]")


@dataclasses.dataclass(frozen=True)
class Circuit:
    """``cells``: instance -> cell type; ``driver``: net -> (instance, pin) of the cell output
    driving it; ``loads``: net -> list of (instance, pin) cell inputs it feeds; ``inputs`` /
    ``outputs``: the bit-level nets of the top module's ports (``name`` or ``name[k]``)."""

    cells: dict
    driver: dict
    loads: dict
    inputs: tuple
    outputs: tuple

    @property
    def nets(self):
        """Every net: driven by a cell or by an input port, in a stable order."""
        return tuple(sorted(set(self.driver) | set(self.inputs)))


def _port_bits(verilog):
    inputs, outputs = [], []
    for direction, msb, lsb, name in _PORT.findall(verilog):
        bits = [name] if not msb else [f"{name}[{k}]" for k in range(int(lsb), int(msb) + 1)]
        (inputs if direction == "input" else outputs).extend(bits)
    return tuple(inputs), tuple(outputs)


def circuit(netlist, library):
    """The :class:`Circuit` of ``netlist`` with pin directions from ``library``
    (a :class:`nvlut.cells.liberty.Library`). Raises ``ValueError`` for a cell the library lacks,
    a pin the cell lacks or a net with two drivers."""
    text = netlist.verilog
    start = re.search(rf"^module\s+{re.escape(netlist.top)}\s*\(", text, re.M)
    if start is None:
        raise ValueError(f"netlist: module {netlist.top!r} not found")
    body = text[start.end():text.index("endmodule", start.end())]
    inputs, outputs = _port_bits(body)
    cells, driver, loads = {}, {}, {}
    for cell_type, instance, connections in _INSTANCE.findall(body):
        cell = library.cells.get(cell_type)
        if cell is None:
            raise ValueError(f"netlist: cell {cell_type} of {instance} is not in {library.name}")
        cells[instance] = cell_type
        for pin, net in _CONNECTION.findall(connections):
            if not net or _CONSTANT.match(net):
                continue
            if pin not in cell.pins:
                raise ValueError(f"netlist: {instance} ({cell_type}) has no pin {pin}")
            if cell.pins[pin].direction == "output":
                if net in driver:
                    raise ValueError(f"netlist: net {net} driven by {driver[net]} and {instance}")
                driver[net] = (instance, pin)
            else:
                loads.setdefault(net, []).append((instance, pin))
    return Circuit(cells, driver, loads, inputs, outputs)
