"""Six small edge models of different kinds, each with the data set it is trained on.

| name | kind | data |
|---|---|---|
| ``mlp`` | 3-layer perceptron 64-128-64-10 | digits |
| ``lenet`` | LeNet-style CNN: two 3x3 conv + max-pool stages, two FC layers | digits |
| ``mobilenet`` | depthwise-separable CNN (MobileNet-style, BatchNorm) | digits |
| ``resnet`` | small ResNet: stem + three basic residual blocks (BatchNorm) | digits |
| ``cnn1d`` | 1-D CNN: three strided Conv1d layers and a linear classifier | mnist1d |
| ``attention`` | tiny transformer: conv patch embedding, one pre-norm attention block | mnist1d |

Convolutions followed by BatchNorm are :class:`ConvBN` modules; :func:`fold_batchnorm` folds them
into plain convolutions (as a deployment does) before any quantization, so the MAC sees the folded
weights.
"""

import copy
import math

import torch
from torch import nn
from torch.nn import functional as F

from nvlut.util.cli_lists import check_choices


class ConvBN(nn.Module):
    """A bias-free ``Conv2d`` followed by ``BatchNorm2d``."""

    def __init__(self, cin, cout, k, stride=1, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))

    def folded(self):
        """The equivalent ``Conv2d`` (with bias) for the current BatchNorm statistics."""
        c, bn = self.conv, self.bn
        out = nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding,
                        groups=c.groups, bias=True)
        with torch.no_grad():
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            out.weight.copy_(c.weight * scale[:, None, None, None])
            out.bias.copy_(bn.bias - bn.running_mean * scale)
        return out


def fold_batchnorm(model):
    """A copy of ``model`` with every :class:`ConvBN` replaced by its folded convolution."""
    model = copy.deepcopy(model)
    _fold(model)
    return model


def _fold(module):
    for name, child in module.named_children():
        if isinstance(child, ConvBN):
            setattr(module, name, child.folded())
        else:
            _fold(child)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),      # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # 32 x 2 x 2
        nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def _separable(cin, cout, stride):
    return [ConvBN(cin, cin, 3, stride, groups=cin), nn.ReLU(), ConvBN(cin, cout, 1), nn.ReLU()]


def mobilenet():
    return nn.Sequential(
        ConvBN(1, 16, 3), nn.ReLU(),
        *_separable(16, 32, 1), *_separable(32, 64, 2), *_separable(64, 64, 2),   # 64 x 2 x 2
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


class BasicBlock(nn.Module):
    """Two 3x3 ConvBN layers with an identity (or strided 1x1 ConvBN) shortcut."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.a = ConvBN(cin, cout, 3, stride)
        self.b = ConvBN(cout, cout, 3)
        self.shortcut = ConvBN(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return F.relu(self.b(F.relu(self.a(x))) + self.shortcut(x))


def resnet():
    return nn.Sequential(ConvBN(1, 16, 3), nn.ReLU(), BasicBlock(16, 16), BasicBlock(16, 32, 2),
                         BasicBlock(32, 32), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(32, 10))


def cnn1d():
    return nn.Sequential(
        nn.Conv1d(1, 32, 5, padding=2), nn.ReLU(),                       # 32 x 40
        nn.Conv1d(32, 32, 3, stride=2, padding=1), nn.ReLU(),            # 32 x 20
        nn.Conv1d(32, 32, 3, stride=2, padding=1), nn.ReLU(),            # 32 x 10
        nn.Flatten(), nn.Linear(320, 10))


class AttentionBlock(nn.Module):
    """Pre-norm transformer block: multi-head self-attention and a GELU MLP, both residual."""

    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(n, t, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), -1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(n, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class TinyTransformer(nn.Module):
    """Conv1d patch embedding (10 tokens of 32), learned positions, one attention block, mean pool."""

    def __init__(self, dim=32, tokens=10):
        super().__init__()
        self.embed = nn.Conv1d(1, dim, 8, stride=4, padding=2)
        self.pos = nn.Parameter(torch.zeros(1, tokens, dim))
        self.block = AttentionBlock(dim, 4, 64)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.embed(x).transpose(1, 2) + self.pos
        return self.head(self.norm(self.block(x)).mean(1))


#: model name -> (constructor, data set name)
MODELS = {
    "mlp": (mlp, "digits"),
    "lenet": (lenet, "digits"),
    "mobilenet": (mobilenet, "digits"),
    "resnet": (resnet, "digits"),
    "cnn1d": (cnn1d, "mnist1d"),
    "attention": (TinyTransformer, "mnist1d"),
}


def check_models(names):
    check_choices("models", names, tuple(MODELS))


def build(name):
    """A freshly initialised model ``name`` (initialise the torch RNG first)."""
    check_models([name])
    return MODELS[name][0]()


def dataset_of(name):
    check_models([name])
    return MODELS[name][1]
