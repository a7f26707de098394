"""Static timing of a design on OSU 0.18 um cells with OpenSTA: critical path, Fmax, slack, and the
share of area and path delay of each component.

Constraints (the same for every design, stated in every report): one ideal clock on ``clk`` with
period :data:`STATED_PERIOD_NS`; every other input arrives at the clock edge (``set_input_delay 0``)
and every output must be settled by the next edge (``set_output_delay 0``). That is the MAC placed
between flip-flops of the surrounding design, with the boundary flip-flops' clock-to-Q and setup
times and all wires outside the MAC left out. Every path group is timed: register to register,
input to register, register to output and input to output, so a stage that runs from the last
internal register to the output port counts (with ``pipeline = 1`` the final stage does). Inside the
MAC, the delay of each cell comes from the Liberty tables at its input slew and output load (the sum
of the input capacitances it drives; the library has no wire-load model, so wires are free). The
register-to-register path is reported as well.

``critical_ns = period - slack`` of the worst path (its arrival time plus the capture flip-flop's
setup time, or the arrival at an output), ``fmax_mhz = 1000 / critical_ns``. Results are cached on
the netlist text, the Liberty, the constraint script, the OpenSTA version and the component
classification (:mod:`nvlut.cells.components`, which keys the per-component area and path delay).
:func:`time_verilog` (Verilog -> netlist -> timing, both cached) is the one entry point of ``nvlut
synth``, ``nvlut explore`` and ``nvlut generate --target-mhz``, so they report the same Fmax for the
same design.
"""

import dataclasses
import pathlib
import re

from . import components, liberty, opensta
from nvlut.util.cache import cache_key
from .netlist import component_class

#: the clock at which slack is stated: 100 MHz, the clock the pipeline is meant to reach
STATED_PERIOD_NS = 10.0

_STEP = re.compile(r"^\s*(-?[\d.]+)\s+(-?[\d.]+)\s+([\^v])\s+(\S+)\s+\((\S+)\)\s*$")
_POINT = re.compile(r"^(Startpoint|Endpoint): (\S+)")
_SLACK = re.compile(r"^\s*(-?[\d.]+)\s+slack")
_ARRIVAL = re.compile(r"^\s*(-?[\d.]+)\s+data arrival time")


@dataclasses.dataclass(frozen=True)
class Step:
    """One pin along a path: ``pin`` (``instance/pin`` or a port), ``cell`` (type, ``in``/``out``
    for ports), ``delay`` (ns, incremental), ``arrival`` (ns), ``edge`` (``^`` rise, ``v`` fall)."""

    pin: str
    cell: str
    delay: float
    arrival: float
    edge: str

    @property
    def instance(self):
        """The cell instance of the pin, or None for a port."""
        return self.pin.rpartition("/")[0] if "/" in self.pin else None


@dataclasses.dataclass(frozen=True)
class Path:
    """A timing path of ``report_checks``: start and end points, arrival and slack (ns), steps."""

    startpoint: str
    endpoint: str
    arrival: float
    slack: float
    steps: tuple


def constraints(period=STATED_PERIOD_NS):
    """The Tcl constraints of the module docstring for a clock of ``period`` ns."""
    return (f"create_clock -name clk -period {period} [get_ports clk]\n"
            "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]\n"
            "set_output_delay 0 -clock clk [all_outputs]\n")


def report_script(period=STATED_PERIOD_NS):
    """Constraints, then the worst path of all and the worst register-to-register path."""
    return (constraints(period)
            + "puts \"== all\"\nreport_checks -path_delay max -digits 3\n"
            + "puts \"== reg2reg\"\nreport_checks -path_delay max -digits 3 "
              "-from [all_registers -clock_pins] -to [all_registers -data_pins]\n")


def parse_paths(text):
    """The paths of ``report_checks`` output ``text`` (``-format full``), in order."""
    paths, current = [], None
    for line in text.splitlines():
        m = _POINT.match(line)
        if m:
            if m.group(1) == "Startpoint":
                current = {"startpoint": m.group(2), "steps": [], "arrival": None}
            else:
                current["endpoint"] = m.group(2)
            continue
        if current is None:
            continue
        m = _ARRIVAL.match(line)
        if m and not current.get("done"):
            current["arrival"] = float(m.group(1))
            current["done"] = True
            continue
        m = _SLACK.match(line)
        if m:
            paths.append(Path(current["startpoint"], current["endpoint"], current["arrival"],
                              float(m.group(1)), tuple(current["steps"])))
            current = None
            continue
        m = _STEP.match(line)
        if m and not current.get("done"):
            current["steps"].append(Step(m.group(4), m.group(5), float(m.group(1)),
                                         float(m.group(2)), m.group(3)))
    return paths


def _sections(text):
    out, name = {}, None
    for line in text.splitlines():
        if line.startswith("== "):
            name = line[3:].strip()
            out[name] = []
        elif name:
            out[name].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


_Q_NET = r"\b{cell}\s+{inst}\s*\((?:(?!\);).)*?\.Q\(([^()]+?)\)"


def point_name(netlist, point):
    """A readable name of a start or end point: the port, or ``component/instance`` with, for a
    flip-flop, the net it drives (``term_reg__value[3]``) since top-level cells are only ``g<n>``."""
    instance = point.split("/")[0]
    cell = netlist.cells.get(instance)
    if cell is None:
        return f"port {point}"
    label = f"{component_class(netlist.component(instance))}/{instance}"
    if cell.startswith("DFF"):
        m = re.search(_Q_NET.format(cell=cell, inst=re.escape(instance)), netlist.verilog, re.S)
        if m:
            label += f" (Q: {m.group(1).strip()})"
    return label


def point_component(netlist, point):
    """The component class of a start or end point (``port`` for a port)."""
    instance = point.split("/")[0]
    if instance not in netlist.cells:
        return "port"
    return component_class(netlist.component(instance))


def path_components(netlist, path):
    """ns of ``path`` spent in each component class of :data:`nvlut.cells.components.CLASSES`
    (cell delays on the output pins; wire and port delays are 0 without a wire-load model), in
    path order."""
    class_of = components.classifier(netlist, liberty.osu018())
    out = {}
    for step in path.steps:
        inst = step.instance
        if inst is None or inst not in netlist.cells:
            continue
        key = class_of(inst)
        out[key] = round(out.get(key, 0.0) + step.delay, 3)
    return out


def _summary(netlist, path, period):
    critical = round(period - path.slack, 3)
    return {"critical_ns": critical, "fmax_mhz": round(1000.0 / critical, 2),
            "slack_ns": path.slack, "start": point_name(netlist, path.startpoint),
            "end": point_name(netlist, path.endpoint),
            "start_component": point_component(netlist, path.startpoint),
            "end_component": point_component(netlist, path.endpoint),
            "cells_on_path": sum(1 for s in path.steps if s.instance in netlist.cells)}


def analyze(netlist, workdir, period=STATED_PERIOD_NS, cache=None):
    """Time ``netlist`` (a :class:`~nvlut.cells.netlist.GateNetlist`) under :func:`constraints`.

    Returns a JSON-able dict: ``period_ns``, the worst path of all (``critical_ns``, ``fmax_mhz``,
    ``slack_ns`` at ``period``, ``start`` / ``end`` and their ``*_component``), the same for the
    worst register-to-register path under ``reg2reg``, ``path_ns`` (ns of the worst path per
    class of :mod:`nvlut.cells.components`), ``area_um2`` (Liberty area per class) and
    ``area_total_um2``.
    Raises :class:`~nvlut.cells.opensta.StaError` when OpenSTA fails.
    """
    from ..util import toolchain

    script = report_script(period)
    key = "sta-" + cache_key(netlist.verilog, toolchain.osu018_liberty().read_bytes(), script,
                             opensta.version(), pathlib.Path(components.__file__).read_bytes())
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return hit
    text = opensta.run(netlist, script, workdir)
    sections = _sections(text)
    paths = {name: parse_paths(body) for name, body in sections.items()}
    if not paths.get("all"):
        raise opensta.StaError(f"opensta in {workdir}: no timing path in the report")
    worst = paths["all"][0]
    areas = liberty.component_areas(netlist, components.classifier(netlist, liberty.osu018()))
    result = {"period_ns": period, **_summary(netlist, worst, period),
              "path_ns": path_components(netlist, worst),
              "area_um2": {k: round(v, 1) for k, v in sorted(areas.items())},
              "area_total_um2": round(sum(areas.values()), 1)}
    if paths.get("reg2reg"):
        result["reg2reg"] = _summary(netlist, paths["reg2reg"][0], period)
    if cache is not None:
        cache.put(key, result)
    return result


def time_verilog(verilog, workdir, cache=None, timeout=None):
    """:func:`analyze` the design ``verilog`` (bytes): mapped to OSU018 cells by
    :func:`nvlut.cells.netlist.osu018_netlist` in ``workdir/netlist``, timed in ``workdir``; the
    netlist and the timing are both cached in ``cache`` (a :class:`~nvlut.util.cache.Cache`)."""
    import pathlib

    from .netlist import osu018_netlist

    netlist = osu018_netlist(verilog, pathlib.Path(workdir) / "netlist", cache, timeout)
    return analyze(netlist, workdir, cache=cache)


def missing_tools():
    """Why static timing cannot run here (the ``ToolMissing`` messages), or None."""
    from ..util import toolchain

    reasons = []
    for tool in ("osu018", "opensta"):
        try:
            toolchain.require(tool)
        except toolchain.ToolMissing as exc:
            reasons.append(str(exc))
    return "; ".join(reasons) or None


def as_targets(result, block):
    """Report records of an :func:`analyze` result for a design of block size ``block``: target
    ``sta`` (scalars, with ``gmacs`` = ``block * fmax`` element MACs per second / 1e9) and target
    ``sta_components`` (``area_um2:<component class>``, ``path_ns:<component class>``)."""
    sta = {k: v for k, v in result.items() if not isinstance(v, dict)}
    sta["gmacs"] = round(block * result["fmax_mhz"] / 1000.0, 3)
    for k, v in result.get("reg2reg", {}).items():
        if k in ("critical_ns", "fmax_mhz", "start", "end", "start_component", "end_component"):
            sta[f"reg2reg_{k}"] = v
    components = {f"area_um2:{k}": v for k, v in result["area_um2"].items()}
    components.update({f"path_ns:{k}": v for k, v in result["path_ns"].items()})
    return {"sta": sta, "sta_components": components}
