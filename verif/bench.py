"""Throughput of the simulation flow (a benchmark, not a test): ``python -m nvlut.verif.bench``.

Prints, per simulator: exhaustive element-product checks per second (fp16 weights: all 2^20 pairs,
B checks per block, through :func:`nvlut.verif.sim.run_batch`), MAC blocks per second (adversarial dot
products on the reference design), and the same blocks through a naive cocotb loop
(:mod:`nvlut.verif.cocotb_naive`: two ``await`` per cycle). Times are wall-clock seconds of the
simulator run including its start-up, stimulus and output files, after a warm-up that builds
everything; the golden comparison is timed separately.
"""

import argparse
import os
import pathlib
import tempfile
import time

import numpy as np

from nvlut.gen.design_set import DEFAULT_DESIGNS
from nvlut.spec.params import MacParams

from . import harness, runner, stimulus, vectors
from .design import build_root, design_for
from .sim import run_batch, stimulus_words

SIZES = {  # (element pairs, MAC dot products, naive dot products) per simulator
    "verilator": (None, 100_000, 5_000),
    "icarus": (300, 1_000, 300),
}


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def _naive(design, batch, sim):
    """Run ``batch`` through the naive cocotb loop: (seconds, outputs agree with the harness)."""
    bdir = runner.build(design, sim, bare=True)
    words = stimulus_words(design.ports, batch, np.zeros(batch.beats, np.uint16))
    payload_mask = (1 << design.ports.i_width) - 1
    lines = [f"{sum(int(x) << (64 * k) for k, x in enumerate(row)) & payload_mask:x}\n"
             for row in words]
    with tempfile.TemporaryDirectory(dir=build_root() / "sim") as tmp:
        tmp = pathlib.Path(tmp).resolve()
        (tmp / "in.txt").write_text("".join(lines))
        env = {"NVLUT_NAIVE_IN": str(tmp / "in.txt"), "NVLUT_NAIVE_OUT": str(tmp / "out.txt"),
               "NVLUT_NAIVE_LAST_BIT": str(design.ports.i_fields["last"].offset)}
        r = runner._runner(sim, public=True)
        _, seconds = _timed(r.test, test_module="nvlut.verif.cocotb_naive",
                            hdl_toplevel=design.ports.module, hdl_toplevel_lang="verilog",
                            build_dir=bdir, test_dir=tmp, extra_env=env,
                            log_file=tmp / "sim.log", results_xml=str(tmp / "results.xml"))
        out = [int(x, 16) for x in (tmp / "out.txt").read_text().split()]
    y = np.array([x & 0xFFFFFFFF for x in out], dtype=np.uint32)
    return seconds, np.array_equal(y, vectors.reference(design.params, batch)[0])


def bench(sim, scale=1.0):
    """Measure ``sim``; returns a list of (what, count, seconds, note) rows."""
    pairs_n, mac_n, naive_n = SIZES[sim]
    rows = []
    elem_params = MacParams(weights="fp16", weight_scaling="tensor")
    elem_design = design_for(elem_params)
    pairs, checks = stimulus.element_pairs(elem_params)
    if pairs_n:
        keep = int(pairs_n * scale)
        checks, pairs = checks * keep // pairs.n, vectors.select(pairs, slice(0, keep))
    run_batch(elem_design, vectors.select(pairs, slice(0, 10)), sim)          # warm-up, build
    out, seconds = _timed(run_batch, elem_design, pairs, sim)
    bad = vectors.mismatches(vectors.reference(elem_params, pairs), out.y, out.flags).sum()
    rows.append(("element-product checks", checks, seconds,
                 f"{elem_params.name}, {pairs.beats} blocks, {bad} mismatches"))

    params = DEFAULT_DESIGNS[0]
    design = design_for(params)
    rng = np.random.default_rng(1)
    batch = vectors.concat(stimulus.adversarial(params, int(mac_n * scale), rng)[:-1])
    run_batch(design, vectors.select(batch, slice(0, 10)), sim)
    out, seconds = _timed(run_batch, design, batch, sim)
    expected, ref_seconds = _timed(vectors.reference, params, batch)
    bad = vectors.mismatches(expected, out.y, out.flags).sum()
    rows.append(("MAC blocks (stream harness)", batch.beats, seconds,
                 f"{batch.n} dot products, {bad} mismatches; golden {ref_seconds:.1f} s"))

    small = vectors.select(batch, slice(0, int(naive_n * scale)))
    _naive(design, vectors.select(small, slice(0, 5)), sim)
    seconds, agree = _naive(design, small, sim)
    rows.append(("MAC blocks (naive cocotb loop)", small.beats, seconds,
                 f"{small.n} dot products, {'agrees' if agree else 'DISAGREES'} with golden"))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m nvlut.verif.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sim", action="append", choices=runner.SIMULATORS,
                        help="simulator(s) to measure (default both)")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the batch sizes")
    args = parser.parse_args(argv)
    print(f"{'simulator':<10} {'measure':<32} {'count':>9} {'seconds':>8} {'per second':>11}  notes")
    for sim in args.sim or ["verilator", "icarus"]:
        for what, count, seconds, note in bench(sim, args.scale):
            print(f"{sim:<10} {what:<32} {count:>9} {seconds:>8.2f} {count / seconds:>11.0f}  "
                  f"{note}", flush=True)
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; a stimulus record is "
          f"{harness.GAP_BITS} gap bits + the payload, in whole bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
