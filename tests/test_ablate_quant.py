"""The torch quantizers of nvlut.ablate against nvlut.golden and independent references."""

import ml_dtypes
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nvlut import golden  # noqa: E402
from nvlut.ablate.formats import e2m1_code, e4m3_code, round_e2m1, round_e4m3  # noqa: E402
from nvlut.ablate.quant import Format, fake_quantize, quantize_fp4, quantize_fp8  # noqa: E402


def _torch_nvfp4(x, block, batch_dims=0, recipe="torchao"):
    q = quantize_fp4(torch.from_numpy(x), Format("fp4", "e4m3", block, recipe), batch_dims)
    return e2m1_code(q.values).numpy(), e4m3_code(q.scales).numpy(), q.tensor_scale.numpy()


def _ulps(x, k):
    """Positive float32 ``x`` moved by ``k`` units in the last place."""
    return (x.astype(np.float32).view(np.int32) + k.astype(np.int32)).view(np.float32)


def _near_ties(rng, block, nblocks=4096):
    """Blocks whose scale ``(a_b / 6) / g`` lies within a few ulps of an E4M3 rounding midpoint and
    whose elements lie within a few ulps of E2M1 rounding midpoints times a neighbouring scale: the
    inputs where the order and kind of the float32 operations of section 3 decide the result."""
    e4m3 = np.arange(0x08, 0x7F, dtype=np.uint8).view(ml_dtypes.float8_e4m3fn).astype(np.float64)
    amax = np.float32(rng.uniform(1, 2) * 2.0 ** int(rng.integers(-20, 20)))
    g = np.float64(amax / np.float32(2688))
    i = rng.integers(0, e4m3.size - 1, nblocks)
    block_max = _ulps(np.float32((e4m3[i] + e4m3[i + 1]) / 2 * 6 * g), rng.integers(-3, 4, nblocks))
    scale = e4m3[i + rng.integers(0, 2, nblocks)]
    ties = rng.choice([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0], (nblocks, block))
    x = _ulps(np.float32(ties * scale[:, None] * g), rng.integers(-3, 4, (nblocks, block)))
    x[:, 0] = block_max
    x *= rng.choice(np.float32([-1, 1]), x.shape)
    x[0, 1] = amax
    return x.reshape(-1, 8 * block)


def _tensors(rng, block):
    """Random and adversarial float32 tensors (name, array)."""
    yield "near ties", _near_ties(rng, block)
    yield "normal", rng.standard_normal((8, 256)).astype(np.float32)
    yield "heavy-tailed", (rng.standard_cauchy((8, 256)) * 10).astype(np.float32)
    yield "wide exponents", (rng.standard_normal((4, 256)) *
                             2.0 ** rng.integers(-40, 40, (4, 256))).astype(np.float32)
    # block maxima spread over 2^-30..1 under a large tensor maximum: block scales below the
    # E4M3 normal range hit the lower clamp
    x = rng.standard_normal((4, 256)).astype(np.float32)
    x *= (2.0 ** rng.integers(-30, 1, (4, 16))).repeat(16, 1).astype(np.float32)
    x[0, 0] = 1e4
    yield "clamped scales", x
    # every E2M1 rounding tie times every E4M3 scale, with both signs and zeros
    ties = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 6.0, 7.0, 0.0, -0.0],
                    np.float32)
    grid = np.arange(0x08, 0x7F, dtype=np.uint8).view(ml_dtypes.float8_e4m3fn).astype(np.float32)
    x = (ties[None, :] * grid[:, None]).astype(np.float32)
    x = np.concatenate([x, -x], 0).reshape(-1)
    x = np.pad(x, (0, -x.size % 128))
    yield "ties", x.reshape(-1, 128)
    yield "all zero", np.zeros((2, 64), np.float32)
    z = np.zeros((2, 64), np.float32)
    z[1, 3] = -1e-30
    yield "one tiny", z


@pytest.mark.parametrize("block", [4, 16, 32, 128])
def test_nvfp4_bit_identical_to_golden(block):
    rng = np.random.default_rng(block)
    for name, x in _tensors(rng, block):
        x = x.reshape(-1, block * max(1, x.shape[-1] // block))
        ref = golden.quantize_nvfp4(x, block)
        codes, scales, g = _torch_nvfp4(x, block)
        assert np.float32(g).view(np.uint32) == np.float32(ref.tensor_scale).view(np.uint32), name
        assert np.array_equal(scales, ref.scales), name
        assert np.array_equal(codes, ref.codes), name


@pytest.mark.parametrize("recipe", golden.RECIPES)
@pytest.mark.parametrize("block", [4, 16, 128])
def test_nvfp4_recipes_bit_identical_to_golden(recipe, block):
    rng = np.random.default_rng(block)
    tensors = list(_tensors(rng, block))
    x = np.random.default_rng(9).standard_normal((8, 64)).astype(np.float32) * 1e-3
    x[0, 0] = 1e30                  # ModelOpt: subnormal block scales, and 0 replaced by 1
    x[1, :32] = 1e-39
    tensors.append(("tiny blocks", x))
    for name, x in tensors:
        x = x.reshape(-1, block * max(1, x.shape[-1] // block))
        ref = golden.quantize_nvfp4(x, block, recipe=recipe)
        codes, scales, g = _torch_nvfp4(x, block, recipe=recipe)
        assert np.float32(g).view(np.uint32) == np.float32(ref.tensor_scale).view(np.uint32), name
        assert np.array_equal(scales, ref.scales), name
        assert np.array_equal(codes, ref.codes), name
        got = fake_quantize(torch.from_numpy(x), Format("fp4", "e4m3", block, recipe)).numpy()
        assert np.array_equal(got.view(np.uint32), golden.dequantize_nvfp4(ref).view(np.uint32)), name


@pytest.mark.parametrize("recipe", golden.RECIPES)
def test_nvfp4_recipes_per_sample_tensor_scale_match_golden(recipe):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((5, 3, 48)) * np.array([1e-3, 1, 50, 1e5, 0])[:, None, None]
         ).astype(np.float32)
    codes, scales, g = _torch_nvfp4(x, 16, batch_dims=1, recipe=recipe)
    for i in range(x.shape[0]):
        ref = golden.quantize_nvfp4(x[i], 16, recipe=recipe)
        assert np.float32(g[i]).view(np.uint32) == ref.tensor_scale.view(np.uint32)
        assert np.array_equal(scales[i], ref.scales)
        assert np.array_equal(codes[i], ref.codes)


def test_per_sample_tensor_scale_matches_golden_per_sample():
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((5, 3, 48)) * np.array([1e-3, 1, 50, 1e5, 0])[:, None, None]
         ).astype(np.float32)
    codes, scales, g = _torch_nvfp4(x, 16, batch_dims=1)
    for i in range(x.shape[0]):
        ref = golden.quantize_nvfp4(x[i], 16)
        assert np.float32(g[i]) == ref.tensor_scale
        assert np.array_equal(scales[i], ref.scales)
        assert np.array_equal(codes[i], ref.codes)


def test_dequantized_values_match_golden():
    x = np.random.default_rng(3).standard_normal((6, 64)).astype(np.float32)
    ref = golden.dequantize_nvfp4(golden.quantize_nvfp4(x, 16))
    got = fake_quantize(torch.from_numpy(x), Format("fp4", "e4m3", 16)).numpy()
    assert np.array_equal(got.view(np.uint32), ref.view(np.uint32))


def test_padding_a_ragged_axis_equals_explicit_zero_padding():
    x = np.random.default_rng(4).standard_normal((3, 40)).astype(np.float32)
    padded = np.pad(x, ((0, 0), (0, 8)))
    ref = golden.dequantize_nvfp4(golden.quantize_nvfp4(padded, 16))[:, :40]
    got = fake_quantize(torch.from_numpy(x), Format("fp4", "e4m3", 16)).numpy()
    assert np.array_equal(got, ref)


def test_element_and_scale_rounding_match_ml_dtypes():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.standard_normal(20000) * 3, rng.uniform(-7, 7, 20000),
                        np.arange(-13, 14) / 2 + 0.25]).astype(np.float32)
    got = round_e2m1(torch.from_numpy(x)).numpy()
    assert np.array_equal(got, x.astype(ml_dtypes.float4_e2m1fn).astype(np.float32))
    assert np.array_equal(e2m1_code(torch.from_numpy(got)).numpy(), golden.encode_e2m1(got))
    s = (rng.standard_normal(20000) * 2.0 ** rng.integers(-12, 9, 20000)).astype(np.float32)
    s = np.clip(s, -448, 448)
    got = round_e4m3(torch.from_numpy(s)).numpy()
    assert np.array_equal(got, s.astype(ml_dtypes.float8_e4m3fn).astype(np.float32))
    assert np.array_equal(e4m3_code(torch.from_numpy(got)).numpy(), golden.encode_e4m3(got))


def test_mx_e8m0_scale_is_power_of_two_below_block_max():
    x = torch.from_numpy(np.random.default_rng(6).standard_normal((4, 64)).astype(np.float32))
    q = quantize_fp4(x, Format("fp4", "e8m0", 32))
    amax = x.reshape(4, 2, 32).abs().amax(-1)
    # OCP MX: scale = 2^(floor(log2 amax) - 2), so amax / scale lies in [4, 8)
    ratio = amax / q.scales
    assert torch.all((ratio >= 4) & (ratio < 8))
    assert torch.all(torch.frexp(q.scales)[0] == 0.5)
    expected = round_e2m1(torch.clamp(x.reshape(4, 2, 32) / q.scales[..., None], -6, 6))
    assert torch.equal(q.values, expected)


def test_fp8_weights_use_tensor_scale_amax_over_448():
    w = torch.from_numpy(np.random.default_rng(8).standard_normal((16, 32)).astype(np.float32))
    values, g = quantize_fp8(w)
    assert g == w.abs().max() / 448
    assert values.abs().max() == 448
    ref = (w.numpy() * (np.float32(1) / g.numpy())).astype(ml_dtypes.float8_e4m3fn)
    assert np.array_equal(values.numpy(), ref.astype(np.float32))


@pytest.mark.parametrize("fmt", [Format("fp4", "e4m3", 16), Format("fp4", "unscaled"),
                                 Format("fp4", "e8m0", 32), Format("fp8"), Format("fp16")])
def test_straight_through_gradient_is_identity(fmt):
    x = torch.randn(4, 48, generator=torch.Generator().manual_seed(1), requires_grad=True)
    v = torch.randn(4, 48, generator=torch.Generator().manual_seed(2))
    y = fake_quantize(x, fmt, batch_dims=1)
    assert not torch.equal(y, x)  # it does quantize
    assert torch.equal(y.detach(), fake_quantize(x.detach(), fmt, batch_dims=1))
    (y * v).sum().backward()
    assert torch.equal(x.grad, v)


def test_bad_formats_name_the_parameter():
    with pytest.raises(ValueError, match="block: 3 is not allowed"):
        Format("fp4", "e4m3", 3)
    with pytest.raises(ValueError, match="block: 129"):
        Format("fp4", "e4m3", 129)
    with pytest.raises(ValueError, match="format: 'int8'"):
        Format("int8")
    with pytest.raises(ValueError, match="scale: 'ue5m3'"):
        Format("fp4", "ue5m3")
    with pytest.raises(ValueError, match="recipe: 'cuda' is not allowed; choose one of torchao, "):
        Format("fp4", "e4m3", 16, "cuda")
