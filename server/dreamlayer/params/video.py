"""Dreaming a video or an animation: how each frame carries the last one's dream along the motion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .knobs import Knobs, knob
from .zoom import FILM_FORMATS


@dataclass(frozen=True)
class VideoSettings(Knobs):
    steps_per_frame: int = knob(5, "Iterations per frame", "How many times each scale is dreamed again for each frame; "
                                "the first frame, and the first after a scene cut, get the full iterations.",
                                lo=1, hi=200, section="video")
    blend: float = knob(0.8, "Carry-over", "How much of the last frame's dream each frame starts from: higher is "
                        "steadier, lower follows the picture more closely.", lo=0.0, hi=0.95, step=0.05, section="video")
    follow_motion: bool = knob(True, "Follow motion", "Carry the dream along with what moves (optical flow); off, it "
                               "stays put on the screen while the picture moves under it.", section="video")
    stabilize: bool = knob(True, "Steady colours", "Keep the dream's brightness and contrast from creeping over the film.",
                           section="video")
    fps: float | None = knob(None, "Frames per second", "How fast the film plays.", lo=1.0, hi=120.0,
                             none_means="the source's", section="video")
    format: str = knob("mp4", "Film format", "How the film is written: mp4 (H.264), webm (VP9), gif or webp.",
                       choices=FILM_FORMATS, section="video", cli=False)

    KIND: ClassVar[str] = "video"
