"""Reading moving pictures to dream: a video file, an animated GIF or WebP, or a folder of frames.

Videos (mp4, webm, mov, mkv, avi...) are decoded by PyAV's FFmpeg; animated GIF and WebP by Pillow, which reads
their frame durations; a folder's pictures are its frames in name order. Frames come out one at a time as
(H, W, 3) float32 in 0..1, so memory stays flat however long the film.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageSequence

from .errors import ImageReadError
from .images import load_picture, to_floats

FOLDER_FPS = 24.0  # a folder of frames says nothing about its speed
_PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")


class Footage(NamedTuple):
    path: Path
    kind: str  # video, animation (GIF or WebP) or folder
    fps: float
    frames: int | None  # None when the container does not say
    size: tuple[int, int]  # (width, height)
    has_audio: bool

    def fingerprint(self) -> str:
        """Recognises the same footage again (name, size and date of its file or files), to resume a run."""
        files = self._files() if self.kind == "folder" else [self.path]
        text = "\n".join(f"{p.resolve()} {p.stat().st_size} {p.stat().st_mtime_ns}" for p in files)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _files(self) -> list[Path]:
        return sorted(p for p in self.path.iterdir() if p.suffix.lower() in _PICTURE_SUFFIXES)


def open_footage(path: str | Path) -> Footage:
    """What a film or folder holds, without decoding it; a clear error for what can't be read."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in _PICTURE_SUFFIXES)
        if not files:
            raise ImageReadError(f"The folder '{path}' holds no PNG, JPEG, WebP or TIFF frames.")
        return Footage(path, "folder", FOLDER_FPS, len(files), load_picture(files[0]).size, False)
    if not path.is_file():
        raise ImageReadError(f"There is no file or folder '{path}'.")
    if path.suffix.lower() in (".gif", ".webp"):
        return _open_animation(path)
    return _open_video(path)


def _open_animation(path: Path) -> Footage:
    try:
        with Image.open(path, formats=["GIF", "WEBP"]) as image:
            durations = [frame.info.get("duration", 100) or 100 for frame in ImageSequence.Iterator(image)]
            size = image.size
    except Exception:  # noqa: BLE001 - Pillow raises many kinds of errors for damaged files
        raise ImageReadError(f"Can't read '{path}': it is not an animated GIF or WebP, or it is damaged.") from None
    return Footage(path, "animation", 1000.0 / (sum(durations) / len(durations)), len(durations), size, False)


def _open_video(path: Path) -> Footage:
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ImageReadError(f"'{path}' holds no video.")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or Fraction(24))
            return Footage(path, "video", fps, stream.frames or None, (stream.width, stream.height),
                           bool(container.streams.audio))
    except av.FFmpegError:
        raise ImageReadError(f"Can't read '{path}': it is not a video this computer's FFmpeg can read.") from None


def read_frames(footage: Footage) -> Iterator[np.ndarray]:
    """The frames, one at a time, as (H, W, 3) float32 in 0..1."""
    if footage.kind == "folder":
        for file in footage._files():
            yield load_picture(file).rgb
    elif footage.kind == "animation":
        with Image.open(footage.path) as image:
            for frame in ImageSequence.Iterator(image):
                yield to_floats(np.asarray(frame.convert("RGB")))
    else:
        import av

        with av.open(str(footage.path)) as container:
            for frame in container.decode(video=0):
                yield to_floats(frame.to_ndarray(format="rgb24"))

