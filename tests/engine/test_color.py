"""Keeping the original colours: the dream's brightness moved onto the original's chroma."""

from __future__ import annotations

import torch

from dreamlayer.engine.color import keep_colors, luminance


def test_luminance_weighs_red_green_and_blue_as_bt601():
    primaries = torch.eye(3).view(3, 3, 1, 1)  # a red, a green and a blue pixel, as a batch of three
    assert torch.allclose(luminance(primaries).flatten(), torch.tensor([0.299, 0.587, 0.114]))
    grey = torch.full((3, 4, 5), 0.4)  # (C, H, W) works too: the channels are the third axis from the end
    assert luminance(grey).shape == (1, 4, 5) and torch.allclose(luminance(grey), torch.full((1, 4, 5), 0.4))


def test_kept_colours_have_the_dreams_brightness_and_the_originals_chroma():
    generator = torch.Generator().manual_seed(0)
    # Mid-range values, so that nothing is clipped: the transplant is then exact to float rounding.
    original = 0.3 + 0.4 * torch.rand((1, 3, 8, 8), generator=generator)
    dreamed = 0.3 + 0.4 * torch.rand((1, 3, 8, 8), generator=generator)
    kept = keep_colors(original, dreamed)
    assert torch.allclose(luminance(kept), luminance(dreamed), atol=1e-6)
    assert torch.allclose(kept - luminance(kept), original - luminance(original), atol=1e-6)


def test_kept_colours_stay_within_0_and_1():
    original = torch.tensor([1.0, 0.9, 0.0]).view(1, 3, 1, 1)
    brighter = torch.ones((1, 3, 1, 1))
    darker = torch.zeros((1, 3, 1, 1))
    for dreamed in (brighter, darker):
        kept = keep_colors(original, dreamed)
        assert kept.min() >= 0 and kept.max() <= 1
