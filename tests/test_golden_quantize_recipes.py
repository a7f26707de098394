"""quantize_nvfp4 / dequantize_nvfp4 recipes against the quantizers they are named after.

- ``torchao``: quantization is checked in ``test_golden_quantize.py``; here dequantization against
  torchao's ``NVFP4Tensor.dequantize``.
- ``torchao-cuda`` cannot run here (no GPU). Two checks built from the rule itself: torchao's own
  source run on the CPU under the CUDA division rule (a ``TorchFunctionMode`` that evaluates
  ``tensor / python_scalar`` as ``tensor * f32(1 / scalar)``, what ATen's CUDA kernel does), and
  constructed blocks where ``a_b / 6`` and ``a_b * f32(1/6)`` (``amax / 2688`` and
  ``amax * f32(1/2688)``) round to different E4M3 scales (rounded by ml_dtypes), where the two
  recipes must differ, and nowhere else.
- ``modelopt``: the real package (nvidia-modelopt 0.47, pinned in the dev extra) runs on the CPU,
  so it is run here: ``NVFP4QTensor.quantize`` / ``dequantize``.
"""

import ml_dtypes
import numpy as np
import pytest

from nvlut import golden
from nvlut.golden.quantize import CUDA_RECIPROCAL_6, CUDA_RECIPROCAL_2688, tensor_scale

torch = pytest.importorskip("torch")
nvfp4 = pytest.importorskip("torchao.prototype.mx_formats.nvfp4_tensor")

from test_golden_quantize import adversarial_tensors, torchao_quantize  # noqa: E402

F32 = np.float32


class CudaScalarDivision(torch.overrides.TorchFunctionMode):
    """``tensor / python_scalar`` evaluated as ``tensor * f32(1 / scalar)`` (the reciprocal
    rounded to float32 first), as PyTorch does on CUDA; every other operation unchanged."""

    def __init__(self):
        super().__init__()
        self.divisors = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if (func in (torch.Tensor.__truediv__, torch.Tensor.div, torch.div) and len(args) == 2
                and isinstance(args[1], (int, float)) and not kwargs):
            self.divisors.append(args[1])
            reciprocal = torch.tensor(1.0, dtype=torch.float32) / torch.tensor(float(args[1]))
            return torch.mul(args[0], reciprocal)
        return func(*args, **kwargs)


def torchao_cuda_quantize(x):
    """torchao 0.18 two-level NVFP4 (as :func:`torchao_quantize`) under the CUDA division rule."""
    mode = CudaScalarDivision()
    with mode:
        out = torchao_quantize(x)
    assert sorted(mode.divisors) == [6.0, 2688.0]   # the two divisions the rule changes
    return out


def _block_diff(a, b, shape):
    """Boolean ``[rows, nb]``: blocks where NVFP4 ``a`` and ``b`` differ in scale or any code."""
    return ((a.scales.reshape(shape) != b.scales.reshape(shape)) |
            (a.codes.reshape(shape + (-1,)) != b.codes.reshape(shape + (-1,))).any(-1))


def predicted_scales(x, cuda):
    """E4M3 block-scale codes from the rule, rounded by ml_dtypes: ``g = amax / 2688`` and
    ``a_b / 6`` (CPU) or ``amax * f32(1/2688)`` and ``a_b * f32(1/6)`` (CUDA)."""
    amax = np.abs(x).max()
    a_b = np.abs(x).reshape(x.shape[0], -1, 16).max(-1)
    g = amax * CUDA_RECIPROCAL_2688 if cuda else amax / F32(2688)
    sixth = a_b * CUDA_RECIPROCAL_6 if cuda else a_b / F32(6)
    s = np.clip(sixth / g, F32(2.0 ** -6), F32(448))
    return s.astype(ml_dtypes.float8_e4m3fn).view(np.uint8)


def scale_boundary_tensor(rng, amax, rows=64, k=1024):
    """A tensor of maximum ``amax`` whose block maxima sit within 6 ulps of ``6 g`` times an E4M3
    rounding midpoint: the blocks where the kind of division decides the block scale."""
    grid = np.arange(0x08, 0x7F, dtype=np.uint8).view(ml_dtypes.float8_e4m3fn).astype(np.float64)
    g = np.float64(F32(amax) / F32(2688))
    nb = rows * k // 16
    i = rng.integers(0, grid.size - 1, nb)
    target = F32((grid[i] + grid[i + 1]) / 2 * 6 * g)
    a_b = (target.view(np.int32) + rng.integers(-6, 7, nb).astype(np.int32)).view(F32)
    a_b = np.minimum(a_b, F32(amax))
    x = (rng.uniform(-1, 1, (nb, 16)) * a_b[:, None]).astype(F32)
    x[:, 0] = a_b * rng.choice(F32([-1, 1]), nb)
    x[0, 1] = amax
    return x.reshape(rows, k)


def _unpack(x, codes, scales):
    return codes.reshape(x.shape[0], -1, 16), scales.reshape(x.shape[0], -1)


# --- torchao-cuda ----------------------------------------------------------------------------


@pytest.mark.parametrize("name,x", list(adversarial_tensors()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_torchao_cuda_matches_torchao_under_the_cuda_division_rule(name, x):
    x = x.astype(F32)
    codes, scales, g = torchao_cuda_quantize(x)
    q = golden.quantize_nvfp4(x, recipe="torchao-cuda")
    assert q.tensor_scale.view(np.uint32) == g.view(np.uint32)
    assert np.array_equal(q.scales.reshape(scales.shape), scales)
    assert np.array_equal(q.codes.reshape(codes.shape), codes)


def test_torchao_cuda_differs_exactly_where_a_b_over_6_rounds_differently():
    # amax with amax / 2688 == amax * f32(1/2688): only the block-scale division differs
    amax = F32(3.0)
    assert amax / F32(2688) == amax * CUDA_RECIPROCAL_2688
    x = scale_boundary_tensor(np.random.default_rng(1), amax)
    cpu = golden.quantize_nvfp4(x, recipe="torchao")
    cuda = golden.quantize_nvfp4(x, recipe="torchao-cuda")
    assert cpu.tensor_scale == cuda.tensor_scale
    expected_cpu, expected_cuda = predicted_scales(x, False), predicted_scales(x, True)
    assert np.array_equal(cpu.scales.reshape(expected_cpu.shape), expected_cpu)
    assert np.array_equal(cuda.scales.reshape(expected_cuda.shape), expected_cuda)
    predicted = expected_cpu != expected_cuda
    assert predicted.sum() >= 100                  # 164 of 4096: the construction hits them
    a_b = np.abs(x).reshape(predicted.shape + (16,)).max(-1)
    assert (a_b[predicted] / F32(6) != a_b[predicted] * CUDA_RECIPROCAL_6).all()
    # the recipes differ in exactly the predicted blocks, codes included
    assert np.array_equal(_block_diff(cpu, cuda, predicted.shape), predicted)
    # and so do the real torchao on the CPU and torchao under the CUDA division rule
    c0, s0, _ = torchao_quantize(x)
    c1, s1, _ = torchao_cuda_quantize(x)
    c0, s0 = _unpack(x, c0, s0)
    c1, s1 = _unpack(x, c1, s1)
    assert np.array_equal((s0 != s1) | (c0 != c1).any(-1), predicted)
    assert np.array_equal(cuda.codes.reshape(c1.shape), c1)
    assert np.array_equal(cuda.scales.reshape(s1.shape), s1)


def test_torchao_cuda_tensor_scale_is_amax_times_the_float32_reciprocal():
    rng = np.random.default_rng(2)
    amaxes = (rng.uniform(1, 2, 4000) * 2.0 ** rng.integers(-60, 60, 4000)).astype(F32)
    div = amaxes / F32(2688)
    mul = amaxes * CUDA_RECIPROCAL_2688
    differ = div != mul
    assert 0 < differ.sum() < differ.size          # both kinds of amax are in the sample
    for amax, d, m in zip(amaxes, div, mul):
        assert tensor_scale(amax).view(np.uint32) == d.view(np.uint32)
        assert tensor_scale(amax, "torchao-cuda").view(np.uint32) == m.view(np.uint32)
    # a whole tensor with such an amax: every block scale and code as torchao under the CUDA rule
    amax = amaxes[differ][0]
    x = scale_boundary_tensor(rng, amax, rows=16)
    q = golden.quantize_nvfp4(x, recipe="torchao-cuda")
    codes, scales, g = torchao_cuda_quantize(x)
    assert q.tensor_scale.view(np.uint32) == g.view(np.uint32) == mul[differ][0].view(np.uint32)
    assert q.tensor_scale != golden.quantize_nvfp4(x).tensor_scale
    assert np.array_equal(q.scales.reshape(scales.shape), scales)
    assert np.array_equal(q.codes.reshape(codes.shape), codes)
    assert np.array_equal(q.scales.reshape(-1), predicted_scales(x, True).reshape(-1))


def test_torchao_cuda_agrees_with_torchao_on_a_large_random_set():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((1024, 2048)) * np.exp(rng.uniform(-8, 8, (1024, 1)))).astype(F32)
    cpu = golden.quantize_nvfp4(x, recipe="torchao")
    cuda = golden.quantize_nvfp4(x, recipe="torchao-cuda")
    predicted = predicted_scales(x, False) != predicted_scales(x, True)
    diff = _block_diff(cpu, cuda, predicted.shape)
    assert np.array_equal(diff, predicted)
    assert diff.sum() <= 2                          # 131072 blocks; the H200 measured 1 in 8.4 M
    assert np.array_equal(golden.dequantize_nvfp4(cpu)[~diff.repeat(16, 1)],
                          golden.dequantize_nvfp4(cuda)[~diff.repeat(16, 1)])


# --- torchao dequantization ------------------------------------------------------------------


@pytest.mark.parametrize("recipe", ["torchao", "torchao-cuda"])
def test_dequantize_matches_torchao_nvfp4tensor(recipe):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((256, 512)) * np.exp(rng.normal(0, 3, (256, 1)))).astype(F32)
    x[0, :16] = -0.0
    x[1, :16] = np.linspace(-1e-3, 1e-3, 16)       # small values round to codes 0x0 and 0x8
    q = golden.quantize_nvfp4(x, recipe=recipe)
    xt = torch.from_numpy(x)
    g = torch.tensor(q.tensor_scale)
    t = nvfp4.NVFP4Tensor.to_nvfp4(xt, per_tensor_scale=g)
    if recipe == "torchao-cuda":                   # the quantization (compared above) differs
        codes = torch.from_numpy(q.codes.reshape(x.shape[0], -1))
        packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).to(torch.uint8)
        t.qdata.copy_(packed.view(t.qdata.dtype))
        t.scale.copy_(torch.from_numpy(q.scales).reshape(t.scale.shape).view(t.scale.dtype))
    ref = t.dequantize(torch.float32).numpy()
    got = golden.dequantize_nvfp4(q)
    assert np.array_equal(got.view(np.uint32), ref.view(np.uint32))


# --- ModelOpt --------------------------------------------------------------------------------


def modelopt_quantize(x):
    """ModelOpt's dynamic NVFP4 (``NVFP4QTensor.quantize``): codes ``[rows, K]``, scale codes,
    ``s2`` and ModelOpt's own dequantization."""
    qtensor = pytest.importorskip("modelopt.torch.quantization.qtensor")
    q, scale, s2 = qtensor.NVFP4QTensor.quantize(torch.from_numpy(x.copy()), 16)
    packed = q._quantized_data.numpy()
    codes = np.empty(x.shape, np.uint8)
    codes[:, 0::2], codes[:, 1::2] = packed & 0xF, packed >> 4   # even element in the low nibble
    deq = q.dequantize(torch.float32, scale=scale, double_scale=s2, block_sizes={-1: 16}).numpy()
    return codes, scale.view(torch.uint8).numpy(), np.float32(s2.item()), deq


def modelopt_tensors():
    yield from adversarial_tensors()
    rng = np.random.default_rng(5)
    yield "many_random", rng.standard_normal((512, 1024)) * np.exp(rng.normal(0, 3, (512, 1)))
    yield "scale_boundaries", scale_boundary_tensor(rng, 3.0)
    x = rng.standard_normal((8, 64)) * 1e-3
    x[0, 0] = 1e30                                 # block scales below 2^-9 and scales of 0 -> 1
    x[1, :16] = [-0.0, 0.0] * 8
    x[2, :16] = 1e-39                              # a_b / (6 s2) underflows to 0: scale 1
    yield "subnormal_and_zero_scales", x


@pytest.mark.parametrize("name,x", list(modelopt_tensors()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_modelopt_matches_nvidia_modelopt_bit_for_bit(name, x):
    x = x.astype(F32)
    codes, scales, s2, deq = modelopt_quantize(x)
    q = golden.quantize_nvfp4(x, recipe="modelopt")
    assert q.tensor_scale.view(np.uint32) == s2.view(np.uint32)
    assert np.array_equal(q.scales.reshape(scales.shape), scales)
    assert np.array_equal(q.codes.reshape(codes.shape), codes)
    assert np.array_equal(golden.dequantize_nvfp4(q).view(np.uint32), deq.view(np.uint32))


def test_modelopt_differs_from_torchao_where_documented():
    x = np.zeros((1, 64), F32)
    x[0, :16] = -0.0
    x[0, 16:32] = 1e-5
    x[0, 32] = 1.0
    mo, ta = golden.quantize_nvfp4(x, recipe="modelopt"), golden.quantize_nvfp4(x)
    # all-zero block: scale 1.0 (0x38) vs 2^-6 (0x08); -0.0 gives code 0x0 vs 0x8
    assert mo.scales[0, 0] == 0x38 and ta.scales[0, 0] == 0x08
    assert (mo.codes[0, 0] == 0x0).all() and (ta.codes[0, 0] == 0x8).all()
    # block scale 1e-5 / (6 g) = 0.00448, below 2^-6: a subnormal E4M3 scale (0x02) vs the clamp
    assert mo.scales[0, 1] == 0x02 and ta.scales[0, 1] == 0x08
    # an all-zero tensor: g = 1 in every recipe (ModelOpt itself would divide 0 by 0)
    for recipe in golden.RECIPES:
        z = golden.quantize_nvfp4(np.zeros((1, 16), F32), recipe=recipe)
        assert z.tensor_scale == 1 and (z.codes == 0).all()


@pytest.mark.parametrize("recipe", ["cuda", "TorchAO", None, ""])
def test_bad_recipe_names_the_parameter(recipe):
    with pytest.raises(ValueError, match="^recipe: .* is not allowed; choose one of torchao, "
                                         "torchao-cuda, modelopt$"):
        golden.quantize_nvfp4(np.ones((1, 16), F32), recipe=recipe)
