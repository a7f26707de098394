"""Simulate a generated MAC on a batch of dot products (Icarus or Verilator, through cocotb).

    nvlut sim <design params> --vectors in.npz --out out.npz [--sim icarus|verilator]
              [--backpressure none|runs|random|gaps|both] [--waves FILE] [--faults FILE]
              [--level rtl|gate]

``in.npz`` holds ``a`` (uint8[n, nb, B] E2M1 codes), ``w`` (uint8 or, for fp16, uint16 [n, nb, B]),
``sa`` (uint8[n, nb]), ``sw`` (uint8[n, nb], only with weight_scaling=block), ``t`` (uint32[n]
binary32 bits), exactly as ``nvlut.golden.dot`` takes them, and optionally ``nb`` (int[n]): dot
product k uses its first nb[k] blocks and ignores the rest. ``out.npz`` gets ``y`` (uint32[n]) and
one bool[n] array per output flag (invalid, overflow, underflow, inexact, ecc_corrected,
ecc_uncorrectable). One input beat carries one block; ``last`` marks the final block of each dot
product and ``t`` is driven on that beat (other beats carry a different value, which the design
must ignore). ``--faults`` (designs with ``--fault-port``): one ``<addr> <mask>`` hex line per
faulty table word, XORed into the stored words through the fault port before streaming.
``--level gate`` simulates the design's OSU 0.18 um gate-level netlist on the library's cell models
instead of the RTL (:mod:`nvlut.verif.gate`), with the same harness, vectors and outputs, on
either simulator (Verilator 5.48 runs the cell models' UDPs; measured on the fp4 B=4 MAC, 2000 dot
products: Icarus 62 s per run, Verilator 6.4 s per run after a one-off 5-minute build).
"""

import contextlib
import dataclasses
import io
import pathlib
import shutil
import tempfile

import numpy as np

from . import backpressure as bp
from . import gate, harness, runner, vectors
from .design import build_root, design_for, with_faults


def stimulus_words(ports, batch, gaps):
    """The stimulus of ``batch`` as uint64 words [beats, k]: per used block, in order, one beat
    ``{gaps[beat], payload}`` (the layout of a :mod:`~nvlut.verif.harness` stimulus record)."""
    n, nb = batch.n, batch.nb
    rows = np.repeat(np.arange(n), nb)
    starts = np.concatenate([[0], np.cumsum(nb)[:-1]]) if n else np.zeros(0, np.int64)
    cols = np.arange(rows.size) - np.repeat(starts, nb)
    last = cols == nb[rows] - 1
    t = batch.t[rows]
    fields = []
    f = ports.i_fields
    lane_bits = {"a": 4, "w": f["w"].width // batch.a.shape[2]}
    for name in ("a", "w"):
        codes = getattr(batch, name)[rows, cols]
        for i in range(codes.shape[1]):
            fields.append((f[name].offset + lane_bits[name] * i, lane_bits[name], codes[:, i]))
    fields.append((f["sa"].offset, 8, batch.sa[rows, cols]))
    if "sw" in f:
        fields.append((f["sw"].offset, 8, batch.sw[rows, cols]))
    fields.append((f["t"].offset, 32, np.where(last, t, ~t)))
    fields.append((f["last"].offset, 1, last))
    fields.append((ports.i_width, harness.GAP_BITS, gaps))
    return harness.pack_fields(rows.size, ports.i_width + harness.GAP_BITS, fields)


@dataclasses.dataclass
class Outcome:
    """Result of one simulated batch.

    ``y``/``flags`` hold one entry per expected output (missing outputs are absent, so ``y`` may be
    shorter than the batch); ``latency`` is, per output, the cycles from accepting its ``last`` beat
    to its acceptance; ``problems`` lists protocol violations, missing or extra outputs, timeouts.
    """

    y: np.ndarray
    flags: dict
    latency: np.ndarray
    cycles: int
    problems: list


def run_batch(design, batch, sim="verilator", backpressure="none", seed=0, workdir=None,
              waves=None, activity=None):
    """Stream ``batch`` (a :class:`~nvlut.verif.vectors.Batch`, or a list of them streamed one
    after the other, so that batches of very different block counts need no padding) through
    ``design`` in one simulator run: an :class:`Outcome` (outputs of all batches, in order).
    ``activity``: file name (in ``workdir``) of a VCD of the design's nets during the stream, for
    :mod:`nvlut.energy` (Icarus only)."""
    runner.check_sim(sim)
    batches = [batch] if isinstance(batch, vectors.Batch) else list(batch)
    beats = sum(b.beats for b in batches)
    n = sum(b.n for b in batches)
    ready, gaps = bp.pattern(backpressure, beats, seed)
    offsets = np.cumsum([0] + [b.beats for b in batches])
    nbytes = harness.record_bytes(design.ports)
    stim = b"".join(harness.binary_records(stimulus_words(design.ports, b, gaps[lo:hi]), nbytes)
                    for b, lo, hi in zip(batches, offsets[:-1], offsets[1:]))
    with _run_dir(workdir) as wd:
        raw = runner.run(design, sim, wd, stim, beats, n, ready, waves, activity)
    problems = []
    if raw.timeout:
        problems.append(f"timeout: no handshake for {harness.TIMEOUT} cycles")
    if raw.outputs < n:
        problems.append(f"missing outputs: {raw.outputs} of {n}")
    if raw.extra_outputs:
        problems.append(f"extra outputs: {raw.extra_outputs}")
    if raw.protocol_errors:
        problems.append(f"o stream rule violated {raw.protocol_errors} times (valid dropped or "
                        f"payload changed while ready was low)")
    of = design.ports.o_fields
    y = harness.field_values(raw.out_words, of["y"]).astype(np.uint32)
    flags = {k: harness.field_values(raw.out_words, v).astype(bool)
             for k, v in of.items() if k != "y"}
    m = min(len(raw.out_cycles), len(raw.last_cycles))
    latency = raw.out_cycles[:m].astype(np.int64) - raw.last_cycles[:m].astype(np.int64)
    return Outcome(y, flags, latency, raw.cycles, problems)


@contextlib.contextmanager
def _run_dir(workdir):
    """``workdir`` itself, or a temporary directory under ``<build>/sim`` removed afterwards."""
    if workdir is not None:
        yield pathlib.Path(workdir)
        return
    root = build_root() / "sim"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="run-", dir=root) as tmp:
        yield pathlib.Path(tmp)


def simulate(params, a, w, sa, sw, t, nb=None, sim="verilator", backpressure="none", seed=0,
             design=None, faults=None):
    """Simulate ``NvlutMac(params)`` on a batch of dot products: ``(y uint32[n], flags)``.

    Arguments as for :func:`nvlut.golden.dot` plus ``nb`` (optional int[n] block counts, see the
    module docstring), the simulator, a back-pressure mode of :mod:`nvlut.verif.backpressure` and
    its seed. ``flags`` maps each output flag name to bool[n]. ``design`` overrides the design
    (default :func:`nvlut.verif.design.design_for(params)`). ``faults``: a fault map
    (``uint64[depth]``, per stored table word the mask of its flipped bits, as in
    ``nvlut.golden.faults``) applied through the fault port before streaming (``params.fault_port``
    must be set); the results then follow ``nvlut.golden.faults.dot_with_table``. Raises
    :class:`SimulationError` if the design breaks the stream protocol or loses outputs.
    """
    batch = vectors.make_batch(params, a, w, sa, sw, t, nb)
    design = design if design is not None else design_for(params)
    if faults is not None:
        design = with_faults(design, faults)
    out = run_batch(design, batch, sim, backpressure, seed)
    if out.problems:
        raise runner.SimulationError(f"{design.tag} on {sim}: " + "; ".join(out.problems))
    return out.y, out.flags


def add_arguments(parser):
    from nvlut.gen.params import add_design_arguments, add_seed_argument
    add_design_arguments(parser)
    parser.add_argument("--vectors", required=True, type=pathlib.Path, help="input .npz")
    parser.add_argument("--out", required=True, type=pathlib.Path, help="output .npz")
    parser.add_argument("--sim", default="verilator", help="icarus|verilator (default verilator)")
    parser.add_argument("--backpressure", default="none", help="|".join(bp.MODES))
    add_seed_argument(parser, "seed of the back-pressure pattern")
    parser.add_argument("--waves", default=None,
                        help="also write a waveform (FST on Icarus, VCD on Verilator) to this file")
    parser.add_argument("--level", default="rtl",
                        help="rtl (default) or gate: the OSU018 gate-level netlist on the cell "
                             "models")
    parser.add_argument("--faults", default=None, type=pathlib.Path,
                        help="apply the '<addr> <mask>' hex lines of this file through the fault "
                             "port (needs --fault-port)")
    parser.add_argument("--force", action="store_true",
                        help="replace a read-only --out file (its mode is kept)")


def _read_input(path, option):
    """Check that the input file ``path`` of ``option`` exists and is a readable regular file."""
    from nvlut.util.errors import CliError
    if not path.exists():
        raise CliError(f"{option}: {path} does not exist")
    if not path.is_file():
        raise CliError(f"{option}: {path} is not a regular file (a directory?); name a file")
    if path.stat().st_size == 0:
        raise CliError(f"{option}: {path} is empty")


def load_vectors(params, path, option="--vectors"):
    """The :class:`~nvlut.verif.vectors.Batch` of the ``.npz`` file ``path``; :class:`CliError`
    naming ``option`` when it is missing, empty, a directory or not an ``.npz`` archive."""
    import zipfile

    from nvlut.util.errors import CliError
    _read_input(path, option)
    if not zipfile.is_zipfile(path):
        kind = "a .npy array file" if path.read_bytes()[:6] == b"\x93NUMPY" else "not an .npz file"
        raise CliError(f"{option}: {path} is {kind}; expected an .npz archive holding the arrays "
                       f"a, w, sa, t (and sw, nb), e.g. written by numpy.savez")
    try:
        return vectors.load_npz(params, path)
    except ValueError as exc:
        raise CliError(f"{option}: {exc}") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise CliError(f"{option}: {path} cannot be read as an .npz archive: {exc}") from None


def run(args):
    from nvlut.util.errors import CliError
    from nvlut.util.files import check_output, write_if_changed
    from nvlut.gen.params import params_from_args

    params = params_from_args(args)
    runner.check_sim(args.sim)
    bp.check_mode(args.backpressure)
    gate.check_level(args.level)
    if args.faults is not None and not params.fault_port:
        raise CliError(f"--faults: needs a design with a fault port; add --lut-storage ram "
                       f"--fault-port (this design: lut_storage {params.lut_storage}, no fault "
                       f"port)")
    check_output(args.out, "--out", args.force)
    if args.waves:
        check_output(args.waves, "--waves", args.force)
    batch = load_vectors(params, args.vectors)
    fault_text = None
    if args.faults is not None:
        _read_input(args.faults, "--faults")
        fault_text = args.faults.read_text()
    design = design_for(params)
    if args.level == "gate":
        design = gate.gate_design(design)
    if fault_text is not None:
        try:
            fault_map = harness.parse_fault_map(fault_text, len(design.cfg_words),
                                                f"--faults ({args.faults})")
        except ValueError as exc:
            raise CliError(str(exc)) from None
        design = with_faults(design, fault_map)
    waves = None
    workdir = None
    if args.waves:
        waves_path = pathlib.Path(args.waves).resolve()
        workdir = waves_path.parent / f".{waves_path.name}.run"
        waves = waves_path.name
    out = run_batch(design, batch, args.sim, args.backpressure, args.seed, workdir, waves)
    if waves is not None:
        (workdir / waves).replace(waves_path)
        shutil.rmtree(workdir)
    buf = io.BytesIO()
    np.savez(buf, y=out.y, **out.flags)
    write_if_changed(args.out, buf.getvalue(), args.force)
    for p in out.problems:
        print(f"nvlut sim: {p}")
    print(f"nvlut sim: {design.tag} on {args.sim}: {len(out.y)} of {batch.n} dot products, "
          f"{out.cycles} cycles -> {args.out}")
    return 1 if out.problems else 0
