"""Flat OSU 0.18 um gate-level netlist of a design, with cells named by component.

:func:`osu018_netlist` maps a design's Verilog to the OSU018 standard cells with Yosys
(``netlist.ys``; its first lines are those of ``nvlut.synth``'s ``read.ys``, so the script text, and
with it every cached netlist's key, is what it was when the netlist flow lived in ``nvlut.synth``)
and returns a :class:`GateNetlist`: plain Verilog (no escaped identifiers, so Icarus, Verilator and
the 2019 OpenSTA read it alike) whose cell instances are named ``<component path>__g<n>``, e.g.
``block_dot__lane3__g17`` or ``tensor_scale__g402``; cells of the top module (stream handshake,
pipeline registers, glue) are named ``g<n>``. The top module keeps the design's ports unchanged, so
the RTL testbenches drive the netlist as they drive the RTL.

Constant inputs stay as literals (``1'h0`` / ``1'h1``) on cell pins: OSU018
has no tie cells.
"""

import dataclasses
import json
import re

from nvlut.util import toolchain, yosys
from nvlut.util.cache import cache_key

_ESCAPED = re.compile(r"\\(\S+)")
_CELL = re.compile(r"^\s+([A-Z][A-Z0-9_]*)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.M)
_LANE = re.compile(r"lane\d+")
#: ``$<n>`` suffix Yosys gives an instance whose name clashes (``result$51`` -> ``result_51``)
_CLASH = re.compile(r"_\d+(?=__|$)")


@dataclasses.dataclass(frozen=True)
class GateNetlist:
    """A mapped design: ``verilog`` (text), its ``top`` module and ``cells`` (instance -> cell type)."""

    verilog: str
    top: str
    cells: dict

    def component(self, instance):
        """The component path of ``instance`` (``'block_dot__lane3'``), ``''`` for the top module."""
        head, sep, _ = instance.rpartition("__")
        return head if sep else ""

    def components(self):
        """Component path -> list of instances, in netlist order."""
        out = {}
        for instance in self.cells:
            out.setdefault(self.component(instance), []).append(instance)
        return out


def _plain_identifier(name):
    """``block_dot.lane3.g17`` -> ``block_dot__lane3__g17``: a simple Verilog identifier."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name.replace(".", "__"))


def sanitize(verilog):
    """Replace every escaped identifier of Yosys' output by a plain, unique one."""
    used = set(re.findall(r"(?<![\\\w$])[A-Za-z_][A-Za-z0-9_]*", _ESCAPED.sub(" ", verilog)))
    mapping = {}

    def plain(match):
        name = match.group(1)
        if name not in mapping:
            candidate = base = _plain_identifier(name)
            n = 1
            while candidate in used:
                candidate = f"{base}_{n}"
                n += 1
            used.add(candidate)
            mapping[name] = candidate
        return mapping[name]

    return _ESCAPED.sub(plain, verilog)


def script_text():
    """The Yosys script of the netlist flow (part of the cache key)."""
    return yosys.script(__package__, "netlist")


def osu018_netlist(verilog, workdir, cache=None, timeout=None):
    """Map ``verilog`` (bytes) to OSU018 cells in ``workdir``; a :class:`GateNetlist`.

    Raises :class:`nvlut.util.toolchain.ToolMissing` when the OSU018 library is not installed and
    :class:`nvlut.util.yosys.YosysError` when Yosys fails. With ``cache`` (a
    :class:`nvlut.util.cache.Cache`), a netlist of the same Verilog, script, Liberty and Yosys is
    reused.
    """
    liberty = toolchain.osu018_liberty().read_bytes()
    text = script_text()
    key = "netlist-" + cache_key(verilog, liberty, text, yosys.YOSYS_VERSION)
    hit = cache.get(key) if cache is not None else None
    if hit is None:
        run = yosys.run(workdir, text, {"design.v": verilog, "osu018_stdcells.lib": liberty},
                        timeout=timeout)
        stat = json.loads(run.read("netlist_stat.json"))
        hit = {"verilog": sanitize(run.read("netlist.v")), "top": next(iter(stat["modules"])).lstrip("\\")}
        if cache is not None:
            cache.put(key, hit)
    cells = {inst: cell for cell, inst in _CELL.findall(hit["verilog"])}
    return GateNetlist(hit["verilog"], hit["top"], cells)


def component_class(path):
    """A coarse component class of a component path, for per-component reports: lane numbers are
    merged (``block_dot__lane3__a_decoder`` -> ``block_dot__laneN__a_decoder``) and Yosys' name-clash
    suffixes dropped (``result_51__rounder`` -> ``result__rounder``)."""
    return _LANE.sub("laneN", _CLASH.sub("", path)) if path else "top"
