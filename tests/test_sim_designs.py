"""Generated MACs on Verilator and Icarus, through ``nvlut.verif.sim.simulate`` (the path users run),
bit for bit against ``nvlut.golden.dot_flags``: directed special cases, adversarial random dot
products with mixed block counts, exhaustive element products, under every back-pressure mode.

Verilator runs a representative subset of the default design set plus pipeline variants (the full
set runs in ``make verify``); Icarus, being ~100x slower on these netlists, runs two designs on
smaller batches.
"""

import zlib

import numpy as np
import pytest

from nvlut.gen.design_set import DEFAULT_DESIGNS
from nvlut.spec.params import MacParams
from nvlut.verif import backpressure, stimulus, vectors
from nvlut.verif.design import design_for
from nvlut.verif.sim import run_batch, simulate

pytestmark = pytest.mark.sim

REFERENCE = DEFAULT_DESIGNS[0]
VERILATOR_DESIGNS = [
    REFERENCE,
    MacParams(weights="fp8", weight_scaling="tensor", multiplier="fulllut", pipeline=0),
    MacParams(weights="fp8", weight_scaling="tensor", multiplier="mul"),
    MacParams(weights="fp16", weight_scaling="tensor", multiplier="lut"),
    MacParams(weights="fp16", weight_scaling="tensor", multiplier="mul", pipeline=3),
    MacParams(block=8),
    MacParams(lut_storage="ram"),
]
ICARUS_DESIGNS = [REFERENCE, MacParams(lut_storage="ram", pipeline=2)]
CASES = [("verilator", p) for p in VERILATOR_DESIGNS] + [("icarus", p) for p in ICARUS_DESIGNS]
#: random dot products per design and simulator
RANDOM = {"verilator": 3000, "icarus": 150}


def check(params, batch, sim, mode, seed=0):
    y, flags = simulate(params, batch.a, batch.w, batch.sa, batch.sw, batch.t, nb=batch.nb,
                        sim=sim, backpressure=mode, seed=seed)
    bad = vectors.mismatches(vectors.reference(params, batch), y, flags)
    if bad.any():
        k = int(np.nonzero(bad)[0][0])
        y_ref, f_ref = vectors.reference(params, vectors.select(batch, [k]))
        pytest.fail(f"{params.name} on {sim} ({mode}): {bad.sum()} of {batch.n} mismatches; first "
                    f"#{k}: y {y[k]:#010x} expected {y_ref[0]:#010x}, flags "
                    f"{ {n: bool(v[k]) for n, v in flags.items()} } expected "
                    f"{ {n: bool(v[0]) for n, v in f_ref.items()} }")


def _ids(case):
    return f"{case[0]}-{case[1].name}"


@pytest.mark.parametrize("sim, params", CASES, ids=[_ids(c) for c in CASES])
def test_random_and_directed(sim, params):
    rng = np.random.default_rng(zlib.crc32(params.name.encode()))
    batch = vectors.concat([stimulus.directed(params),
                            *stimulus.adversarial(params, RANDOM[sim], rng)])
    check(params, batch, sim, "both", seed=1)


@pytest.mark.parametrize("sim, params", CASES, ids=[_ids(c) for c in CASES])
def test_element_products(sim, params):
    """All (a, w) code pairs, in every lane for fp4 / fp8; fp16's 2^20 pairs in B/8 lanes each here
    (every lane in ``make verify``)."""
    batch, _ = stimulus.element_pairs(params)
    check(params, batch, sim, "none")


@pytest.mark.parametrize("mode", backpressure.MODES)
def test_backpressure_modes(mode):
    rng = np.random.default_rng(11)
    batch = vectors.concat(stimulus.adversarial(REFERENCE, 2000, rng))
    check(REFERENCE, batch, "verilator", mode, seed=5)


@pytest.mark.parametrize("params", [REFERENCE, VERILATOR_DESIGNS[1], VERILATOR_DESIGNS[4]],
                         ids=lambda p: p.name)
def test_latency_and_full_throughput(params):
    """Without back-pressure every output comes ``latency`` cycles after its last beat, and a
    stream of N beats takes N cycles plus the pipeline (one block per cycle)."""
    batch = vectors.concat(stimulus.adversarial(params, 500, np.random.default_rng(3)))
    design = design_for(params)
    out = run_batch(design, batch, "verilator", "none")
    assert not out.problems
    assert design.latency == 1 + params.pipeline
    assert np.all(out.latency == design.latency)
    from nvlut.verif.harness import DRAIN
    assert out.cycles <= batch.beats + design.latency + DRAIN + 4


@pytest.mark.parametrize("ecc", ["secded", "msb2"])
@pytest.mark.parametrize("kind", stimulus.FAULT_MAPS)
def test_injected_faults_match_golden_fault_model(ecc, kind):
    """Faults applied through the fault port (Icarus: it builds in a second): ``y`` and all six
    flags equal ``nvlut.golden.faults.dot_with_table`` for the same fault map."""
    params = MacParams(lut_storage="ram", ecc=ecc, fault_port=True)
    rng = np.random.default_rng(zlib.crc32(f"{ecc}{kind}".encode()))
    batch = vectors.concat(stimulus.adversarial(params, 60, rng, kinds=("typical", "anycode")))
    fault_map = stimulus.fault_map(params, kind, rng)
    y, flags = simulate(params, batch.a, batch.w, batch.sa, batch.sw, batch.t, nb=batch.nb,
                        sim="icarus", backpressure="both", faults=fault_map)
    expected = vectors.reference(params, batch, fault_map)
    assert not vectors.mismatches(expected, y, flags).any()
    assert flags["ecc_corrected"].any() and not flags["ecc_corrected"].all()
    assert flags["ecc_uncorrectable"].any() == (kind == "double")


def test_faults_need_a_fault_port():
    params = MacParams(lut_storage="ram", ecc="secded")
    batch = stimulus.directed(params)
    with pytest.raises(ValueError, match="faults: .* has no fault port"):
        simulate(params, batch.a, batch.w, batch.sa, batch.sw, batch.t, nb=batch.nb,
                 sim="icarus", faults=np.zeros(16, np.uint64))
    with pytest.raises(ValueError, match=r"faults: expected an integer fault map of shape \(16,\)"):
        simulate(params.replace(fault_port=True), batch.a, batch.w, batch.sa, batch.sw, batch.t,
                 nb=batch.nb, sim="icarus", faults=np.zeros(8, np.uint64))
