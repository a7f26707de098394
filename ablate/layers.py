"""Quantized ``Linear`` and convolution layers, and :func:`quantize_model` to swap them in.

Every dot product of a layer runs along its reduction dimension, and that is where the blocks lie:

- ``Linear``: the input features. The activation tensor of one sample is its ``[..., in_features]``
  input (for a sequence model, all tokens of the sample).
- ``Conv1d`` / ``Conv2d`` (any stride, padding, dilation and groups; zero padding only): the layer is
  computed as an im2col matrix product. The reduction dimension of a group is
  ``in_channels / groups * kh * kw`` in the order of ``torch.nn.functional.unfold`` and of the
  weight's memory layout (channel, then kernel row, then column), so one block can span several
  input channels. The activation tensor of one sample is its im2col matrix, i.e. every input
  element that some output reads. ``Conv1d`` is the ``kh = 1`` case.

A reduction length that is not a multiple of the block size is padded with zeros (so is the MAC's
input). Weights have one tensor scale per layer. Bias, normalization, pooling, softmax and the
attention score/value products stay float32 (they are not MAC work in this design).
"""

import copy
import dataclasses

import torch
from torch import nn
from torch.nn import functional as F

from .exact import check_supported, exact_matmul
from .quant import FLOAT32, Format, fake_quantize


@dataclasses.dataclass(frozen=True)
class QuantConfig:
    """Formats of a layer's activations and weights; ``exact`` evaluates the dot products with
    ``nvlut.golden.dot`` instead of a float32 matmul of the fake-quantized operands, or, with a
    ``fault`` (:class:`nvlut.ablate.faults.TableFault`), with the MAC reading a faulty table."""

    act: Format = FLOAT32
    weight: Format = FLOAT32
    exact: bool = False
    fault: object = None

    def __post_init__(self):
        if self.exact or self.fault is not None:
            check_supported(self.act, self.weight)
        if self.fault is not None and not self.exact:
            raise ValueError("fault: a faulty table needs exact mode (exact=True)")


class QuantLinear(nn.Module):
    """``nn.Linear`` with quantized input and weight (shares the parameters it was built from)."""

    def __init__(self, linear, config):
        super().__init__()
        self.weight, self.bias, self.config = linear.weight, linear.bias, config

    def forward(self, x):
        c = self.config
        if c.exact:
            y = exact_matmul(x.reshape(x.shape[0], 1, -1, x.shape[-1]), self.weight[None],
                             c.act, c.weight, c.fault)
            y = y.reshape(x.shape[:-1] + (-1,))
            return y if self.bias is None else y + self.bias
        return F.linear(fake_quantize(x, c.act, batch_dims=1),
                        fake_quantize(self.weight, c.weight), self.bias)


class QuantConv(nn.Module):
    """``nn.Conv1d``/``nn.Conv2d`` as a quantized im2col product (module docstring)."""

    def __init__(self, conv, config):
        super().__init__()
        if conv.padding_mode != "zeros" or isinstance(conv.padding, str):
            raise ValueError("conv: only explicit zero padding is supported")
        self.weight, self.bias, self.config = conv.weight, conv.bias, config
        self.one_d = isinstance(conv, nn.Conv1d)
        pair = (lambda v: (1,) + tuple(v)) if self.one_d else tuple
        zero = (lambda v: (0,) + tuple(v)) if self.one_d else tuple
        self.kernel_size, self.stride = pair(conv.kernel_size), pair(conv.stride)
        self.dilation, self.padding = pair(conv.dilation), zero(conv.padding)
        self.groups = conv.groups

    def forward(self, x):
        if self.one_d:
            x = x.unsqueeze(2)
        n, _, h, w = x.shape
        g, out_ch = self.groups, self.weight.shape[0]
        cols = F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)
        cols = cols.unflatten(1, (g, -1)).transpose(2, 3)                 # [N, G, L, Kg]
        weight = self.weight.reshape(g, out_ch // g, -1)                  # [G, O/G, Kg]
        c = self.config
        if c.exact:
            y = exact_matmul(cols, weight, c.act, c.weight, c.fault).transpose(2, 3)  # [N, G, O/G, L]
        else:
            y = torch.einsum("nglk,gok->ngol", fake_quantize(cols, c.act, batch_dims=1),
                             fake_quantize(weight, c.weight))
        y = y.reshape(n, out_ch, -1)
        if self.bias is not None:
            y = y + self.bias[:, None]
        size = [(d + 2 * p - dl * (k - 1) - 1) // s + 1 for d, p, dl, k, s in
                zip((h, w), self.padding, self.dilation, self.kernel_size, self.stride)]
        y = y.reshape(n, out_ch, *size)
        return y.squeeze(2) if self.one_d else y


QUANT_LAYERS = {nn.Linear: QuantLinear, nn.Conv1d: QuantConv, nn.Conv2d: QuantConv}


def quantize_model(model, config):
    """A deep copy of ``model`` with every ``Linear``/``Conv1d``/``Conv2d`` (``model`` itself, too)
    replaced by its quantized version using ``config`` (its parameters are the copy's, so QAT trains
    them)."""
    model = copy.deepcopy(model)
    layer = QUANT_LAYERS.get(type(model))
    if layer is not None:
        return layer(model, config)
    _swap(model, config)
    return model


def _swap(module, config):
    for name, child in module.named_children():
        layer = QUANT_LAYERS.get(type(child))
        if layer is not None:
            setattr(module, name, layer(child, config))
        else:
            _swap(child, config)


def set_config(model, config):
    """Switch every quantized layer of ``model`` to ``config``."""
    for m in model.modules():
        if isinstance(m, (QuantLinear, QuantConv)):
            m.config = config
