"""quantize_nvfp4 against torchao's NVFP4 quantizer, plus invariants (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from nvlut import golden

torch = pytest.importorskip("torch")
nvfp4 = pytest.importorskip("torchao.prototype.mx_formats.nvfp4_tensor")


def torchao_quantize(x):
    """torchao 0.18 two-level NVFP4: (codes uint8[rows, K], scales uint8[rows, K/16], g)."""
    xt = torch.from_numpy(x)
    g = nvfp4.per_tensor_amax_to_scale(torch.max(torch.abs(xt)))
    scales, packed = nvfp4.nvfp4_quantize(xt, block_size=16, per_tensor_scale=g)
    packed = packed.view(torch.uint8).numpy().reshape(x.shape[0], -1)
    codes = np.empty((x.shape[0], packed.shape[1] * 2), np.uint8)
    codes[:, 0::2], codes[:, 1::2] = packed & 0xF, packed >> 4   # even element in the low nibble
    return codes, scales.view(torch.uint8).numpy().reshape(x.shape[0], -1), np.float32(g.item())


def adversarial_tensors():
    rng = np.random.default_rng(7)
    rows, k = 64, 256
    yield "normal", rng.standard_normal((rows, k))
    yield "heavy_tailed", rng.standard_cauchy((rows, k))
    x = rng.standard_normal((rows, k)); x[:, :16] = 0; x[5] = 0
    yield "zero_blocks", x
    x = rng.standard_normal((rows, k)) * 1e-3; x[3, 17] = 1e6
    yield "one_huge_value", x                 # most block scales fall below E4M3's normal range
    x = rng.standard_normal((rows, k)) * np.logspace(-12, 4, k)
    yield "graded_magnitudes", x
    yield "tiny_tensor", rng.standard_normal((rows, k)) * 1e-30
    x = rng.integers(-6, 7, (rows, k)) * 0.25
    yield "exact_grid_and_ties", x


@pytest.mark.parametrize("name,x", list(adversarial_tensors()), ids=lambda v: v if isinstance(v, str) else "")
def test_quantize_matches_torchao_bit_for_bit(name, x):
    x = x.astype(np.float32)
    codes, scales, g = torchao_quantize(x)
    q = golden.quantize_nvfp4(x, block=16)
    assert q.tensor_scale.view(np.uint32) == g.view(np.uint32)
    assert np.array_equal(q.scales.reshape(scales.shape), scales)
    assert np.array_equal(q.codes.reshape(codes.shape), codes)


def test_quantize_matches_torchao_on_many_random_blocks():
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((512, 1024)) * np.exp(rng.normal(0, 3, (512, 1)))).astype(np.float32)
    codes, scales, _ = torchao_quantize(x)
    q = golden.quantize_nvfp4(x)
    assert np.array_equal(q.scales.reshape(scales.shape), scales)
    assert np.array_equal(q.codes.reshape(codes.shape), codes)


def test_deliberate_differences_from_torchao():
    # all-zero tensor: torchao divides 0 by 0; nvlut uses g = 1, scale 2^-6, codes 0
    q = golden.quantize_nvfp4(np.zeros((2, 32), np.float32))
    assert q.tensor_scale == 1 and (q.scales == 0x08).all() and (q.codes == 0).all()
    # other block sizes are allowed
    assert golden.quantize_nvfp4(np.ones((1, 12), np.float32), block=4).codes.shape == (1, 3, 4)


@pytest.mark.parametrize("kwargs,match", [
    (dict(x=np.ones((1, 16), np.float64)), "^x: expected a float32"),
    (dict(x=np.ones((1, 20), np.float32)), "^x: the last axis"),
    (dict(x=np.array([[np.inf] * 16], np.float32)), "^x: NaN and infinite"),
    (dict(x=np.ones((1, 16), np.float32), block=3), "^block: 3 is not allowed; use an integer from 4 to 128"),
    (dict(x=np.ones((1, 256), np.float32), block=256), "^block: 256"),
    (dict(x=np.full((1, 16), 1e-40, np.float32)), "^x: the tensor scale"),
])
def test_quantize_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        golden.quantize_nvfp4(**kwargs)


finite32 = st.floats(-1e6, 1e6, width=32, allow_nan=False, allow_infinity=False)
tensors = arrays(np.float32, st.tuples(st.integers(1, 4), st.sampled_from([16, 32, 64])),
                 elements=finite32).filter(lambda x: np.abs(x).max() > 1e-20)


@settings(max_examples=200, deadline=None)
@given(tensors, st.sampled_from([4, 8, 16]))
def test_dequantize_error_is_bounded_per_block(x, block):
    q = golden.quantize_nvfp4(x, block=block)
    err = np.abs(golden.dequantize_nvfp4(q).astype(np.float64) - x).reshape(q.scales.shape + (block,))
    block_amax = np.abs(x.astype(np.float64)).reshape(err.shape).max(axis=-1)
    g = float(q.tensor_scale)
    # E2M1 rounding loses at most 1 unit of the scaled value (half of the 4..6 step), and the
    # E4M3 block scale is within 2^-4 of block_amax / 6 (or is the clamp 2^-6 above it).
    bound = np.maximum(block_amax / 6 * (1 + 2 ** -4), 2 ** -6 * g) * (1 + 1e-5)
    assert (err <= bound[..., None]).all()


@settings(max_examples=100, deadline=None)
@given(tensors)
def test_sign_symmetry(x):
    q, qn = golden.quantize_nvfp4(x), golden.quantize_nvfp4(-x)
    assert np.array_equal(q.scales, qn.scales) and q.tensor_scale == qn.tensor_scale
    assert np.array_equal(q.codes ^ 0x8, qn.codes)


@settings(max_examples=100, deadline=None)
@given(tensors.filter(lambda x: np.abs(x).max() > 1e-3), st.integers(-20, 20))
def test_scale_invariance_by_powers_of_two(x, k):
    q, qk = golden.quantize_nvfp4(x), golden.quantize_nvfp4(np.ldexp(x, k).astype(np.float32))
    assert np.array_equal(q.codes, qk.codes) and np.array_equal(q.scales, qk.scales)
    assert qk.tensor_scale == np.ldexp(q.tensor_scale, k)


def test_bits_per_element():
    assert golden.bits_per_element(16, 4096) == 4.5078125
