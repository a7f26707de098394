"""Energy of a gate-level simulation from its per-net transitions and the Liberty power view.

For a :class:`~nvlut.energy.circuit.Circuit` of library cells, :class:`EnergyModel` precomputes
per net and per component the energy of one rising and one falling transition, then turns an
:class:`~nvlut.energy.activity.Activity` (or any rise/fall counts) into energy by component and
kind:

- ``switching``: ``0.5 * C_load * V^2`` per transition of a net, charged to the component of the
  cell driving it (nets of input ports: component ``inputs``; the clock net: ``clock``).
  ``C_load = max(sum of the fan-out pins' rise_capacitance, sum of their fall_capacitance)``, the
  load OpenSTA uses, plus ``wire_cap_pf`` per fan-out pin (the OSU018 library has no wire-load
  model; see the assumptions file) and ``output_load_pf`` per output-port bit.
- ``internal``: per output transition of a cell, its ``internal_power`` ``rise_power`` /
  ``fall_power`` table at the net's ``C_load`` and the stated input slew, averaged over the related
  pins (the simulation does not say which input caused the transition); plus, per transition of a
  cell input whose pin has its own ``internal_power`` group (flip-flop ``D``), that table at the slew.
- ``clock``: the flip-flops' ``CLK`` pin internal energy per clock edge: the clock-pin energy of
  every flip-flop per cycle (charged to the flip-flop's component; the clock net's own switching
  is ``switching`` of component ``clock``; the clock tree is ideal, no buffers).
- ``leakage``: ``cell_leakage_power`` times the window (``cycles * period``).

All energies are in pJ at the library's nominal voltage; voltage scaling is applied afterwards by
:mod:`nvlut.energy.voltage`. ``voltage`` here only scales the switching term (as ``V^2``).
"""

import dataclasses

import numpy as np

KINDS = ("switching", "internal", "clock", "leakage")


@dataclasses.dataclass(frozen=True)
class Conditions:
    """The electrical conditions of the model (see the assumptions file)."""

    slew_ns: float
    period_ns: float
    wire_cap_pf: float = 0.0
    output_load_pf: float = 0.0
    voltage: float | None = None   # None: the library's nominal voltage


@dataclasses.dataclass
class _Terms:
    net: list
    comp: list
    kind: list
    rise: list
    fall: list

    def add(self, net, comp, kind, rise, fall):
        self.net.append(net)
        self.comp.append(comp)
        self.kind.append(kind)
        self.rise.append(rise)
        self.fall.append(fall)


class EnergyModel:
    """Per-transition energies of every net of ``circuit`` (cells of ``library``) under
    ``conditions``; ``component_of(instance) -> name`` groups cells into components."""

    def __init__(self, circuit, library, conditions, component_of):
        self.circuit, self.library, self.conditions = circuit, library, conditions
        self.component_of = component_of
        v = conditions.voltage if conditions.voltage is not None else library.voltage
        cap = library.capacitance_unit_pf
        self.nets = circuit.nets
        index = {n: k for k, n in enumerate(self.nets)}
        comps = {}

        def comp_id(name):
            return comps.setdefault(name, len(comps))

        cells = circuit.cells
        outputs = set(circuit.outputs)
        self.load_pf = np.zeros(len(self.nets))
        terms = _Terms([], [], [], [], [])
        for net in self.nets:
            k = index[net]
            loads = circuit.loads.get(net, [])
            pins = [library.cells[cells[i]].pins[p] for i, p in loads]
            c = max(sum(p.rise_capacitance for p in pins), sum(p.fall_capacitance for p in pins))
            c = c * cap + conditions.wire_cap_pf * len(loads)
            if net in outputs:
                c += conditions.output_load_pf
            self.load_pf[k] = c
            e_sw = 0.5 * c * v * v
            drv = circuit.driver.get(net)
            if drv is None:
                owner = "clock" if net == "clk" else "inputs"
                terms.add(k, comp_id(owner), "switching", e_sw, e_sw)
            else:
                instance, pin = drv
                cid = comp_id(component_of(instance))
                terms.add(k, cid, "switching", e_sw, e_sw)
                groups = [g for g in library.cells[cells[instance]].pins[pin].internal]
                if groups:
                    slew = conditions.slew_ns / library.time_unit_ns
                    load = c / cap
                    er = np.mean([g.rise.at(load, slew) for g in groups if g.rise is not None] or [0])
                    ef = np.mean([g.fall.at(load, slew) for g in groups if g.fall is not None] or [0])
                    terms.add(k, cid, "internal", er * library.energy_unit_pj,
                              ef * library.energy_unit_pj)
            for (instance, pin), p in zip(loads, pins):
                own = [g for g in p.internal if g.related is None]
                if not own:
                    continue
                slew = conditions.slew_ns / library.time_unit_ns
                er = sum(g.rise.at(0.0, slew) for g in own if g.rise is not None)
                ef = sum(g.fall.at(0.0, slew) for g in own if g.fall is not None)
                terms.add(k, comp_id(component_of(instance)), "clock" if p.clock else "internal",
                          er * library.energy_unit_pj, ef * library.energy_unit_pj)
        self.components = tuple(comps)
        self._net = np.array(terms.net, np.int64)
        self._comp = np.array(terms.comp, np.int64)
        self._kind = np.array([KINDS.index(x) for x in terms.kind], np.int64)
        self._rise = np.array(terms.rise)
        self._fall = np.array(terms.fall)
        leak = np.zeros(len(comps) + 1)
        for instance, cell_type in cells.items():
            cid = comp_id(component_of(instance))
            if cid >= len(leak):
                leak = np.append(leak, 0.0)
            leak[cid] += library.cells[cell_type].leakage * library.leakage_unit_w
        self.components = tuple(comps)
        self.leakage_w = leak[:len(comps)]
        self.cells_per_component = np.bincount(
            [comps[component_of(i)] for i in cells], minlength=len(comps))

    def counts_of(self, activity):
        """Rise/fall count arrays aligned with :attr:`nets` from an :class:`Activity`; raises
        ``ValueError`` when a net of the circuit is missing from the activity."""
        pos = {n: k for k, n in enumerate(activity.nets)}
        missing = [n for n in self.nets if n not in pos]
        if missing:
            raise ValueError(f"activity: {len(missing)} nets of the netlist are not in the VCD, "
                             f"e.g. {missing[:3]}")
        order = np.array([pos[n] for n in self.nets], np.int64)
        return activity.rise[order], activity.fall[order]

    def energy(self, rise, fall, cycles):
        """Energy in pJ as a float array [component, kind] for per-net ``rise`` / ``fall``
        transition counts (aligned with :attr:`nets`) over ``cycles`` clock cycles."""
        out = np.zeros((len(self.components), len(KINDS)))
        e = self._rise * np.asarray(rise, float)[self._net] + self._fall * np.asarray(fall, float)[self._net]
        np.add.at(out, (self._comp, self._kind), e)
        out[:, KINDS.index("leakage")] = self.leakage_w * cycles * self.conditions.period_ns * 1e-9 * 1e12
        return out

    def switching_per_net(self, rise, fall):
        """Switching energy (pJ) per net, aligned with :attr:`nets`."""
        sel = self._kind == KINDS.index("switching")
        e = np.zeros(len(self.nets))
        np.add.at(e, self._net[sel], self._rise[sel] * np.asarray(rise, float)[self._net[sel]]
                  + self._fall[sel] * np.asarray(fall, float)[self._net[sel]])
        return e
