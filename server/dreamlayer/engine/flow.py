"""Motion between two frames, and carrying a picture along it.

The flow is OpenCV's DIS optical flow (``opencv-python-headless``): it ships in a wheel, works offline at once,
needs no weights, and takes tens of milliseconds for a 512² pair on two CPU cores, where RAFT would need a
download and seconds per pair on a CPU. It runs at the size the network sees (the work size), not the full size;
the field is then enlarged to whatever size the picture to be carried has.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# Where the previous frame, carried along the flow, differs from this one by more than this (mean absolute error
# in 0..1), the flow has failed: a scene cut, or motion too fast to follow.
SCENE_CUT_ERROR = 0.09


def _grey8(frame: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    grey = frame.mean(dim=1, keepdim=True)
    grey = F.interpolate(grey, size=size, mode="area") if tuple(grey.shape[-2:]) != size else grey
    return (grey[0, 0].clamp(0, 1) * 255 + 0.5).to(torch.uint8).cpu().numpy()


def backward_flow(previous: torch.Tensor, current: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """For each pixel of ``current`` (1, 3, H, W), where it was in ``previous``: a (1, 2, h, w) field of pixel
    offsets at ``size`` (h, w), measured on grey copies of both frames at that size."""
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = dis.calc(_grey8(current, size), _grey8(previous, size), None)  # (h, w, 2): x, y offsets
    return torch.from_numpy(flow).permute(2, 0, 1)[None].to(current.device)


def carry(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``image`` (1, C, H, W) moved along ``flow`` (from ``backward_flow``, at any size): each pixel takes the value
    from where the flow says it came from."""
    height, width = image.shape[-2:]
    fh, fw = flow.shape[-2:]
    flow = F.interpolate(flow, size=(height, width), mode="bilinear", align_corners=False) if (fh, fw) != (height, width) else flow
    scale = torch.tensor([width / fw, height / fh], device=flow.device).view(1, 2, 1, 1)
    flow = flow * scale
    ys, xs = torch.meshgrid(torch.arange(height, device=image.device), torch.arange(width, device=image.device), indexing="ij")
    # grid_sample wants coordinates in -1..1, x first, at pixel centres (align_corners=False).
    grid_x = (xs + flow[0, 0] + 0.5) / width * 2 - 1
    grid_y = (ys + flow[0, 1] + 0.5) / height * 2 - 1
    grid = torch.stack([grid_x, grid_y], dim=-1)[None].to(image.dtype)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)


def flow_failed(previous: torch.Tensor, current: torch.Tensor, flow: torch.Tensor, size: tuple[int, int]) -> bool:
    """Whether ``previous`` carried along ``flow`` still looks like ``current``, compared at the flow's size."""
    small_prev = F.interpolate(previous, size=size, mode="area")
    small_cur = F.interpolate(current, size=size, mode="area")
    return float((carry(small_prev, flow) - small_cur).abs().mean()) > SCENE_CUT_ERROR
