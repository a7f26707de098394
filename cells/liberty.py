"""The OSU 0.18 um Liberty file, read once per process with the PyPI ``liberty-parser``: areas and
the power view (pin capacitances, internal-energy tables, leakage).

:func:`load` reads a Liberty file and returns a :class:`Library` (cached per path; :func:`osu018` is
the installed OSU018 file): per cell its area, its leakage (``cell_leakage_power``, in the library's
leakage unit), per pin its direction, capacitance, clock flag and ``internal_power`` tables.
:meth:`Table.at` interpolates a table bilinearly inside its index range and extrapolates linearly
beyond it, as STA tools do. :func:`component_areas` is what the per-component
area report needs.

Energies of ``rise_power`` / ``fall_power`` tables are in the library's capacitance unit times its
voltage unit squared (pF * V^2 = pJ for OSU018); the ``internal_power`` group of an output pin with
a ``related_pin`` gives the energy of one output transition caused by that input, indexed by the
output load (``total_output_net_capacitance``) and the input slew (``input_transition_time``); the
group of an input pin without a related pin (a flip-flop's ``CLK`` and ``D``) gives the energy of one
transition of that input, indexed by its slew.
"""

import bisect
import dataclasses
import functools

import numpy as np

from ..util import toolchain

_VARIABLES = {"total_output_net_capacitance": "load", "input_transition_time": "slew",
              "input_net_transition": "slew"}


@dataclasses.dataclass(frozen=True)
class Table:
    """A 1-D or 2-D Liberty lookup table: ``axes`` (``'load'``/``'slew'`` per index), ``index``
    (one array per axis) and ``values`` (shape = lengths of the indices)."""

    axes: tuple
    index: tuple
    values: np.ndarray

    def at(self, load, slew):
        """The table value at output load ``load`` and input slew ``slew`` (library units)."""
        point = {"load": load, "slew": slew}
        weights = [_weights(list(idx), point[axis]) for axis, idx in zip(self.axes, self.index)]
        if len(weights) == 1:
            return sum(w * float(self.values[k]) for k, w in weights[0])
        return sum(w0 * w1 * float(self.values[k0, k1])
                   for k0, w0 in weights[0] for k1, w1 in weights[1])


def _weights(index, x):
    """Linear interpolation weights ``[(position, weight), ...]`` of ``x`` on ``index``, linear
    extrapolation beyond its ends."""
    if len(index) == 1:
        return [(0, 1.0)]
    k = min(max(bisect.bisect_left(index, x) - 1, 0), len(index) - 2)
    f = (x - index[k]) / (index[k + 1] - index[k])
    return [(k, 1.0 - f), (k + 1, f)]


@dataclasses.dataclass(frozen=True)
class InternalPower:
    """The ``rise_power`` / ``fall_power`` tables of one ``internal_power`` group; ``related``
    is its related pin (``None`` for an input pin's own group)."""

    related: str | None
    rise: Table | None
    fall: Table | None


@dataclasses.dataclass(frozen=True)
class Pin:
    name: str
    direction: str
    capacitance: float
    rise_capacitance: float
    fall_capacitance: float
    clock: bool
    internal: tuple


@dataclasses.dataclass(frozen=True)
class Cell:
    name: str
    area: float
    leakage: float
    pins: dict

    @property
    def outputs(self):
        return [p for p in self.pins.values() if p.direction == "output"]

    @property
    def sequential(self):
        return any(p.clock for p in self.pins.values())


@dataclasses.dataclass(frozen=True)
class Library:
    """A Liberty library's power view. ``voltage`` is ``nom_voltage``; ``energy_unit_pj`` converts
    table energies to pJ; ``leakage_unit_w`` converts ``cell_leakage_power`` to watts;
    ``capacitance_unit_pf`` converts capacitances to pF; ``time_unit_ns`` the time unit to ns;
    ``wire_load`` is the name of the default wire-load model or ``None`` when the library has
    none."""

    name: str
    voltage: float
    cells: dict
    capacitance_unit_pf: float
    leakage_unit_w: float
    time_unit_ns: float
    wire_load: str | None

    @property
    def energy_unit_pj(self):
        return self.capacitance_unit_pf  # C * V^2 in pF * V^2 = pJ (voltage unit 1 V)


def _table(parent, name, template_vars):
    groups = parent.get_groups(name)
    if not groups:
        return None
    group = groups[0]
    axes = tuple(_VARIABLES[v] for v in template_vars[str(group.args[0])])
    index = tuple(np.asarray(group.get_array(f"index_{k + 1}")[0], float) for k in range(len(axes)))
    values = np.asarray(group.get_array("values"), float).reshape([len(i) for i in index])
    return Table(axes, index, values)


def _unquote(value):
    return None if value is None else str(value).strip('"')


_UNITS = {"1ns": 1.0, "1ps": 1e-3, "1nW": 1e-9, "1uW": 1e-6, "1mW": 1e-3, "1pW": 1e-12}


@functools.lru_cache(maxsize=4)
def load(path):
    """The :class:`Library` of the Liberty file at ``path`` (cached per path)."""
    from liberty.parser import parse_liberty

    lib = parse_liberty(open(path).read())
    templates = {}
    for g in lib.get_groups("power_lut_template"):
        variables = [lib_var for k in (1, 2) if (lib_var := g.get(f"variable_{k}")) is not None]
        templates[str(g.args[0])] = [str(v) for v in variables]
    cap_unit = lib.get_attributes("capacitive_load_unit")
    cap_value, cap_name = cap_unit[0] if cap_unit else (1, "pf")
    capacitance_unit_pf = float(cap_value) * {"pf": 1.0, "ff": 1e-3}[str(cap_name).lower()]
    cells = {}
    for c in lib.get_groups("cell"):
        pins = {}
        for p in c.get_groups("pin"):
            internal = tuple(InternalPower(_unquote(ip.get("related_pin")),
                                           _table(ip, "rise_power", templates),
                                           _table(ip, "fall_power", templates))
                             for ip in p.get_groups("internal_power"))
            name = str(p.args[0])
            cap = float(p.get("capacitance") or 0.0)
            pins[name] = Pin(name, str(p["direction"]), cap,
                             float(p.get("rise_capacitance") or cap),
                             float(p.get("fall_capacitance") or cap),
                             str(p.get("clock")) == "true", internal)
        cells[str(c.args[0])] = Cell(str(c.args[0]), float(c["area"]),
                                     float(c.get("cell_leakage_power") or 0.0), pins)
    wire_load = _unquote(lib.get("default_wire_load"))
    return Library(str(lib.args[0]), float(lib["nom_voltage"]), cells, capacitance_unit_pf,
                   _UNITS[_unquote(lib["leakage_power_unit"])], _UNITS[_unquote(lib["time_unit"])],
                   wire_load)


def osu018():
    """The :class:`Library` of the installed OSU018 Liberty; raises ``ToolMissing`` without it."""
    return load(str(toolchain.osu018_liberty()))


def component_areas(netlist, class_of):
    """Area (um^2) per component class of a :class:`~nvlut.cells.netlist.GateNetlist`: the sum of
    the OSU018 Liberty areas of its cells, keyed by ``class_of(instance)``."""
    cells = osu018().cells
    out = {}
    for instance, cell in netlist.cells.items():
        key = class_of(instance)
        out[key] = out.get(key, 0.0) + cells[cell].area
    return out
