"""The simulation flow's host side, without a simulator: input validation, block counts, the
harness file formats, the stimulus generators and back-pressure patterns."""

import numpy as np
import pytest

from nvlut import golden
from nvlut.spec.params import MacParams
from nvlut.verif import backpressure, harness, stimulus, vectors

P = MacParams(block=4, max_blocks=8)


def _arrays(n=5, nb=3, params=P, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n, nb, params.block)
    return dict(a=rng.integers(0, 16, shape).astype(np.uint8),
                w=rng.integers(0, 16, shape).astype(np.uint8),
                sa=rng.integers(0, 127, shape[:2]).astype(np.uint8),
                sw=rng.integers(0, 127, shape[:2]).astype(np.uint8),
                t=rng.integers(0, 1 << 31, n).astype(np.uint32))


@pytest.mark.parametrize("name, value, message", [
    ("a", np.zeros((5, 3, 5), np.uint8), "a: expected shape"),
    ("a", np.full((5, 3, 4), 16, np.uint8),
     "a: code 16 at row 0, block 0, lane 0 is out of range; codes must lie in 0..15"),
    ("a", np.zeros((5, 3, 4), np.float32), "a: expected integer codes"),
    ("w", np.zeros((5, 2, 4), np.uint8), "w: expected shape"),
    ("sa", np.zeros((5, 2), np.uint8), "sa: expected shape"),
    ("sw", None, "sw: required"),
    ("t", np.zeros(5, np.int32), "t: expected uint32"),
    ("nb", np.array([1, 2, 3, 4, 0]), "nb: block counts must lie in 1..3"),
    ("nb", np.array([1, 2]), "nb: expected int"),
])
def test_make_batch_names_the_bad_array(name, value, message):
    arrays = _arrays()
    arrays[name] = value
    with pytest.raises(ValueError, match=message):
        vectors.make_batch(P, **arrays)


def test_make_batch_rejects_sw_without_weight_block_scale():
    with pytest.raises(ValueError, match="sw: must be absent"):
        vectors.make_batch(P.replace(weight_scaling="tensor"), **_arrays())


def test_make_batch_rejects_more_blocks_than_max_blocks():
    with pytest.raises(ValueError, match="max_blocks"):
        vectors.make_batch(P.replace(max_blocks=2), **_arrays())


def test_reference_ignores_blocks_beyond_nb():
    arrays = _arrays(n=40, nb=4, seed=3)
    nb = np.random.default_rng(4).integers(1, 5, 40)
    batch = vectors.make_batch(P, **arrays, nb=nb)
    y, flags = vectors.reference(P, batch)
    for k in range(40):
        row = {key: arrays[key][k:k + 1, :nb[k]] for key in ("a", "w", "sa", "sw")}
        y_k, flags_k = golden.dot_flags(**row, t=arrays["t"][k:k + 1], weights="fp4")
        assert y[k] == y_k[0]
        assert all(flags[f][k] == flags_k[f][0] for f in flags)


def test_npz_round_trip(tmp_path):
    batch = vectors.make_batch(P, **_arrays(), nb=np.array([1, 2, 3, 3, 1]))
    vectors.save_npz(tmp_path / "in.npz", batch)
    again = vectors.load_npz(P, tmp_path / "in.npz")
    for key in vectors.KEYS:
        assert np.array_equal(getattr(again, key), getattr(batch, key))


def test_npz_unknown_and_missing_arrays(tmp_path):
    arrays = _arrays()
    np.savez(tmp_path / "x.npz", **arrays, bogus=np.zeros(1))
    with pytest.raises(ValueError, match="unknown arrays"):
        vectors.load_npz(P, tmp_path / "x.npz")
    del arrays["t"]
    np.savez(tmp_path / "y.npz", **arrays)
    with pytest.raises(ValueError, match=r"missing arrays \['t'\]"):
        vectors.load_npz(P, tmp_path / "y.npz")


def test_mismatches_counts_missing_outputs_and_ecc_flags():
    y_ref = np.arange(4, dtype=np.uint32)
    ref = (y_ref, {"invalid": np.zeros(4, bool)})
    flags = {"invalid": np.zeros(3, bool), "ecc_corrected": np.array([0, 1, 0], bool)}
    bad = vectors.mismatches(ref, y_ref[:3], flags)
    assert bad.tolist() == [False, True, False, True]


def test_binary_records_and_parse_agree_with_python_ints():
    rng = np.random.default_rng(7)
    fields = [(0, 4, rng.integers(0, 16, 50)), (4, 60, rng.integers(0, 1 << 60, 50)),
              (64, 33, rng.integers(0, 1 << 33, 50)), (97, 1, rng.integers(0, 2, 50))]
    width = 98
    words = harness.pack_fields(50, width, fields)
    data = harness.binary_records(words, 13)
    expect = [sum(int(v[k]) << off for off, _, v in fields) for k in range(50)]
    assert data == b"".join(x.to_bytes(13, "big") for x in expect)
    lines = "".join(f"{x:025x} {k:08x}\n" for k, x in enumerate(expect)).encode()
    parsed, index = harness.parse_hex_columns(lines, [width, 32], "test")
    for off, bits, v in fields:
        got = harness.field_values(parsed, harness.Field(off, bits))
        assert np.array_equal(got, v.astype(np.uint64))
    assert np.array_equal(index[:, 0], np.arange(50))


def test_fault_file_round_trip_and_errors():
    pairs = ((3, 0x81), (0, 1), (3, 0x2))
    fault_map = harness.parse_fault_map(harness.fault_lines(pairs), 4, "f")
    assert fault_map.tolist() == [1, 0, 0, 0x83]
    with pytest.raises(ValueError, match="f: line 1: address 0x4 outside the table of 4 words"):
        harness.parse_fault_map("4 1\n", 4, "f")
    with pytest.raises(ValueError, match="f: line 2 is not"):
        harness.parse_fault_map("1 1\nzz\n", 4, "f")


def test_parse_rejects_unknown_values():
    with pytest.raises(RuntimeError, match="X/Z"):
        harness.parse_hex_columns(b"0x1 00000000\n", [12, 32], "out")


def test_verilog_ports_reads_yosys_declarations():
    text = ("module m(a, b, c);\n  input [7:0] a;\n  wire [7:0] a;\n  input b;\n"
            "  output [37:0] c;\n  reg [37:0] c = 0;\nendmodule\n")
    assert harness.verilog_ports(text, "m") == ({"a": 8, "b": 1}, {"c": 38})


@pytest.mark.parametrize("mode", backpressure.MODES)
def test_backpressure_patterns(mode):
    ready, gaps = backpressure.pattern(mode, 1000, seed=1)
    assert gaps.shape == (1000,)
    assert (gaps.any()) == (mode in ("gaps", "both"))
    if mode in ("none", "gaps"):
        assert ready is None
    else:
        assert 0 < ready.mean() < 1 and len(ready) <= harness.READY_MAX
    if mode == "runs":
        runs = np.diff(np.nonzero(np.diff(ready.astype(int)))[0])
        assert runs.max() > 8


def test_bad_backpressure_mode():
    with pytest.raises(ValueError, match="backpressure: 'sometimes'"):
        backpressure.pattern("sometimes", 3)


@pytest.mark.parametrize("params", [MacParams(), MacParams(weights="fp16", weight_scaling="tensor",
                                                         max_blocks=16)])
def test_ties_are_ties(params):
    """The ``ties`` kind puts most exact results half-way between two binary32 numbers."""
    batch = stimulus.kind_batch(params, "ties", 400, np.random.default_rng(2))
    y, flags = vectors.reference(params, batch)
    exact = golden.decode(batch.a[:, 0], "fp4") * golden.decode(batch.w[:, 0], params.weights)
    scale = golden.decode(batch.sa[:, 0], "fp8")
    if params.block_scaled:
        scale = scale * golden.decode(batch.sw[:, 0], "fp8")
    value = exact.sum(axis=1) * scale * golden.decode_binary32(batch.t).astype(np.float64)
    # value is exact in float64 (one product, < 30 significant bits): a tie lies exactly half-way
    # between y and its binary32 neighbour on the other side of the value
    y32 = golden.decode_binary32(y)
    other = np.nextafter(y32, np.where(value > y32, np.float32(np.inf), np.float32(-np.inf)))
    tie = (value != y32) & (2 * value == y32.astype(np.float64) + other.astype(np.float64))
    assert tie.mean() > 0.5
    assert not (tie & ~flags["inexact"]).any()


@pytest.mark.parametrize("weights, block", [("fp4", 4), ("fp8", 16), ("fp16", 8)])
def test_element_pairs_cover_every_pair_in_every_lane(weights, block):
    params = MacParams(weights=weights, weight_scaling="tensor", block=block)
    batch, checks = stimulus.element_pairs(params, all_lanes=True)
    n_w = 1 << params.weight_bits
    finite = (golden.int_view(batch.w[:, 0], weights)[1] == 0) & \
        ~golden.int_view(batch.w[:, 0], weights)[2]
    pure = finite.all(axis=1)                  # blocks of finite weights: every lane is checked
    seen = np.zeros((block, 16 * n_w), bool)
    for lane in range(block):
        seen[lane, batch.a[pure, 0, lane].astype(int) * n_w + batch.w[pure, 0, lane]] = True
    specials = np.nonzero(~pure)[0]            # NaN/Inf weights: one pair per block
    lane = (specials - specials.min()) % block if specials.size else specials
    special_pairs = batch.a[specials, 0, lane].astype(int) * n_w + batch.w[specials, 0, lane]
    finite_codes = np.unique(batch.w[pure, 0, 0])
    pairs = (np.arange(16)[:, None] * n_w + finite_codes[None, :]).ravel()
    assert seen[:, pairs].all()
    assert np.array_equal(np.sort(np.concatenate([pairs, special_pairs])), np.arange(16 * n_w))
    assert checks == block * pure.sum() + specials.size
    y, flags = vectors.reference(params, batch)
    assert not flags["inexact"][pure].any()
    # a finite block's result is exactly the sum of its products
    p, _, _ = golden.element_product(batch.a[pure, 0], batch.w[pure, 0], weights)
    value = np.ldexp(p.sum(axis=1).astype(np.float64), -(1 + golden.GRID_EXP[weights]))
    assert np.array_equal(golden.decode_binary32(y[pure]).astype(np.float64), value)
    # within a block every nonzero product has the same sign
    signs = np.sign(p)
    assert not ((signs > 0).any(axis=1) & (signs < 0).any(axis=1)).any()


def test_reference_with_faults_reads_only_used_blocks():
    """With a fault map the ECC flags come from the table words the used blocks read: per row, the
    golden fault model on the row's own blocks."""
    from nvlut.golden import faults
    params = MacParams(block=4, lut_storage="ram", ecc="secded")
    arrays = _arrays(n=60, nb=3, params=params, seed=5)
    nb = np.random.default_rng(6).integers(1, 4, 60)
    batch = vectors.make_batch(params, **arrays, nb=nb)
    fault_map = stimulus.fault_map(params, "double", np.random.default_rng(7))
    y, flags = vectors.reference(params, batch, fault_map)
    delivered = faults.faulty_table(params, fault_map)
    for k in range(60):
        row = {key: arrays[key][k:k + 1, :nb[k]] for key in ("a", "w", "sa", "sw")}
        y_k, flags_k = faults.dot_with_table(params, delivered, **row, t=arrays["t"][k:k + 1])
        assert y[k] == y_k[0]
        assert all(flags[f][k] == flags_k[f][0] for f in flags_k)
    assert flags["ecc_uncorrectable"].any() and not flags["ecc_uncorrectable"].all()


@pytest.mark.parametrize("ecc", ["none", "secded", "msb2"])
def test_fault_maps_flip_protected_bits(ecc):
    from nvlut.golden import faults
    params = MacParams(lut_storage="ram", ecc=ecc)
    rng = np.random.default_rng(8)
    single, double = (stimulus.fault_map(params, kind, rng) for kind in stimulus.FAULT_MAPS)
    assert np.bitwise_count(single).tolist().count(1) == 2 and np.bitwise_count(single).sum() == 2
    assert sorted(np.bitwise_count(double)[np.flatnonzero(double)].tolist()) == [1, 1, 2]
    _, corrected, uncorrectable = faults.faulty_table(params, double)
    assert corrected.any() == (ecc != "none") and uncorrectable.sum() == (ecc != "none")
