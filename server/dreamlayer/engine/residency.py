"""Keeping the full-resolution picture off the GPU: only the network's view and the detail live on the device.

A 16384² picture is 3 GiB in float32, and the dream's last step (original + enlarged detail, colours, mask) holds
three or four such images. So on a GPU the picture stays where it was given (host memory, for an upload or a
file) and goes to the device in bands of rows:

- shrinking it to the network's view is separable (PyTorch's antialiased bilinear filter is a product of one
  filter per axis), so each band is first shrunk in width on the device, and the thin result in height;
- enlarging the detail back is separable too: the detail is enlarged in width once on the device, and each band
  of output rows is interpolated from the two detail rows around it, blended with the original's band, and sent
  back into the result.

Both give the same numbers as the one-piece resize (to float rounding; tests/engine/test_residency.py). With one band
(the CPU, or a picture that fits) everything happens in one piece, exactly as before; a picture that is on the
device already (a zoom's frames) goes through the same bands, which then bound the temporaries. ``Transfers`` is where
tensors cross between host and device, so a test can see every byte that goes to the device.
"""

from __future__ import annotations

import torch

from .color import keep_colors
from .resize import resize


class Transfers:
    """Moves tensors between host and device; one place to count what crosses."""

    def __init__(self, device: torch.device):
        self.device = device

    def to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.to(self.device)

    def to_host(self, target: torch.Tensor, tensor: torch.Tensor) -> None:
        # Matching layouts make the copy a single memcpy (a numpy picture is channels-last).
        target.copy_(tensor.contiguous(memory_format=_layout(target)))


class Residency:
    """Moves a picture to the network's view and the detail back, ``band_rows`` full-resolution rows at a time."""

    def __init__(self, transfers: Transfers, band_rows: int):
        self.transfers, self.band_rows = transfers, band_rows

    def _in_one_piece(self, picture: torch.Tensor) -> bool:
        return picture.shape[-2] <= self.band_rows

    def shrink(self, picture: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """``picture`` (1, C, H, W), wherever it is, resized to ``size`` on the device."""
        if self._in_one_piece(picture):
            return resize(self.transfers.to_device(picture), size)
        height = picture.shape[-2]
        rows = [_resize_width(self.transfers.to_device(picture[..., top : top + self.band_rows, :]), size[1])
                for top in range(0, height, self.band_rows)]
        return _resize_height(torch.cat(rows, dim=-2), size[0])

    def finish(
        self, picture: torch.Tensor, detail: torch.Tensor, mask: torch.Tensor | None, preserve_colors: bool
    ) -> torch.Tensor:
        """The original plus the enlarged detail, colours kept and mask applied, where the picture is."""
        height, width = picture.shape[-2:]
        if self._in_one_piece(picture):
            mask_d = None if mask is None else self.transfers.to_device(mask)
            result = _blend(self.transfers.to_device(picture), resize(detail, (height, width)), mask_d, preserve_colors)
            return result if picture.device == result.device else _to_host_like(picture, result, self.transfers)
        wide = _resize_width(detail, width)
        out = torch.empty_like(picture)
        for top in range(0, height, self.band_rows):
            rows = slice(top, min(height, top + self.band_rows))
            band_mask = None if mask is None else self.transfers.to_device(mask[..., rows, :])
            band = _blend(self.transfers.to_device(picture[..., rows, :]), _rows_of(wide, height, rows),
                          band_mask, preserve_colors)
            self.transfers.to_host(out[..., rows, :], band)
        return out


def _blend(original: torch.Tensor, detail: torch.Tensor, mask: torch.Tensor | None, preserve_colors: bool) -> torch.Tensor:
    result = (original + detail).clamp(0, 1)
    if preserve_colors:
        result = keep_colors(original, result)
    if mask is not None:
        result = original + mask * (result - original)
    return result


def _resize_width(image: torch.Tensor, width: int) -> torch.Tensor:
    """Resize along rows only; with the height unchanged, each output row depends on its own input row alone."""
    return resize(image, (image.shape[-2], width))


def _resize_height(image: torch.Tensor, height: int) -> torch.Tensor:
    return resize(image, (height, image.shape[-1]))


def _rows_of(image: torch.Tensor, height: int, rows: slice) -> torch.Tensor:
    """Rows ``rows`` of ``image`` enlarged (bilinear, half-pixel centres as F.interpolate) to ``height`` rows."""
    source_height = image.shape[-2]
    if source_height == height:
        return image[..., rows, :]
    scale = torch.tensor(source_height / height, dtype=torch.float32)
    wanted = torch.arange(rows.start, rows.stop, device=image.device, dtype=torch.float32)
    source = ((wanted + 0.5) * scale.to(image.device) - 0.5).clamp_min(0)
    above = source.floor().long().clamp_max(source_height - 1)
    below = (above + 1).clamp_max(source_height - 1)
    weight = (source - above).view(-1, 1).to(image.dtype)
    return image.index_select(-2, above) * (1 - weight) + image.index_select(-2, below) * weight


def _layout(tensor: torch.Tensor) -> torch.memory_format:
    return torch.channels_last if tensor.dim() == 4 and tensor.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format


def _to_host_like(picture: torch.Tensor, result: torch.Tensor, transfers: Transfers) -> torch.Tensor:
    out = torch.empty_like(picture)
    transfers.to_host(out, result)
    return out

