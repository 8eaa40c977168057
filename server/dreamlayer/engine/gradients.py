"""Shaping the raw gradient before a step: optional Laplacian-pyramid normalisation, masking and scaling."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .resize import resize

# The 5-tap binomial kernel of the TensorFlow DeepDream notebook's lap_normalize.
_K1D = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16


def _blur_down(x: torch.Tensor) -> torch.Tensor:
    kernel = (_K1D[:, None] * _K1D[None, :]).to(x).expand(x.shape[1], 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), kernel, stride=2, groups=x.shape[1])


def laplacian_normalize(grad: torch.Tensor, levels: int) -> torch.Tensor:
    """Give every band of the gradient's Laplacian pyramid the same strength, which favours large shapes."""
    bands, current = [], grad
    for _ in range(levels):
        if min(current.shape[-2:]) < 4:
            break
        low = _blur_down(current)
        bands.append(current - resize(low, tuple(current.shape[-2:])))
        current = low
    bands.append(current)
    out = bands[-1] / bands[-1].pow(2).mean().sqrt().clamp_min(1e-8)
    for band in reversed(bands[:-1]):
        out = resize(out, tuple(band.shape[-2:])) + band / band.pow(2).mean().sqrt().clamp_min(1e-8)
    return out


def normalized_step(grad: torch.Tensor, mask: torch.Tensor | None, step_size: float) -> torch.Tensor:
    """Scale the gradient so the average change inside the mask is ``step_size`` 8-bit levels."""
    if mask is not None:
        grad = grad * mask
        area = mask.sum() * grad.shape[1]
    else:
        area = torch.tensor(float(grad[0].numel()), device=grad.device)
    mean_abs = grad.abs().sum() / area.clamp_min(1.0)
    return grad * (step_size / 255.0) / mean_abs.clamp_min(1e-12)
