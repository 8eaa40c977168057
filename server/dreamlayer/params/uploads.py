"""What a request says about its pictures rather than about the dream: sizes, pixel layout, lease, and where an
editor's picture sits in its document. Described like the settings, so the API's description derives from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .dream import MAX_SIDE
from .knobs import Knobs, knob
from .presets import DEFAULT_PRESET, PRESETS

LAYOUTS = ("RGBA", "BGRA", "RGB")
DEPTHS = ("u8", "u16", "f16", "f32")
MASK_DEPTHS = ("u8", "f32")
MAX_LEASE = 3600.0


def _preset():
    return knob(DEFAULT_PRESET, "Preset", "The starting point; every setting given overrides it.", choices=tuple(PRESETS))


def _lease():
    return knob(0.0, "Lease", "Cancel the job when nobody has asked about it for this many seconds (0: never).",
                lo=0.0, hi=MAX_LEASE)


class PictureUpload(Protocol):
    """What a request that sends one picture says about its raw pixels (``DreamUpload``, ``RankingUpload``)."""

    width: int | None
    height: int | None
    layout: str
    depth: str
    mask_depth: str


def _width():
    return knob(None, "Width", "Raw pixels only: the picture's width.", lo=1, hi=MAX_SIDE, none_means="from the file")


def _height():
    return knob(None, "Height", "Raw pixels only: the picture's height.", lo=1, hi=MAX_SIDE, none_means="from the file")


def _layout():
    return knob("RGBA", "Layout", "Raw pixels only: the channel order.", choices=LAYOUTS)


def _depth():
    return knob("u8", "Depth", "Raw pixels only: 8 or 16-bit integers, or 16 or 32-bit floats.", choices=DEPTHS)


def _mask_depth():
    return knob("u8", "Mask depth", "A raw mask: u8 (0 to 255) or f32 (0 to 1).", choices=MASK_DEPTHS)


@dataclass(frozen=True)
class RankingUpload(Knobs):
    width: int | None = _width()
    height: int | None = _height()
    layout: str = _layout()
    depth: str = _depth()
    mask_depth: str = _mask_depth()


@dataclass(frozen=True)
class DreamUpload(Knobs):
    preset: str = _preset()
    lease: float = _lease()
    width: int | None = _width()
    height: int | None = _height()
    layout: str = _layout()
    depth: str = _depth()
    mask_depth: str = _mask_depth()
    document_width: int | None = knob(None, "Document width", "The whole document's width, when the picture is a "
                                      "part of it: the feature size follows the document.", lo=1, hi=MAX_SIDE,
                                      none_means="the picture's")
    document_height: int | None = knob(None, "Document height", "The whole document's height.", lo=1, hi=MAX_SIDE,
                                       none_means="the picture's")
    region_x: int | None = knob(None, "Region x", "Where the picture's left edge sits in the document.", lo=0,
                                hi=MAX_SIDE, none_means="unknown")
    region_y: int | None = knob(None, "Region y", "Where the picture's top edge sits in the document.", lo=0,
                                hi=MAX_SIDE, none_means="unknown")


@dataclass(frozen=True)
class ZoomUpload(Knobs):
    preset: str = _preset()
    lease: float = _lease()
    width: int = knob(512, "Width", "A film from noise: its width.", lo=16, hi=8192)
    height: int = knob(512, "Height", "A film from noise: its height.", lo=16, hi=8192)


@dataclass(frozen=True)
class VideoUpload(Knobs):
    preset: str = _preset()
    lease: float = _lease()
