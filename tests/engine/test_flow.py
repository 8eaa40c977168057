"""Motion between two frames: the optical flow finds a known shift, carrying a picture along a flow moves it, and a
scene cut is told from motion."""

from __future__ import annotations

import torch

from dreamlayer.engine.flow import backward_flow, carry, flow_failed

from ..conftest import cat_rgb

H, W = 96, 128


def shifted_pair(shift: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Two frames of the cat, the second with everything moved ``shift`` pixels to the right."""
    rgb = cat_rgb(W + 8, H)
    previous = torch.from_numpy(rgb[:, 4:4 + W].copy()).permute(2, 0, 1)[None]
    current = torch.from_numpy(rgb[:, 4 - shift:4 - shift + W].copy()).permute(2, 0, 1)[None]
    return previous, current


def test_the_flow_finds_where_each_pixel_came_from():
    previous, current = shifted_pair(3)
    flow = backward_flow(previous, current, (H, W))
    assert flow.shape == (1, 2, H, W)
    inside = flow[0, :, 8:-8, 8:-8]  # away from the edges, where the content came in from outside the frame
    # Each pixel came from 3 pixels to its left, none up or down. Measured on this picture at 96×64, 128×96 and
    # 160×112: median -2.997..-3.000 and -0.009..-0.005, mean error 0.015-0.018 px; a wrong sign or axis is 3 px off.
    assert abs(float(inside[0].median()) + 3) < 0.25 and abs(float(inside[1].median())) < 0.25
    assert float((inside[0] + 3).abs().mean()) < 0.25


def test_carrying_along_a_whole_pixel_shift_moves_the_picture_exactly():
    image = torch.rand((1, 3, 20, 30), generator=torch.Generator().manual_seed(1))
    flow = torch.zeros((1, 2, 20, 30))
    flow[:, 0] = 2.0  # every pixel comes from 2 pixels to its right
    moved = carry(image, flow)
    assert torch.allclose(moved[..., :-2], image[..., 2:], atol=1e-5)
    half = torch.zeros((1, 2, 10, 15))
    half[:, 0] = 1.0  # a flow measured at half the size is in half-size pixels: 1 there is 2 here
    assert torch.allclose(carry(image, half)[..., :-2], image[..., 2:], atol=1e-5)


def test_a_scene_cut_is_told_from_motion():
    previous, current = shifted_pair(3)
    assert not flow_failed(previous, current, backward_flow(previous, current, (H, W)), (H, W))
    cut = torch.flip(1 - previous, dims=[-2])  # another picture altogether
    # The carried frame's mean error, against SCENE_CUT_ERROR (0.09): measured 0.0008-0.0011 for the shift and
    # 0.21-0.22 for the cut, at 96×64, 128×96 and 160×112.
    assert flow_failed(previous, cut, backward_flow(previous, cut, (H, W)), (H, W))
