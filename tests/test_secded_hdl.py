"""The Amaranth SECDED encoder/decoder (nvlut.hdl.secded) against the golden codec.

Exhaustive for small k (every data word, every error pattern of weight 0, 1 and 2), random words
and error patterns of weight 0..3 for the widths where r changes and the widest k, all in the
Amaranth simulator.
"""

import itertools

import numpy as np
import pytest
from amaranth.sim import Simulator

from nvlut.golden import secded
from nvlut.spec.secded import secded_code
from nvlut.hdl.secded import SecdedDecoder, SecdedEncoder

EXHAUSTIVE_KS = range(1, 11)
RANDOM_KS = [11, 12, 26, 27, 32, 57, 58, 64]
RANDOM_WORDS = 1500


def simulate(component, inputs, input_port, output_ports):
    """Drive ``input_port`` with each value of ``inputs``; the values of ``output_ports`` per input."""
    results = []

    async def testbench(ctx):
        port = getattr(component, input_port)
        outs = [getattr(component, name) for name in output_ports]
        for value in inputs:
            ctx.set(port, value)
            results.append(tuple(ctx.get(o) for o in outs))

    sim = Simulator(component)
    sim.add_testbench(testbench)
    sim.run()
    return np.array(results, dtype=object).reshape(len(inputs), len(output_ports))


def received_words(code, data, errors):
    """Every stored code word of ``data`` with every error pattern of ``errors`` (integer masks
    over the n code word bits), as Python ints."""
    check = secded.encode(code, np.array(data, dtype=np.uint64))
    words = [int(d) | int(c) << code.k for d, c in zip(data, check)]
    return [w ^ e for w in words for e in errors]


def check_decoder(k, words):
    code = secded_code(k)
    rtl = simulate(SecdedDecoder(k), words, "code", ["data", "corrected", "uncorrectable"])
    mask = (1 << k) - 1
    data = np.array([w & mask for w in words], dtype=np.uint64)
    check = np.array([w >> k for w in words], dtype=np.uint64)
    out, corrected, uncorrectable = secded.decode(code, data, check)
    np.testing.assert_array_equal(rtl[:, 0].astype(np.uint64), out)
    np.testing.assert_array_equal(rtl[:, 1].astype(bool), corrected)
    np.testing.assert_array_equal(rtl[:, 2].astype(bool), uncorrectable)
    return corrected, uncorrectable


def check_encoder(k, data):
    code = secded_code(k)
    rtl = simulate(SecdedEncoder(k), data, "data", ["code"])[:, 0]
    check = secded.encode(code, np.array(data, dtype=np.uint64))
    assert [int(w) for w in rtl] == [int(d) | int(c) << k for d, c in zip(data, check)]


def error_masks(n, weights):
    return [sum(1 << p for p in positions)
            for w in weights for positions in itertools.combinations(range(n), w)]


@pytest.mark.parametrize("k", EXHAUSTIVE_KS)
def test_encoder_exhaustive(k):
    check_encoder(k, list(range(1 << k)))


@pytest.mark.parametrize("k", EXHAUSTIVE_KS)
def test_decoder_exhaustive(k):
    code = secded_code(k)
    errors = error_masks(code.n, (0, 1, 2))
    corrected, uncorrectable = check_decoder(k, received_words(code, range(1 << k), errors))
    # the exhaustive set really exercised all three outcomes
    assert corrected.any() and uncorrectable.any() and not (corrected | uncorrectable).all()


@pytest.mark.parametrize("k", RANDOM_KS)
def test_random(k):
    code = secded_code(k)
    rng = np.random.default_rng(k)
    data = [int(x) for x in rng.integers(0, 1 << min(k, 63), size=RANDOM_WORDS, dtype=np.uint64)]
    data = [d | int(rng.integers(0, 2)) << 63 if k == 64 else d for d in data]
    check_encoder(k, data)
    errors = [sum(1 << int(p) for p in rng.choice(code.n, size=w, replace=False))
              for w in rng.integers(0, 4, size=RANDOM_WORDS)]
    check = secded.encode(code, np.array(data, dtype=np.uint64))
    words = [(d | int(c) << k) ^ e for d, c, e in zip(data, check, errors)]
    check_decoder(k, words)
