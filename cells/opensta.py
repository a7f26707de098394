"""Run Debian's OpenSTA 2.0.17 (``sta``) on a gate-level netlist of OSU018 cells.

:func:`run` writes the netlist and a Tcl script into a work directory, runs ``sta`` there and returns
its output. The script always starts by reading the OSU018 Liberty, reading the netlist and linking
its top module; the caller appends the analysis commands (``create_clock``, ``report_checks``,
``set_power_activity -global``, ``report_power``, ...). The 2019 OpenSTA has no VCD or SAIF reader
and its ``set_power_activity -pins`` is broken; see docs/synthesis.md and docs/energy.md.
"""

import functools
import pathlib
import subprocess

from nvlut.util import toolchain


class StaError(RuntimeError):
    """OpenSTA failed, timed out or reported an error; the message ends with its output."""


@functools.cache
def version():
    """The OpenSTA version string (part of cache keys of results derived from it); asked of
    ``sta`` once per process, not once per timed design."""
    out = subprocess.run([str(toolchain.opensta()), "-version"], capture_output=True, text=True)
    return "opensta " + out.stdout.strip()


def run(netlist, commands, workdir, timeout=600):
    """Run ``commands`` (Tcl text) on ``netlist`` (a :class:`nvlut.cells.netlist.GateNetlist`) in
    ``workdir``; return OpenSTA's standard output. Raises :class:`StaError` when ``sta`` exits
    non-zero, exceeds ``timeout`` seconds or prints ``Error:`` (the 2019 OpenSTA reports many errors,
    such as a netlist syntax error, on its output and carries on)."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "netlist.v").write_text(netlist.verilog)
    script = (f"read_liberty {toolchain.osu018_liberty()}\n"
              "read_verilog netlist.v\n"
              f"link_design {netlist.top}\n" + commands)
    (workdir / "sta.tcl").write_text(script)
    cmd = [str(toolchain.opensta()), "-no_init", "-no_splash", "-exit", "sta.tcl"]
    try:
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise StaError(f"opensta in {workdir}: no result within {timeout} s") from None
    output = proc.stdout + proc.stderr
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    if proc.returncode != 0 or errors:
        tail = "\n".join((errors or output.splitlines())[-20:])
        raise StaError(f"opensta in {workdir} failed (status {proc.returncode}):\n{tail}")
    return proc.stdout


def uniform_power(netlist, period_ns, activity, workdir, duty=0.5):
    """OpenSTA's ``report_power`` of ``netlist`` under uniform activity: every pin toggles
    ``activity`` times per clock period (``set_power_activity -global``), the clock net twice, the
    clock ``clk`` of period ``period_ns``; every other input port is timed against it (without
    ``set_input_delay``, OpenSTA 2.0.17 finds no clock for cells fed only by input ports and gives
    them the default input activity instead of the global one). Returns instance ->
    ``(internal, switching, leakage)`` in watts, and ``'total'`` -> the design's totals."""
    commands = (f"create_clock -name clk -period {period_ns} [get_ports clk]\n"
                "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]\n"
                f"set_power_activity -global -activity {activity} -duty {duty}\n"
                "report_power -digits 10\n"
                "report_power -digits 10 -instances [get_cells *]\n")
    out = run(netlist, commands, workdir)
    result = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 6 and parts[0] == "Total":
            result["total"] = tuple(float(x) for x in parts[1:4])
        elif len(parts) == 5 and parts[4] in netlist.cells:
            result[parts[4]] = tuple(float(x) for x in parts[:3])
    return result
