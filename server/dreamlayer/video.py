"""Writing frames as they come: MP4 (H.264), WebM (VP9), GIF, animated WebP, or a folder of PNGs.

PyAV ships its own FFmpeg inside the wheel, so no system ffmpeg is needed, and it encodes frame by frame, so
memory stays flat however many frames a zoom has. GIF frames get their own 256-colour palette each (Pillow's
median cut), since FFmpeg's palette filters would need every frame up front.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from PIL import Image

from .errors import ImageReadError

VIDEO_FORMATS = {".mp4": "mp4", ".webm": "webm", ".gif": "gif", ".webp": "webp"}
MIME_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "gif": "image/gif", "webp": "image/webp"}
# codec, pixel format, options
_CODECS = {
    "mp4": ("libx264", "yuv420p", {"crf": "18", "preset": "medium"}),
    "webm": ("libvpx-vp9", "yuv420p", {"crf": "30", "b": "0"}),
    "gif": ("gif", "pal8", {}),
    "webp": ("libwebp_anim", "yuva420p", {"loop": "0", "quality": "90"}),
}


def output_kind(path: str | Path) -> str:
    """'mp4', 'webm', 'gif', 'webp', or 'frames' for a folder (a path without a video extension)."""
    suffix = Path(path).suffix.lower()
    if suffix in VIDEO_FORMATS:
        return VIDEO_FORMATS[suffix]
    if suffix:
        raise ImageReadError(f"Can't write a zoom to '{path}': use .mp4, .webm, .gif, .webp, or a folder for PNG frames.")
    return "frames"


class FrameWriter:
    """``with FrameWriter(path, fps) as out: out.write(frame)``; frames are (H, W, 3) floats in 0..1 or uint8."""

    def __init__(self, path: str | Path, fps: float = 24.0):
        self.path, self.fps, self.kind = Path(path), fps, output_kind(path)
        self.count = 0
        self._container = self._stream = None

    def __enter__(self) -> FrameWriter:
        if self.kind == "frames":
            self.path.mkdir(parents=True, exist_ok=True)
        elif not self.path.parent.is_dir():
            raise ImageReadError(f"Can't write '{self.path}': the folder '{self.path.parent}' does not exist.")
        return self

    def write(self, frame: np.ndarray) -> None:
        pixels = frame if frame.dtype == np.uint8 else (np.clip(frame, 0, 1) * 255 + 0.5).astype(np.uint8)
        if self.kind == "frames":
            Image.fromarray(pixels).save(self.path / f"frame_{self.count:05d}.png", compress_level=1)
        else:
            self._encode(pixels)
        self.count += 1

    def _encode(self, pixels: np.ndarray) -> None:
        height, width = pixels.shape[:2]
        if self._stream is None:
            codec, pix_fmt, options = _CODECS[self.kind]
            self._container = av.open(str(self.path), "w", format=self.kind)
            self._stream = self._container.add_stream(codec, rate=Fraction(self.fps).limit_denominator(1001), options=options)
            # H.264 and VP9 in 4:2:0 want even sizes; the last odd row or column is dropped.
            even = pix_fmt == "yuv420p"
            self._stream.width = width - width % 2 if even else width
            self._stream.height = height - height % 2 if even else height
            self._stream.pix_fmt = pix_fmt
        pixels = pixels[: self._stream.height, : self._stream.width]
        if self.kind == "gif":
            frame = av.VideoFrame.from_ndarray(_palette_frame(pixels), format="pal8")
        else:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._container is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
            self._container.close()


class BackgroundFrames:
    """``with BackgroundFrames(writer.write) as frames: frames.put(frame)``: each frame is handled on a thread of
    its own, up to ``depth`` frames behind, so the dream (on a GPU, 60 frames a second) never waits for an encoder
    (libx264 takes 10–20 ms for a 1024² frame). The handler's first error is raised in the caller, at the next
    ``put`` or on leaving the block; leaving the block because of an error drops the frames still waiting."""

    _DONE = object()

    def __init__(self, handle: Callable[[np.ndarray], None], depth: int = 4):
        self._handle = handle
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._dropping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dreamlayer-frames", daemon=True)

    def __enter__(self) -> BackgroundFrames:
        self._thread.start()
        return self

    def put(self, frame: np.ndarray) -> None:
        self._raise_error()
        self._queue.put(frame)

    def _run(self) -> None:
        while (frame := self._queue.get()) is not self._DONE:
            if self._error is None and not self._dropping.is_set():
                try:
                    self._handle(frame)
                except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                    self._error = error

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            self._dropping.set()
        self._queue.put(self._DONE)
        self._thread.join()
        if kind is None:
            self._raise_error()


def _palette_frame(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    quantized = Image.fromarray(pixels).quantize(256, method=Image.Quantize.MEDIANCUT)
    rgb = np.array(quantized.getpalette()[: 3 * 256], np.uint8).reshape(-1, 3)
    palette = np.zeros((256, 4), np.uint8)  # PyAV takes the pal8 palette as A, R, G, B bytes per entry
    palette[:, 0] = 255
    palette[: len(rgb), 1:] = rgb
    return np.asarray(quantized, np.uint8), palette
