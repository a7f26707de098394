"""Exhaustive stored-bit faults in the generated MAC's table storage, in Amaranth's simulator.

``NvlutMac`` with ``fault_port`` (the ``fault`` port XORs a mask into a stored code word, check
bits included) is loaded through ``cfg`` and then, for every fault pattern of a design (every
single stored bit; every pair of SECDED-protected bits), run through a set of dot products that
covers every table word (``nvlut.verif.amaranth_stream.stream``). Faults in different words are
independent, so one pass flips the pattern in half of the words at once (even addresses, then odd
addresses) and every dot product reads a single word on all its lanes and blocks, which attributes
its ECC flags to that word. Each pass is
compared bit for bit (``y`` and all six flags) with ``nvlut.golden.faults.dot_with_table`` for the
same fault map, and the ECC contract is asserted on its own:

- a single flip of a protected bit (entry or check bit) is corrected: ``y`` and the IEEE flags equal
  ``nvlut.golden.dot_flags`` of the fault-free table and ``ecc_corrected`` is set exactly for the
  dot products that read a faulty word;
- two flips among the protected bits of a word set ``ecc_uncorrectable`` exactly for the dot
  products that read it, never ``ecc_corrected``;
- a flip of an unprotected bit (``ecc=none``, the raw low bits of ``msb<k>``) raises no flag and
  changes results exactly as the golden fault model predicts.
"""

import itertools
import os

import numpy as np
import pytest

from nvlut import golden
from nvlut.spec.params import MacParams
from nvlut.golden import faults
from nvlut.spec.storage import storage_layout
from nvlut.verif.amaranth_stream import stream

OUTPUT_FLAGS = (*golden.FLAGS, "ecc_corrected", "ecc_uncorrectable")
#: set to run every double fault of the full-product table too
EXHAUSTIVE_ENV = "NVLUT_ECC_EXHAUSTIVE"


def fault_design(multiplier, ecc, pipeline=1):
    """A small NVFP4 MAC (B = 4, two blocks) with its table in RAM under ``ecc``, fault port."""
    return MacParams(multiplier=multiplier, lut_storage="ram", ecc=ecc, block=4, max_blocks=2,
                     pipeline=pipeline, fault_port=True)


def word_operands(params, blocks, per_word, mixed, rng):
    """Dot products of ``blocks`` blocks: ``per_word`` *pure* ones for each table word, in which
    every element reads that word, then ``mixed`` ones in which one element (random block and
    lane) reads a word and all others read words of the other address parity. Returns
    ``(operands, word, pure)``: ``word[k]`` the word dot product ``k`` is about, ``pure[k]``
    whether it is pure. Words come in the order 0, 1, 2, ... so that neighbours differ in parity.
    Elements draw any (a, w) code pair of their word; scales and ``t`` are moderate, of both
    signs."""
    table = faults.lut_table(params.multiplier, params.weights)
    a_all, w_all = (x.ravel() for x in np.meshgrid(np.arange(16), np.arange(16), indexing="ij"))
    address = faults.table_address(table, a_all, w_all)
    word = np.concatenate([np.tile(np.arange(table.depth), per_word),
                           np.arange(mixed) % table.depth])
    pure = np.arange(len(word)) < len(word) - mixed
    shape = (len(word), blocks, params.block)
    element_word = np.repeat(word, blocks * params.block).reshape(shape)
    for k in np.flatnonzero(~pure):
        others = np.arange(1 - word[k] % 2, table.depth, 2)
        element_word[k] = rng.choice(others, size=shape[1:])
        element_word[k][rng.integers(blocks), rng.integers(params.block)] = word[k]
    pick = np.array([rng.choice(np.flatnonzero(address == x)) for x in element_word.ravel()])
    a, w = (x[pick].reshape(shape).astype(np.uint8) for x in (a_all, w_all))
    sa, sw = ((rng.integers(0x28, 0x48, shape[:2]) | rng.choice([0, 0x80], shape[:2]))
              .astype(np.uint8) for _ in range(2))
    t = golden.encode_binary32(rng.choice([1.0, -0.75, 2.0**-20, 3.0 * 2**30], len(word))
                               .astype(np.float32))
    assert (faults.table_address(table, a, w) == element_word).all()
    return (a, w, sa, sw, t), word, pure


def fault_passes(depth, layout, single=True, pair_stride=1):
    """Fault maps that together apply every pattern to every word, with each word's pattern kind.

    ``single``: per stored bit, two maps flipping it in the even words (odd words clean), then in
    the odd words. Pairs of protected bits (entry or check): every ``pair_stride``-th pair (0:
    none), ``P`` pairs in all; one map per pair ``k``, with pair ``k`` in the even words and pair
    ``k + P/2`` (mod ``P``) in the odd words. Returns ``[(fault_map, kind)]`` with ``kind[x]``
    one of clean, single, raw, double."""
    raw_bits = layout.width - layout.protected
    kind_of = {0: "clean"}
    kind_of.update({1 << b: "raw" if b < raw_bits else "single" for b in range(layout.stored_bits)})
    even = np.arange(depth) % 2 == 0
    masks = []
    if single:
        masks += [(m, 0) for m in kind_of if m] + [(0, m) for m in kind_of if m]
    if pair_stride:
        pairs = [1 << p | 1 << q for p, q in itertools.combinations(
            range(raw_bits, layout.stored_bits), 2)][::pair_stride]
        kind_of.update({m: "double" for m in pairs})
        masks += [(m, pairs[(k + len(pairs) // 2) % len(pairs)]) for k, m in enumerate(pairs)]
    passes = []
    for even_mask, odd_mask in masks:
        fault_map = np.where(even, np.uint64(even_mask), np.uint64(odd_mask))
        passes.append((fault_map, np.array([kind_of[int(m)] for m in fault_map])))
    return passes


def check_fault_patterns(params, single=True, pair_stride=1, blocks=2, per_word=2, mixed=16,
                         seed=0):
    """Run the :func:`fault_passes` of ``params``' storage, framed by fault-free passes, through
    :func:`nvlut.verif.amaranth_stream.stream` on the :func:`word_operands` and check them:
    every dot product against the golden fault model, the pure ones also against the ECC contract
    (module docstring).
    Returns the number of faulty passes."""
    table = faults.lut_table(params.multiplier, params.weights)
    layout = storage_layout(table.width, params.ecc)
    clean = (np.zeros(table.depth, np.uint64), np.full(table.depth, "clean"))
    passes = [clean, *fault_passes(table.depth, layout, single, pair_stride), clean]
    operands, word, pure = word_operands(params, blocks, per_word, mixed,
                                         np.random.default_rng(seed))
    got = [(r.y, r.flags) for r in stream(params, operands, [fault_map for fault_map, _ in passes])]
    ref_y, ref_flags = golden.dot_flags(*operands, params.weights)
    for number, ((fault_map, kinds), (y, flags)) in enumerate(zip(passes, got)):
        where = f"{params.name}, pass {number} (masks {sorted(set(fault_map.tolist()))})"
        want_y, want_flags = faults.dot_with_table(params, faults.faulty_table(params, fault_map),
                                                   *operands)
        np.testing.assert_array_equal(y, want_y, err_msg=where)
        for name in OUTPUT_FLAGS:
            np.testing.assert_array_equal(flags[name], want_flags[name], err_msg=f"{where}: {name}")
        kind = kinds[word[pure]]
        y, ref = y[pure], ref_y[pure]
        flags = {name: value[pure] for name, value in flags.items()}
        exact = (kind == "clean") | (kind == "single")
        np.testing.assert_array_equal(y[exact], ref[exact], err_msg=where)
        for name in golden.FLAGS:
            np.testing.assert_array_equal(flags[name][exact], ref_flags[name][pure][exact],
                                          err_msg=where)
        np.testing.assert_array_equal(flags["ecc_corrected"], kind == "single", err_msg=where)
        np.testing.assert_array_equal(flags["ecc_uncorrectable"], kind == "double", err_msg=where)
        if (kind == "raw").any():
            assert (y != ref)[kind == "raw"].any(), f"{where}: raw faults changed no result"
    return len(passes) - 2


@pytest.mark.parametrize("ecc,pipeline", [("secded", 3), ("msb2", 1), ("msb1", 0)])
def test_lut_fp4_single_and_double_faults(ecc, pipeline):
    """Mantissa-product table, fp4: 16 words of 4 bits (+4 check bits for secded and msb2, +3 for
    msb1); every single stored bit and every pair of protected bits in every word."""
    params = fault_design("lut", ecc, pipeline)
    layout = storage_layout(4, ecc)
    protected_positions = layout.stored_bits - (layout.width - layout.protected)
    pairs = protected_positions * (protected_positions - 1) // 2
    assert check_fault_patterns(params) == 2 * layout.stored_bits + pairs


def test_lut_fp4_unprotected_faults():
    """``ecc=none``: every stored bit is raw."""
    check_fault_patterns(fault_design("lut", "none"), pair_stride=0)


@pytest.mark.parametrize("ecc,pair_stride", [("secded", 7), ("msb4", 3)])
def test_fulllut_fp4_faults(ecc, pair_stride):
    """Full-product table, fp4: 256 words of 9 bits (+5 check bits for secded, +4 for msb4);
    every single stored bit in every word, and every ``pair_stride``-th pair of protected bits
    (every pair: :func:`test_fulllut_fp4_all_double_faults`)."""
    check_fault_patterns(fault_design("fulllut", ecc), pair_stride=pair_stride, blocks=1,
                         per_word=1, mixed=32)


@pytest.mark.skipif(not os.environ.get(EXHAUSTIVE_ENV),
                    reason=f"about a minute; set {EXHAUSTIVE_ENV}=1 to run")
@pytest.mark.parametrize("ecc", ["secded", "msb4"])
def test_fulllut_fp4_all_double_faults(ecc):
    """Every pair of protected bits in every word of the fp4 full-product table."""
    check_fault_patterns(fault_design("fulllut", ecc), single=False, blocks=1, per_word=1,
                         mixed=32)
