"""Quantized layers of nvlut.ablate: exact mode against nvlut.golden.dot, im2col against torch."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nvlut import golden  # noqa: E402
from nvlut.ablate.layers import QuantConfig, quantize_model  # noqa: E402
from nvlut.ablate.quant import FLOAT32, NVFP4, Format  # noqa: E402


def _golden_rows(rows, weight, block, weights):
    """Reference: every sample's rows ``[N, R, K]`` (one activation tensor per sample) times the
    weight matrix ``[C, K]``, each dot product by ``golden.dot`` from ``golden.quantize_nvfp4``."""
    n, r, k = rows.shape
    pad = -k % block
    rows = np.pad(rows, ((0, 0), (0, 0), (0, pad)))
    weight = np.pad(weight, ((0, 0), (0, pad)))
    c = weight.shape[0]
    if weights == "fp4":
        qw = golden.quantize_nvfp4(weight, block)
        w_codes, sw, gw = qw.codes, qw.scales, qw.tensor_scale
    else:   # fp8 with the tensor scale amax / 448
        gw = np.float32(np.abs(weight).max() / np.float32(448))
        w_codes = golden.encode_e4m3(weight * (np.float32(1) / gw)).reshape(c, -1, block)
        sw = None
    out = np.empty((n, r, c), np.float32)
    for i in range(n):
        qa = golden.quantize_nvfp4(rows[i], block)
        t = np.float32(qa.tensor_scale * gw)
        a = np.repeat(qa.codes, c, axis=0)
        sa = np.repeat(qa.scales, c, axis=0)
        w = np.tile(w_codes, (r, 1, 1))
        s = None if sw is None else np.tile(sw, (r, 1))
        y = golden.dot(a, w, sa, s, np.full(r * c, t).view(np.uint32), weights=weights)
        out[i] = y.view(np.float32).reshape(r, c)
    return out


@pytest.mark.parametrize("weight_fmt", [NVFP4, Format("fp8")])
def test_exact_linear_equals_golden_dot(weight_fmt):
    torch.manual_seed(0)
    layer = torch.nn.Linear(40, 6)       # 40 is not a multiple of 16: the last block is padded
    x = torch.randn(3, 5, 40) * torch.tensor([1e-3, 1.0, 30.0])[:, None, None]
    model = quantize_model(layer, QuantConfig(NVFP4, weight_fmt, exact=True))
    got = model(x).detach().numpy()
    ref = _golden_rows(x.numpy(), layer.weight.detach().numpy(), 16, weight_fmt.kind)
    ref = ref + layer.bias.detach().numpy()
    assert np.array_equal(got, ref)


def _im2col(x, k, stride, pad, groups):
    """Patches ``[N, G, L, Cg*k*k]`` by explicit loops (channel, then kernel row, then column)."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    cg = c // groups
    out = np.empty((n, groups, ho * wo, cg * k * k), np.float32)
    for g in range(groups):
        for oy in range(ho):
            for ox in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg, oy * stride:oy * stride + k,
                           ox * stride:ox * stride + k]
                out[:, g, oy * wo + ox] = patch.reshape(n, -1)
    return out, (ho, wo)


def test_exact_grouped_conv_equals_golden_dot():
    torch.manual_seed(1)
    conv = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    x = torch.randn(2, 4, 5, 5)
    got = quantize_model(conv, QuantConfig(Format("fp4", "e4m3", 8), Format("fp4", "e4m3", 8),
                                           exact=True))(x).detach().numpy()
    cols, (ho, wo) = _im2col(x.numpy(), 3, 2, 1, 2)
    w = conv.weight.detach().numpy().reshape(2, 3, -1)
    # one activation tensor per sample (all groups) and one weight tensor: quantize them whole
    k = cols.shape[-1]
    kp = k + (-k % 8)
    cols_p = np.pad(cols, ((0, 0), (0, 0), (0, 0), (0, kp - k)))
    w_p = np.pad(w, ((0, 0), (0, 0), (0, kp - k)))
    qw = golden.quantize_nvfp4(w_p, 8)
    ref = np.empty((2, 6, ho * wo), np.float32)
    for i in range(2):
        qa = golden.quantize_nvfp4(cols_p[i], 8)
        t = np.float32(qa.tensor_scale * qw.tensor_scale)
        for g in range(2):
            for o in range(3):
                y = golden.dot(qa.codes[g], np.broadcast_to(qw.codes[g, o], qa.codes[g].shape),
                               qa.scales[g], np.broadcast_to(qw.scales[g, o], qa.scales[g].shape),
                               np.full(ho * wo, t).view(np.uint32))
                ref[i, g * 3 + o] = y.view(np.float32)
    ref = ref.reshape(2, 6, ho, wo) + conv.bias.detach().numpy()[:, None, None]
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("conv", [torch.nn.Conv2d(6, 4, 3, stride=2, padding=1, groups=2),
                                  torch.nn.Conv2d(4, 4, 3, padding=1, groups=4, dilation=1),
                                  torch.nn.Conv1d(3, 5, 5, stride=2, padding=2)])
def test_float32_im2col_conv_matches_torch(conv):
    x = torch.randn((2, conv.in_channels) + ((7, 6) if conv.weight.dim() == 4 else (11,)))
    got = quantize_model(conv, QuantConfig(FLOAT32, FLOAT32))(x)
    torch.testing.assert_close(got, conv(x), rtol=1e-5, atol=1e-5)


def test_exact_mode_rejects_what_the_mac_cannot_do():
    with pytest.raises(ValueError, match="exact: activations must be NVFP4"):
        QuantConfig(Format("fp4", "unscaled"), NVFP4, exact=True)
    with pytest.raises(ValueError, match="block size 16"):
        QuantConfig(NVFP4, Format("fp4", "e4m3", 32), exact=True)
