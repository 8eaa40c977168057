"""A small moving clip for the video tests: a blocky square gliding over a blocky still background, its motion
known exactly, so a test can say where the square is in every frame."""

from __future__ import annotations

import numpy as np


H, W, SIDE, SPEED = 64, 96, 24, 3  # frame size, the moving square's side and its pixels per frame


def textures(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A blocky still background and a blocky square, (H, W, 3) and (SIDE, SIDE, 3) in 0..1."""
    rng = np.random.default_rng(seed)
    background = np.clip(0.5 + 0.15 * np.kron(rng.standard_normal((H // 8, W // 8, 3)), np.ones((8, 8, 1))), 0, 1)
    square = np.clip(0.5 + 0.3 * np.kron(rng.standard_normal((SIDE // 8, SIDE // 8, 3)), np.ones((8, 8, 1))), 0, 1)
    return background.astype(np.float32), square.astype(np.float32)


def position(t: int, frames: int = 10_000) -> int:
    """The square's left edge at frame t: gliding right and back, so a long clip stays in the picture."""
    span = W - SIDE - 8
    step = (SPEED * t) % (2 * span)
    return 4 + (step if step < span else 2 * span - step)


def clip_frame(t: int) -> np.ndarray:
    background, square = textures()
    frame = background.copy()
    x = position(t)
    frame[20:20 + SIDE, x:x + SIDE] = square
    return frame
