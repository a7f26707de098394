"""The golden fault model (nvlut.golden.faults) and the storage codec (nvlut.hdl.secded.SecdedCodec).

Cross-checks: the golden table against the hdl's ``lut_image``; the Amaranth storage codec against
the golden storage model with injected faults; the golden faulty element products against the RTL
element multiplier loaded with a corrupted table; ``dot_with_table`` without faults against
``nvlut.golden.dot_flags``.
"""

import numpy as np
import pytest
from amaranth.sim import Simulator

from nvlut import golden
from nvlut.spec.params import MacParams
from nvlut.golden import faults
from nvlut.spec.storage import storage_layout
from nvlut.hdl.secded import SecdedCodec

TABLE_DESIGNS = [("lut", "fp4"), ("lut", "fp8"), ("lut", "fp16"), ("fulllut", "fp4"),
                 ("fulllut", "fp8")]
WEIGHT_CODES = {"fp4": 16, "fp8": 256, "fp16": 65536}


def ram_params(multiplier, weights, ecc="none"):
    return MacParams(weights=weights, multiplier=multiplier, lut_storage="ram", ecc=ecc)


# ---- the table ----------------------------------------------------------------------------------

@pytest.mark.parametrize("multiplier,weights", TABLE_DESIGNS)
def test_table_matches_hdl_image(multiplier, weights):
    from nvlut.hdl.tables import lut_image
    from nvlut.spec.table_geometry import entry_width
    table = faults.lut_table(multiplier, weights)
    image = np.array(lut_image(ram_params(multiplier, weights)), dtype=np.uint64)
    np.testing.assert_array_equal(table.entries, image)
    assert table.width == entry_width(multiplier, weights)


@pytest.mark.parametrize("multiplier,weights", TABLE_DESIGNS)
def test_fault_free_products_are_exact(multiplier, weights):
    table = faults.lut_table(multiplier, weights)
    a, w = np.meshgrid(np.arange(16), np.arange(WEIGHT_CODES[weights]), indexing="ij")
    for got, want in zip(faults.faulty_products(table, table.entries, a, w),
                         golden.element_product(a, w, weights)):
        np.testing.assert_array_equal(got, want)


def test_table_bad_arguments():
    with pytest.raises(ValueError, match="multiplier:"):
        faults.lut_table("mul", "fp4")
    with pytest.raises(ValueError, match="weights:"):
        faults.lut_table("lut", "fp32")


# ---- the storage ---------------------------------------------------------------------------------

def test_layouts():
    assert storage_layout(9, "none").stored_bits == 9
    secded = storage_layout(9, "secded")
    assert (secded.protected, secded.check_bits, secded.stored_bits) == (9, 5, 14)
    msb = storage_layout(23, "msb4")
    assert (msb.protected, msb.check_bits, msb.stored_bits) == (4, 4, 27)
    assert msb.overhead == 4 / 23
    for ecc in ("msb10", "msb0", "parity", None):
        with pytest.raises(ValueError, match="ecc:"):
            storage_layout(9, ecc)


@pytest.mark.parametrize("width,ecc", [(4, "none"), (4, "secded"), (9, "secded"), (9, "msb3"),
                                       (13, "msb1"), (23, "msb8"), (23, "secded")])
def test_single_faults(width, ecc):
    """One flipped stored bit per word, in every position: protected bits and check bits are
    corrected (flag set), raw bits reach the output (no flag)."""
    layout = storage_layout(width, ecc)
    rng = np.random.default_rng(width)
    entries = rng.integers(0, 1 << width, size=layout.stored_bits, dtype=np.uint64)
    positions = np.arange(layout.stored_bits, dtype=np.uint64)
    got, corrected, uncorrectable = faults.faulty_read(layout, entries, np.uint64(1) << positions)
    raw = positions < width - layout.protected
    expected = np.where(raw, entries ^ (np.uint64(1) << positions), entries)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(corrected, ~raw)
    assert not uncorrectable.any()


@pytest.mark.parametrize("width,ecc", [(4, "secded"), (9, "msb3"), (23, "msb8")])
def test_double_faults_in_protected_part(width, ecc):
    layout = storage_layout(width, ecc)
    raw = width - layout.protected
    protected_positions = [p for p in range(layout.stored_bits) if p >= raw]
    pairs = [(p, q) for p in protected_positions for q in protected_positions if p < q]
    fault_map = np.array([1 << p | 1 << q for p, q in pairs], dtype=np.uint64)
    entries = np.random.default_rng(1).integers(0, 1 << width, size=len(pairs), dtype=np.uint64)
    got, corrected, uncorrectable = faults.faulty_read(layout, entries, fault_map)
    assert uncorrectable.all() and not corrected.any()
    # nothing is corrected: the entry bits come out as stored, flips included
    np.testing.assert_array_equal(got, (entries ^ fault_map) & np.uint64((1 << width) - 1))


def test_fault_maps():
    rng = np.random.default_rng(7)
    fault_map = faults.random_fault_map(rng, 4000, 27, 0.1)
    assert not np.any(fault_map >> np.uint64(27))
    flips = np.bitwise_count(fault_map).sum()
    assert abs(flips / (4000 * 27) - 0.1) < 0.01
    assert not faults.random_fault_map(rng, 10, 27, 0.0).any()
    assert (faults.random_fault_map(rng, 10, 27, 1.0) == (1 << 27) - 1).all()
    np.testing.assert_array_equal(faults.fault_map_from_bits(3, [(0, 1), (2, 5), (0, 1), (0, 2)]),
                                  np.array([4, 0, 32], dtype=np.uint64))
    with pytest.raises(ValueError, match="ber:"):
        faults.random_fault_map(rng, 10, 27, 1.5)
    with pytest.raises(ValueError, match="bits:"):
        faults.fault_map_from_bits(3, [(3, 0)])
    with pytest.raises(ValueError, match="fault_map:"):
        faults.faulty_read(storage_layout(4, "secded"), [1], [1 << 8])


# ---- the Amaranth storage codec against the golden storage model -------------------------------

@pytest.mark.parametrize("width,ecc", [(4, "secded"), (6, "msb2"), (9, "msb5"), (13, "secded"),
                                       (23, "msb8"), (23, "secded")])
def test_hdl_codec_matches_golden(width, ecc):
    codec = SecdedCodec(width, ecc)
    layout = codec.layout
    rng = np.random.default_rng(width * 100 + layout.protected)
    count = 600
    entries = rng.integers(0, 1 << width, size=count, dtype=np.uint64)
    fault_map = np.array([sum(1 << int(b) for b in rng.choice(layout.stored_bits, k, replace=False))
                          for k in rng.integers(0, 4, size=count)], dtype=np.uint64)
    want = faults.faulty_read(layout, entries, fault_map)
    encoder, decoder = codec.encoder(), codec.decoder()
    got = []

    async def testbench(ctx):
        for entry, flips in zip(entries, fault_map):
            ctx.set(encoder.data, int(entry))
            word = ctx.get(encoder.code)
            assert word == codec.encode(int(entry)) == int(faults.encode_table(layout, [entry])[0])
            ctx.set(decoder.code, word ^ int(flips))
            got.append((ctx.get(decoder.data), ctx.get(decoder.corrected),
                        ctx.get(decoder.uncorrectable)))

    from amaranth.hdl import Module
    m = Module()
    m.submodules.encoder, m.submodules.decoder = encoder, decoder
    sim = Simulator(m)
    sim.add_testbench(testbench)
    sim.run()
    got = np.array(got, dtype=np.uint64)
    np.testing.assert_array_equal(got[:, 0], want[0])
    np.testing.assert_array_equal(got[:, 1].astype(bool), want[1])
    np.testing.assert_array_equal(got[:, 2].astype(bool), want[2])


def test_codec_needs_protection():
    with pytest.raises(ValueError, match="ecc:"):
        SecdedCodec(9, "none")


# ---- faulty products against the RTL element multiplier ---------------------------------------

@pytest.mark.parametrize("multiplier,weights", TABLE_DESIGNS)
def test_faulty_products_match_rtl_multiplier(multiplier, weights):
    """Load the RTL element multiplier's writable table with corrupted entries (ecc none: what the
    storage delivers is what was written) and compare its products with the golden ones."""
    from nvlut.hdl.multiplier import ElementMultiplier
    params = ram_params(multiplier, weights)
    table = faults.lut_table(multiplier, weights)
    rng = np.random.default_rng(3)
    fault_map = faults.random_fault_map(rng, table.depth, table.width, 0.05)
    corrupted, _, _ = faults.faulty_read(storage_layout(table.width, "none"),
                                         table.entries, fault_map)
    if WEIGHT_CODES[weights] * 16 <= 4096:
        a, w = (x.ravel() for x in np.meshgrid(np.arange(16), np.arange(WEIGHT_CODES[weights]),
                                               indexing="ij"))
    else:
        a = rng.integers(0, 16, size=3000)
        w = rng.integers(0, WEIGHT_CODES[weights], size=3000)
    # only the words the operands read need writing
    written = np.unique(faults.table_address(table, a, w))
    dut = ElementMultiplier(params)
    got = []

    async def testbench(ctx):
        for address in written:
            ctx.set(dut.write.en, 1)
            ctx.set(dut.write.addr, int(address))
            ctx.set(dut.write.data, int(corrupted[address]))
            await ctx.tick()
        ctx.set(dut.write.en, 0)
        for x, y in zip(a, w):
            ctx.set(dut.a, int(x))
            ctx.set(dut.w, int(y))
            got.append((ctx.get(dut.p), ctx.get(dut.inf), ctx.get(dut.nan)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    got = np.array(got, dtype=np.int64)
    p, inf, nan = faults.faulty_products(table, corrupted, a, w)
    assert np.any(p != golden.element_product(a, w, weights)[0]), "the faults changed products"
    np.testing.assert_array_equal(got[:, 0], p)
    np.testing.assert_array_equal(got[:, 1].astype(bool), inf != 0)
    np.testing.assert_array_equal(got[:, 2].astype(bool), nan)


# ---- the dot product ------------------------------------------------------------------------------

def random_operands(rng, weights, n, nb=3, block=16, block_scaled=True):
    a = rng.integers(0, 16, size=(n, nb, block)).astype(np.uint8)
    w = rng.integers(0, WEIGHT_CODES[weights], size=(n, nb, block)).astype(
        golden.CODE_DTYPE[weights])
    sa = rng.integers(0x20, 0x50, size=(n, nb)).astype(np.uint8)
    sw = rng.integers(0x20, 0x50, size=(n, nb)).astype(np.uint8) if block_scaled else None
    t = np.full(n, 0x3F800000, dtype=np.uint32)
    return a, w, sa, sw, t


@pytest.mark.parametrize("multiplier,weights", TABLE_DESIGNS)
def test_fault_free_dot_is_golden(multiplier, weights):
    params = ram_params(multiplier, weights, "secded")
    depth = faults.lut_table(multiplier, weights).depth
    operands = random_operands(np.random.default_rng(5), weights, 300)
    y, flags = faults.dot_with_table(params, faults.faulty_table(params, np.zeros(depth, np.uint64)),
                                     *operands)
    want_y, want_flags = golden.dot_flags(*operands, weights)
    np.testing.assert_array_equal(y, want_y)
    for name in golden.FLAGS:
        np.testing.assert_array_equal(flags[name], want_flags[name])
    assert not flags["ecc_corrected"].any() and not flags["ecc_uncorrectable"].any()


def test_dot_flags_name_the_words_read():
    """fulllut fp4 with SECDED: one corrected word and one uncorrectable word; exactly the dot
    products with an element (a, w) at those addresses (a << 4 | w) carry the flags, and the
    corrected word leaves every result unchanged."""
    params = ram_params("fulllut", "fp4", "secded")
    layout = storage_layout(9, "secded")
    assert layout.stored_bits == 14
    single, double = 0x35, 0xC2  # (a, w) = (3, 5) and (12, 2)
    fault_map = faults.fault_map_from_bits(256, [(single, 11), (double, 0), (double, 13)])
    rng = np.random.default_rng(9)
    a, w, sa, sw, t = random_operands(rng, "fp4", 400, nb=2, block=4)
    y, flags = faults.dot_with_table(params, faults.faulty_table(params, fault_map), a, w, sa, sw, t)
    pairs = (a.astype(int) << 4 | w).reshape(len(a), -1)
    reads_single, reads_double = (pairs == single).any(axis=1), (pairs == double).any(axis=1)
    assert reads_single.any() and reads_double.any() and not (reads_single | reads_double).all()
    np.testing.assert_array_equal(flags["ecc_corrected"], reads_single)
    np.testing.assert_array_equal(flags["ecc_uncorrectable"], reads_double)
    want = golden.dot(a, w, sa, sw, t, "fp4")
    np.testing.assert_array_equal(y[~reads_double], want[~reads_double])
