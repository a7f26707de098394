"""Exact mode: a quantized layer's dot products evaluated by ``nvlut.golden.dot``.

This is what the generated MAC returns: the exact sum of the products of the activation and weight
codes, times their block scales and ``t = g_a * g_w`` (one float32 product, formed by the host), with
one binary32 rounding at the end (``docs/numerics.md`` section 2). The operands are the quantizer's
own codes, so the only difference from fake quantization (dequantize, then a float32 matmul) is
where the arithmetic rounds. The bias is added afterwards in float32 (the MAC has no bias input).

Supported combinations are those of the hardware: NVFP4 activations with NVFP4 weights of the same
block size (``weight_scaling = block``), E4M3 weights with a per-tensor scale or binary16 weights
(``weight_scaling = tensor``).
"""

import numpy as np
import torch

from .formats import e2m1_code, e4m3_code
from .quant import quantize_fp4, quantize_fp8

#: dot products handed to ``nvlut.golden.dot`` at once (bounds memory)
CHUNK = 1 << 15


def check_supported(act, weight):
    """Raise ``ValueError`` unless the MAC can compute ``act`` x ``weight`` (module docstring)."""
    if not act.is_nvfp4:
        raise ValueError(f"exact: activations must be NVFP4 (fp4 with e4m3 scales), got {act.label}")
    if weight.kind == "fp4" and not (weight.is_nvfp4 and weight.block == act.block):
        raise ValueError(f"exact: fp4 weights must be NVFP4 with the activations' block size "
                         f"{act.block}, got {weight.label}")
    if weight.kind == "float32":
        raise ValueError("exact: weights must be fp4, fp8 or fp16, got float32")


class WeightCodes:
    """Weights ``[..., K]`` (one tensor) as MAC operands: ``codes`` ``[..., nb, B]`` (NumPy, the code
    dtype of the format ``weights``), block ``scales`` ``[..., nb]`` (E4M3 codes) or ``None``, tensor
    scale ``g`` (float32)."""

    def __init__(self, w, fmt, block):
        self.weights = fmt.kind
        self.scales = None
        if fmt.kind == "fp4":
            q = quantize_fp4(w, fmt)
            self.codes = e2m1_code(q.values).numpy()
            self.scales = e4m3_code(q.scales).numpy()
            self.g = q.tensor_scale
            return
        w = torch.nn.functional.pad(w, (0, -w.shape[-1] % block)).unflatten(-1, (-1, block))
        if fmt.kind == "fp8":
            values, self.g = quantize_fp8(w)
            self.codes = e4m3_code(values).numpy()
        else:
            self.codes = w.to(torch.float16).view(torch.int16).numpy().view(np.uint16)
            self.g = torch.tensor(1.0)


def exact_matmul(x, w, act, weight, fault=None):
    """Grouped ``x @ w.T`` as the MAC computes it: float32 ``x`` ``[N, G, R, K]`` (``N`` samples, each
    its own activation tensor; ``G`` groups of ``R`` rows) and weights ``w`` ``[G, C, K]`` (one
    tensor); returns float32 ``[N, G, R, C]``. With a ``fault``
    (:class:`nvlut.ablate.faults.TableFault`) the dot products read its faulty multiplier table."""
    from nvlut import golden

    dot = golden.dot if fault is None else fault.dot

    check_supported(act, weight)
    n, groups, r = x.shape[:3]
    with torch.no_grad():
        qa = quantize_fp4(x, act, batch_dims=1)
        wc = WeightCodes(w, weight, act.block)
        a_codes = e2m1_code(qa.values).numpy()                       # [N, G, R, nb, B]
        sa = e4m3_code(qa.scales).numpy()                            # [N, G, R, nb]
        t = (qa.tensor_scale * wc.g).numpy().view(np.uint32)         # [N]
    c = wc.codes.shape[1]
    out = np.empty((groups, n * r, c), np.uint32)
    rows = max(1, CHUNK // c)
    for g in range(groups):
        a_g = a_codes[:, g].reshape(n * r, *a_codes.shape[-2:])
        sa_g = sa[:, g].reshape(n * r, -1)
        t_g = np.repeat(t, r)
        for lo in range(0, n * r, rows):
            hi = min(lo + rows, n * r)
            k = hi - lo
            sw = None if wc.scales is None else np.tile(wc.scales[g], (k, 1))
            out[g, lo:hi] = dot(
                np.repeat(a_g[lo:hi], c, axis=0), np.tile(wc.codes[g], (k, 1, 1)),
                np.repeat(sa_g[lo:hi], c, axis=0), sw, np.repeat(t_g[lo:hi], c),
                weights=wc.weights).reshape(k, c)
    y = torch.from_numpy(out.view(np.float32)).reshape(groups, n, r, c)
    return y.transpose(0, 1)
