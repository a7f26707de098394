"""Gate-level energy checked against references nobody here wrote (issue 12, point 4).

- Switching energy under uniform activity equals OpenSTA 2.0.17's ``report_power``, instance by
  instance (OpenSTA gives cells that are logically constant, which it cannot clock, its default
  input activity instead of the global one; those are checked to never switch in simulation).
- One cell's energy equals a hand calculation from the Liberty text of OSU018 typed in here.
- Per-net toggle counts equal an independent count of the same VCD by the small scanner below.
A wrong capacitance or a dropped net makes these fail (see the tests' last lines).
"""

import dataclasses

import numpy as np
import pytest

from nvlut.util import toolchain
from nvlut.spec.params import MacParams

pytestmark = pytest.mark.skipif(not (toolchain.available("osu018") and toolchain.available("opensta")
                                     and toolchain.available("icarus")),
                                reason="needs the OSU018 library, OpenSTA and Icarus (make tools)")

PARAMS = MacParams(block=4, max_blocks=4)
PERIOD_NS = 10.0
ACTIVITY = 0.1


@pytest.fixture(scope="module")
def gate_run(tmp_path_factory):
    """The small design's gate-level netlist, its circuit and the activity of a short simulation."""
    from nvlut.energy import activity, circuit
    from nvlut.cells import liberty
    from nvlut.verif import sim, stimulus, vectors
    from nvlut.verif.design import design_for
    from nvlut.verif.gate import gate_design, netlist_of

    design = design_for(PARAMS)
    netlist = netlist_of(design)
    lib = liberty.osu018()
    batch = vectors.concat(stimulus.adversarial(PARAMS, 40, np.random.default_rng(5)))
    wd = tmp_path_factory.mktemp("gate")
    out = sim.run_batch(gate_design(design), batch, "icarus", workdir=wd, activity="act.vcd")
    y, flags = vectors.reference(PARAMS, batch)
    assert not out.problems and np.array_equal(out.y, y)
    return netlist, lib, circuit.circuit(netlist, lib), wd / "act.vcd", activity.toggles(wd / "act.vcd")


def _model(circuit_, lib, netlist, **changes):
    from nvlut.energy import power
    conditions = dataclasses.replace(power.Conditions(slew_ns=0.18, period_ns=PERIOD_NS), **changes)
    return power.EnergyModel(circuit_, lib, conditions, netlist.component)


def _per_instance_switching_w(model, circuit_, cycles):
    rise = np.full(len(model.nets), ACTIVITY / 2 * cycles)
    fall = rise.copy()
    sw = model.switching_per_net(rise, fall)
    per = {}
    for k, net in enumerate(model.nets):
        drv = circuit_.driver.get(net)
        if drv is not None:
            per[drv[0]] = per.get(drv[0], 0.0) + sw[k] * 1e-12 / (cycles * PERIOD_NS * 1e-9)
    return per


def test_switching_equals_opensta_report_power(gate_run, tmp_path):
    from nvlut.cells import opensta
    netlist, lib, circ, _, act = gate_run
    sta = opensta.uniform_power(netlist, PERIOD_NS, ACTIVITY, tmp_path)
    ours = _per_instance_switching_w(_model(circ, lib, netlist), circ, cycles=1000)
    unclocked = {i for i in netlist.cells if sta[i][1] < 1e-6 * ours.get(i, 0.0)}
    # OpenSTA's "unclocked" cells are logically constant: their outputs never switch in simulation.
    counts = act.counts()
    for i in unclocked:
        for net, (drv, _) in circ.driver.items():
            if drv == i:
                assert counts[net] == (0, 0), (i, net)
    assert len(unclocked) < 0.01 * len(netlist.cells)
    checked = [i for i in netlist.cells if i not in unclocked]
    for i in checked:
        assert ours.get(i, 0.0) == pytest.approx(sta[i][1], rel=1e-5, abs=1e-15), i
    # OpenSTA sums in single precision: its total differs from the sum of its instances by ~3e-5
    total_sta = sta["total"][1] - sum(sta[i][1] for i in unclocked)
    assert sum(ours.get(i, 0.0) for i in checked) == pytest.approx(total_sta, rel=1e-4)
    assert sum(ours.get(i, 0.0) for i in checked) == pytest.approx(
        sum(sta[i][1] for i in checked), rel=1e-6)


def test_wrong_capacitance_or_dropped_net_breaks_the_opensta_match(gate_run, tmp_path):
    from nvlut.cells import opensta
    netlist, lib, circ, _, _ = gate_run
    sta = opensta.uniform_power(netlist, PERIOD_NS, ACTIVITY, tmp_path)
    # a wire capacitance the library does not have
    ours = _per_instance_switching_w(_model(circ, lib, netlist, wire_cap_pf=0.001), circ, 1000)
    assert sum(ours.values()) != pytest.approx(sta["total"][1], rel=1e-3)
    # one load pin dropped from the circuit
    net = next(n for n, loads in circ.loads.items() if len(loads) > 1 and n in circ.driver)
    loads = dict(circ.loads)
    loads[net] = loads[net][1:]
    broken = dataclasses.replace(circ, loads=loads)
    ours = _per_instance_switching_w(_model(broken, lib, netlist), broken, 1000)
    inst = circ.driver[net][0]
    assert ours[inst] != pytest.approx(sta[inst][1], rel=1e-5)


# OSU018 (osu018_stdcells.lib), typed in from the Liberty text:
INVX1_Y_LOAD = (0.005, 0.0125, 0.025, 0.075, 0.15)       # index_1, pF
INVX1_Y_SLEW = (0.06, 0.18, 0.42, 0.6, 1.2)              # index_2, ns
INVX1_Y_RISE_AT_018 = (0.029044, 0.028621, 0.02752, 0.025247, 0.025187)   # rise_power column 0.18
INVX1_Y_FALL_AT_018 = (0.004772, 0.005677, 0.006332, 0.007243, 0.007297)  # fall_power column 0.18
CAPS = {  # (rise_capacitance, fall_capacitance) in pF
    ("INVX1", "A"): (0.00932196, 0.00932456),
    ("DFFPOSX1", "D"): (0.00882947, 0.00881001),
}
DFF_D_RISE = ((0.06, 0.18, 0.42, 0.6, 1.2), (0.045424, 0.045977, 0.055651, 0.063033, 0.096119))
DFF_D_FALL = ((0.06, 0.18, 0.42, 0.6, 1.2), (0.08841, 0.087952, 0.097074, 0.107295, 0.139032))
INVX1_LEAKAGE_NW = 0.0221741
DFFPOSX1_LEAKAGE_NW = 0.160725

HAND_NETLIST = """
module hand(clk, a, q);
  input clk;
  input a;
  output q;
  wire n1;
  INVX1 inv (.A(a), .Y(n1));
  INVX1 inv2 (.A(n1), .Y(q));
  DFFPOSX1 ff (.CLK(clk), .D(n1), .Q(unused));
endmodule
"""


def _interp(xs, ys, x):
    for k in range(len(xs) - 1):
        if xs[k] <= x <= xs[k + 1]:
            f = (x - xs[k]) / (xs[k + 1] - xs[k])
            return ys[k] * (1 - f) + ys[k + 1] * f
    raise AssertionError("outside the table")


def test_one_cell_energy_by_hand_from_the_liberty_table():
    from nvlut.energy import circuit
    from nvlut.cells import liberty
    from nvlut.cells.netlist import GateNetlist
    lib = liberty.osu018()
    netlist = GateNetlist(HAND_NETLIST, "hand", {"inv": "INVX1", "inv2": "INVX1", "ff": "DFFPOSX1"})
    circ = circuit.circuit(netlist, lib)
    model = _model(circ, lib, netlist)
    # net n1: driven by inv, loads inv2.A and ff.D
    c_rise = CAPS[("INVX1", "A")][0] + CAPS[("DFFPOSX1", "D")][0]
    c_fall = CAPS[("INVX1", "A")][1] + CAPS[("DFFPOSX1", "D")][1]
    c = max(c_rise, c_fall)
    v = 1.8
    rises, falls, cycles = 3, 2, 7
    e_switch = 0.5 * c * v * v * (rises + falls)
    e_internal = rises * _interp(INVX1_Y_LOAD, INVX1_Y_RISE_AT_018, c) \
        + falls * _interp(INVX1_Y_LOAD, INVX1_Y_FALL_AT_018, c)
    e_dff_d = rises * DFF_D_RISE[1][1] + falls * DFF_D_FALL[1][1]   # slew 0.18 ns: an index point
    rise = np.array([rises if n == "n1" else 0 for n in model.nets])
    fall = np.array([falls if n == "n1" else 0 for n in model.nets])
    energy = model.energy(rise, fall, cycles)
    # every cell is in the top component ''; kinds: switching, internal, clock, leakage
    top = model.components.index("")
    from nvlut.energy.power import KINDS
    assert energy[top, KINDS.index("switching")] == pytest.approx(e_switch, rel=1e-12)
    assert energy[top, KINDS.index("internal")] == pytest.approx(e_internal + e_dff_d, rel=1e-9)
    leak_pj = (2 * INVX1_LEAKAGE_NW + DFFPOSX1_LEAKAGE_NW) * 1e-9 * cycles * PERIOD_NS * 1e-9 * 1e12
    assert energy[top, KINDS.index("leakage")] == pytest.approx(leak_pj, rel=1e-12)
    # a wrong capacitance breaks it
    wrong = _model(circ, lib, netlist, wire_cap_pf=0.0005).energy(rise, fall, cycles)
    assert wrong[top, KINDS.index("switching")] != pytest.approx(e_switch, rel=1e-3)


def _independent_toggles(path):
    """A minimal VCD scan written for this test: per net name, (rises, falls) after $dumpvars until
    $dumpoff; vectors split into bits."""
    ids, state, counts = {}, {}, {}
    in_header, in_dumpvars, started = True, False, False
    with open(path) as f:
        tokens = f.read().split()
    k = 0
    while k < len(tokens):
        t = tokens[k]
        if t == "$var":
            _, width, code, name = tokens[k + 1:k + 5]
            width = int(width)
            rng = tokens[k + 5] if tokens[k + 5] != "$end" else None
            if width == 1:
                names = [name if rng is None else f"{name}{rng}"]
            else:
                msb, lsb = (int(x) for x in rng.strip("[]").split(":"))
                names = [f"{name}[{b}]" for b in range(lsb, msb + 1)]
            ids.setdefault(code, names)
            k += 6 if rng else 5
            continue
        if t == "$enddefinitions":
            in_header = False
        elif t == "$dumpvars":
            in_dumpvars, started = True, True
        elif t == "$end":
            in_dumpvars = False
        elif t == "$dumpoff":
            break
        elif not in_header and t[0] in "01xz" and len(t) > 1 and t[1:] in ids:
            _change(ids[t[1:]], t[0], state, counts, started and not in_dumpvars)
        elif not in_header and t[0] == "b":
            _change(ids[tokens[k + 1]], t[1:], state, counts, started and not in_dumpvars)
            k += 1
        k += 1
    return counts


def _change(names, value, state, counts, count):
    value = value.rjust(len(names), "0")[-len(names):]
    for name, bit in zip(names, reversed(value)):
        old = state.get(name)
        if count and old is not None and old != bit and bit in "01" and old in "01":
            r, f = counts.get(name, (0, 0))
            counts[name] = (r + 1, f) if bit == "1" else (r, f + 1)
        state[name] = bit


def test_toggle_counts_equal_an_independent_count(gate_run):
    netlist, lib, circ, vcd_path, act = gate_run
    ours = act.counts()
    theirs = _independent_toggles(vcd_path)
    assert sum(r + f for r, f in ours.values()) > 10_000
    for net, (r, f) in ours.items():
        assert theirs.get(net, (0, 0)) == (r, f), net
    assert set(n for n, c in theirs.items() if c != (0, 0)) <= set(ours)
    assert ours["clk"][0] == act.cycles and abs(ours["clk"][0] - ours["clk"][1]) <= 1
    # every net of the circuit is in the activity; a dropped net is an error
    from nvlut.energy import power
    model = _model(circ, lib, netlist)
    model.counts_of(act)
    dropped = dataclasses.replace(act, nets=act.nets[:-1], rise=act.rise[:-1], fall=act.fall[:-1])
    with pytest.raises(ValueError, match="not in the VCD"):
        model.counts_of(dropped)
