"""The synthesis flows: which ``*.ys`` scripts make up each, and which metrics each yields.

A flow is one Yosys run over ``design.v``; it reports one or more targets, each a dict of metrics
(see ``docs/synthesis.md`` for their definitions):

- ``gates``: targets ``cmos`` (generic CMOS transistor estimate), ``depth`` (2-input gate levels)
  and, when the OSU 0.18 um liberty is installed, ``osu018`` (standard-cell area);
- ``lower_bound``: target ``lower_bound`` (CMOS transistors after heavy ABC optimisation);
- ``ice40``: target ``ice40``; ``xilinx``: target ``xilinx`` (DSP48E1 inferred);
  ``xilinx_nodsp``: target ``xilinx_nodsp`` (no DSP). The three FPGA flows share the fast
  abc9 LUT-mapping script of ``lutmap.ys``.
"""

import dataclasses
import time

from nvlut.util import toolchain, yosys
from nvlut.util.cache import cache_key

from . import stats

OSU018_LIBERTY = toolchain.osu018_liberty() if toolchain.available("osu018") else None


def _gates(run):
    table_bits = stats.parse_memory_bits(run.read("memory.il") or "")
    out = {"cmos": stats.cmos_metrics(stats.parse_stat_json(run.read("cmos_all.json")),
                                      stats.parse_stat_json(run.read("cmos_ff.json")),
                                      table_bits),
           "depth": {"levels": stats.parse_ltp(run.read("ltp.txt"))}}
    if run.read("osu018_all.json") is not None:
        out["osu018"] = stats.liberty_metrics(stats.parse_stat_json(run.read("osu018_all.json")),
                                              stats.parse_stat_json(run.read("osu018_ff.json")),
                                              table_bits)
    return out


def _lower_bound(run):
    stat = stats.parse_stat_json(run.read("lower_bound.json"))
    return {"lower_bound": {"transistors": stat.transistors, "gates": stat.num_cells}}


def _ice40(run):
    return {"ice40": stats.ice40_metrics(stats.parse_stat_json(run.read("ice40.json")))}


def _xilinx(target):
    def parse(run):
        return {target: stats.xilinx_metrics(stats.parse_stat_json(run.read("xilinx.json")))}
    return parse


@dataclasses.dataclass(frozen=True)
class Flow:
    name: str
    scripts: tuple
    parse: object

    def script_text(self):
        return yosys.script(__package__, *self.scripts)


def _gates_scripts():
    scripts = ("read", "gates", "cmos", "depth")
    return scripts + ("osu018",) if OSU018_LIBERTY is not None else scripts


FLOWS = {f.name: f for f in [
    Flow("gates", _gates_scripts(), _gates),
    Flow("lower_bound", ("read", "gates", "lower_bound"), _lower_bound),
    Flow("ice40", ("read", "lutmap", "ice40"), _ice40),
    Flow("xilinx", ("read", "lutmap", "xilinx"), _xilinx("xilinx")),
    Flow("xilinx_nodsp", ("read", "lutmap", "xilinx_nodsp"), _xilinx("xilinx_nodsp")),
]}


def run_flow(flow, verilog, workdir, cache=None, timeout=None):
    """Synthesize ``verilog`` (bytes) with ``flow``; returns ``{"targets": {...}, "seconds": s,
    "cached": bool}``, from ``cache`` when it holds this exact Verilog, script and Yosys."""
    text = flow.script_text()
    inputs = {"design.v": verilog}
    if "osu018" in flow.scripts:
        inputs["osu018_stdcells.lib"] = OSU018_LIBERTY.read_bytes()
    key = cache_key(*inputs.values(), text, yosys.YOSYS_VERSION)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return dict(hit, cached=True)
    start = time.monotonic()
    run = yosys.run(workdir, text, inputs, timeout=timeout)
    result = {"targets": flow.parse(run), "seconds": round(time.monotonic() - start, 2)}
    if cache is not None:
        cache.put(key, result)
    return dict(result, cached=False)
