"""Colour handling: keeping the original colours by transplanting only the dream's brightness."""

from __future__ import annotations

import torch

# ITU-R BT.601 luma weights, as used by JPEG's YCbCr.
_LUMA = (0.299, 0.587, 0.114)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    r, g, b = rgb.unbind(-3)
    return (_LUMA[0] * r + _LUMA[1] * g + _LUMA[2] * b).unsqueeze(-3)


def keep_colors(original: torch.Tensor, dreamed: torch.Tensor) -> torch.Tensor:
    """The dream's brightness with the original's chroma: shift every channel by the change in luma."""
    return (original + (luminance(dreamed) - luminance(original))).clamp(0, 1)
