"""The picture a feature visualisation optimises: a batch of images held as decorrelated Fourier coefficients.

Optimising raw pixels finds high-frequency noise that excites a channel without looking like anything. Following
Olah et al., "Feature Visualization" (Distill, 2017) and lucent's ``param.fft_image`` and ``to_valid_rgb``:

- each colour plane is kept as its 2-D spectrum, scaled by 1/frequency, so a gradient step changes low
  frequencies as easily as high ones (the spectrum of natural pictures);
- the three planes are mixed by the square root of ImageNet's colour correlation, so the optimiser works in
  decorrelated colour, and a sigmoid keeps every pixel in 0..1;
- each step sees the picture through a small random jitter, scale and rotation (``RandomTransforms``), so only
  features that survive being moved a little can grow.

Every picture of the batch draws its start and its transforms from a generator of its own, so a channel's
picture is the same whatever batch it was made in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

# The square root of ImageNet's RGB correlation, from lucent (param/color.py), normalised by its largest column.
_COLOR_CORRELATION_SVD_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
_COLOR_MIX = _COLOR_CORRELATION_SVD_SQRT / _COLOR_CORRELATION_SVD_SQRT.norm(dim=0).max()
_START_SPREAD = 0.01  # the random start's spread in the spectrum (lucent's sd)
_SPECTRUM_GAIN = 4.0  # lucent's "magic" divisor, which sets the pixel spread the optimiser starts from


def _frequencies(size: int) -> torch.Tensor:
    fy = torch.fft.fftfreq(size)[:, None]
    fx = torch.fft.rfftfreq(size)[None, :]
    return (fx * fx + fy * fy).sqrt()


class FourierImage(torch.nn.Module):
    """``batch`` square RGB pictures of ``size`` pixels, from one generator per picture (``seeds``)."""

    def __init__(self, seeds: Sequence[int], size: int, device: torch.device | str = "cpu"):
        super().__init__()
        self.size = size
        freqs = _frequencies(size)
        starts = []
        for seed in seeds:
            generator = torch.Generator().manual_seed(seed)
            starts.append(torch.randn((3, *freqs.shape, 2), generator=generator) * _START_SPREAD)
        self.spectrum = torch.nn.Parameter(torch.stack(starts).to(device))
        scale = 1.0 / freqs.clamp(min=1.0 / size)
        self.register_buffer("scale", scale[None, None, :, :, None].to(device))
        self.register_buffer("color_mix", _COLOR_MIX.to(device))

    def forward(self) -> torch.Tensor:
        """The batch as (N, 3, size, size) RGB in 0..1."""
        spectrum = torch.view_as_complex((self.scale * self.spectrum).contiguous())
        planes = torch.fft.irfftn(spectrum, s=(self.size, self.size), norm="ortho") / _SPECTRUM_GAIN
        rgb = torch.einsum("nchw,dc->ndhw", planes, self.color_mix)
        return torch.sigmoid(rgb)


class RandomTransforms:
    """lucent's standard transforms, drawn for each picture from its own generator: pad 12 px of grey, jitter 8 px,
    scale by 0.9–1.1, turn by up to 10° (not at all a quarter of the time), jitter 4 px."""

    SCALES = tuple(1 + (i - 5) / 50 for i in range(11))
    ANGLES = tuple(range(-10, 11)) + (0,) * 5
    PAD = 12

    def __init__(self, seeds: Sequence[int]):
        self._generators = [torch.Generator().manual_seed(seed ^ 0x5EED) for seed in seeds]

    def _draws(self) -> torch.Tensor:
        """Per picture: first jitter (x, y), scale, angle, second jitter (x, y)."""
        rows = []
        for g in self._generators:
            pick = torch.randint(0, 2**31, (6,), generator=g).tolist()
            rows.append([pick[0] % 17 - 8, pick[1] % 17 - 8, self.SCALES[pick[2] % len(self.SCALES)],
                         math.radians(self.ANGLES[pick[3] % len(self.ANGLES)]), pick[4] % 9 - 4, pick[5] % 9 - 4])
        return torch.tensor(rows, dtype=torch.float32)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        draws = self._draws().to(images.device)
        padded = F.pad(images, [self.PAD] * 4, value=0.5)
        side = padded.shape[-1]
        shift = (draws[:, [0, 1]] + draws[:, [4, 5]]) * 2 / side  # pixels to the grid's -1..1
        cos, sin = torch.cos(draws[:, 3]) / draws[:, 2], torch.sin(draws[:, 3]) / draws[:, 2]
        theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
        grid = F.affine_grid(theta, list(padded.shape), align_corners=False)
        return F.grid_sample(padded, grid, mode="bilinear", padding_mode="border", align_corners=False)
