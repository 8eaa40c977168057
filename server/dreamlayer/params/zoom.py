"""A zoom film's settings: how each frame moves on from the last, how it is dreamed, and how the film is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .knobs import Knobs, knob

FILM_FORMATS = ("mp4", "webm", "gif", "webp")


@dataclass(frozen=True)
class ZoomSettings(Knobs):
    frames: int = knob(120, "Frames", "How many frames the film has.", lo=1, hi=100_000, section="zoom")
    zoom: float = knob(1.05, "Zoom per frame", "How much each frame enlarges the last: 1.05 is 5%.", lo=1.0, hi=2.0,
                       step=0.01, section="zoom")
    rotate: float = knob(0.0, "Turn per frame", "Degrees each frame turns, anticlockwise.", lo=-45.0, hi=45.0,
                         step=0.5, section="zoom")
    drift_x: float = knob(0.0, "Drift across", "Pixels each frame slides to the right (negative: left).",
                          lo=-256.0, hi=256.0, step=1.0, section="zoom")
    drift_y: float = knob(0.0, "Drift down", "Pixels each frame slides down (negative: up).", lo=-256.0, hi=256.0,
                          step=1.0, section="zoom")
    steps_per_frame: int = knob(5, "Iterations per frame", "How many times each scale is dreamed for each frame.",
                                lo=1, hi=200, section="zoom")
    blend: float = knob(0.0, "Calm", "Share of the undreamed frame kept in each frame: higher is gentler.",
                        lo=0.0, hi=0.9, step=0.05, section="zoom")
    fps: float = knob(24.0, "Frames per second", "How fast the film plays.", lo=1.0, hi=120.0, section="zoom")
    format: str = knob("mp4", "Film format", "How the film is written: mp4 (H.264), webm (VP9), gif or webp.",
                       choices=FILM_FORMATS, section="zoom", cli=False)
    stabilize: bool = knob(True, "Steady colours", "Hold brightness, contrast and colour steady over the film.",
                           section="zoom")

    KIND: ClassVar[str] = "zoom film"
    # Each frame is a short dream of its own: its iterations per scale are steps_per_frame.
    REPLACES: ClassVar[dict[str, str]] = {"steps": "steps_per_frame"}
