"""A picture as it travels inside dreamlayer: float pixels plus what its file said about them.

The pixels are float32 numpy arrays in 0..1, RGB (H, W, 3) and, when the file had one, an alpha plane (H, W).
What the file said about them (bits per channel, colour profile, resolution) rides along, so the result can be
written back as deep and as well described as the input.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Picture(NamedTuple):
    rgb: np.ndarray  # (H, W, 3) float32 in 0..1
    alpha: np.ndarray | None  # (H, W) float32 in 0..1, or None when the source had no alpha
    source_format: str | None = None  # PNG, JPEG, WEBP or TIFF when decoded from a file
    bits: int = 8  # bits per channel of the source: 8, or 16 for 16-bit PNG and TIFF
    icc_profile: bytes | None = None  # the source's colour profile, copied to the result
    dpi: tuple[float, float] | None = None  # the source's resolution, copied to the result

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as Pillow and editors count."""
        return self.rgb.shape[1], self.rgb.shape[0]

    @property
    def has_transparency(self) -> bool:
        """Whether any pixel is less than fully opaque: what a format without alpha would lose."""
        return self.alpha is not None and bool((self.alpha < 1.0).any())

    def with_pixels(self, rgb: np.ndarray, alpha: np.ndarray | None = None) -> Picture:
        """The same file description around new pixels (a dream of this picture)."""
        return self._replace(rgb=rgb, alpha=self.alpha if alpha is None else alpha)

