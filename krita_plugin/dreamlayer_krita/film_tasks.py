"""Jobs whose answer is frames: a zoom film, and a dreamed animation. Each frame is fetched as soon as the server
has made it (and shown in the preview); once all are there they become one new animated layer (frames.py).

*Dream the animation* dreams the keyframes of the active animated layer inside the clip range: one dreamed frame
per drawing, keyed at the drawing's time, so the animator's timing (drawings held for two or three frames, a
clip that starts later) is kept; a dreamed frame keeps its drawing's transparency, as a still dream does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from dreamlayer_editor.layers import layer_label
from dreamlayer_editor.records import LayerRecord
from dreamlayer_editor.protocol import JobStatus
from dreamlayer_editor.wire import encode_png

from .adapter import read_zoom_start
from .frames import Frame, SourceFrames, build_animated_layer, import_frames_as_layer, read_animation
from .records import node_id, remember
from .regions import UnsupportedDocument, alpha8, raw_format, timeline, to_rgba8
from .task import DreamError, Finished, ServerTask

# A film's frames become a layer's animation frames; the film the server also writes is not used, and WebP is the
# cheapest film to make.
FILM_FORMAT = "webp"


class FramesTask(ServerTask):
    """A job whose frames are saved to a temporary folder as they are made, then turned into an animated layer."""

    def __init__(self, link, document, node, params: dict[str, Any]):
        super().__init__(link, document, node, {**params, "format": FILM_FORMAT})
        self._frames_dir = tempfile.mkdtemp(prefix="dreamlayer-frames-")
        self._saved = 0

    def restart(self) -> None:
        self._saved = 0  # the job sent again makes its frames afresh: the saved ones are overwritten

    def on_progress(self, status: JobStatus) -> None:
        super().on_progress(status)
        self._save_frames(status.id, status.frames.done)

    def _save_frames(self, job_id: str, available: int) -> None:
        while self._saved < available:
            png = self.client.frame(job_id, self._saved)
            if png is None:
                return
            with open(self._path(self._saved), "wb") as f:
                f.write(png)
            self.show_png(png)
            self._saved += 1

    def _path(self, index: int) -> str:
        return os.path.join(self._frames_dir, f"frame_{index:05d}.png")

    def fetch(self, status: JobStatus) -> list[str]:
        self._save_frames(status.id, status.frames.done)
        self.client.delete(status.id)  # every frame is saved here: the server's copy can go now
        return [self._path(i) for i in range(self._saved)]

    def apply(self, finished: Finished):
        try:
            return self.make_layer(finished)
        finally:
            shutil.rmtree(self._frames_dir, ignore_errors=True)

    def _fail(self, message: str) -> None:
        shutil.rmtree(self._frames_dir, ignore_errors=True)
        super()._fail(message)

    def drop(self, message: str) -> None:
        shutil.rmtree(self._frames_dir, ignore_errors=True)  # never sent: nothing was saved there
        super().drop(message)

    def make_layer(self, finished: Finished):
        raise NotImplementedError


class ZoomTask(FramesTask):
    """A zoom film from the layer (or from noise at the canvas size) into a new animated layer, a frame per frame."""

    def __init__(self, link, document, node, params: dict[str, Any]):
        raw_format(document.colorModel(), document.colorDepth())  # the frames are written in it: refuse others now
        start = read_zoom_start(document, node) if node is not None else None
        super().__init__(link, document, node, params)
        self.zoom_start = start  # not `start`: that is what runs the task

    def submit(self) -> JobStatus:  # on the worker thread: encoding a float layer takes a while
        width, height = self.document.width(), self.document.height()
        self.client.check_film("zoom film", self.params.get("frames"), width, height)  # the server's caps, first
        start_png = self.zoom_start.png() if self.zoom_start is not None else None
        return self.client.submit_zoom(self.params, start_png, width, height)

    def make_layer(self, finished: Finished):
        status = finished.status
        settings, preset = status.settings or {}, status.preset or self.params.get("preset", "dream")
        label = layer_label(preset, settings.get("seed"))
        layer = import_frames_as_layer(self.document, self.node, finished.output, self.params.get("fps"), label)
        source = node_id(self.node) if self.node is not None else None
        remember(self.document, layer, LayerRecord(settings, preset, "zoom", status.film, source))
        return layer


class AnimationTask(FramesTask):
    """The active animated layer's drawings in the clip range, dreamed as a video (each frame carries the last
    one's dream along the motion), into a new animated layer right above it with the same timing."""

    def __init__(self, link, document, node, params: dict[str, Any]):
        try:
            self.source: SourceFrames = read_animation(document, node)
            raw_format(document.colorModel(), document.colorDepth())  # the frames are written in it
        except UnsupportedDocument as exc:
            raise DreamError(str(exc)) from None
        super().__init__(link, document, node, {**params, "fps": document.framesPerSecond()})  # its timing stays
        self._alphas: list[bytes] = []

    def submit(self) -> JobStatus:
        source = self.source
        pngs, self._alphas = [], []
        for pixels in source.pixels:  # encoding here, off the GUI thread: float depths take a while
            pngs.append(encode_png(source.width, source.height, to_rgba8(pixels, source.layout, source.depth)))
            self._alphas.append(alpha8(pixels, source.layout, source.depth))
        self.client.check_film("animation", len(pngs), source.width, source.height, sum(map(len, pngs)))
        return self.client.submit_video(pngs, self.params)

    def make_layer(self, finished: Finished):
        files: list[str] = finished.output
        if len(files) != len(self.source.times):
            raise DreamError(f"The server sent {len(files)} frames for {len(self.source.times)} drawings.")
        status = finished.status
        settings, preset = status.settings or {}, status.preset or self.params.get("preset", "dream")
        frames = [Frame(path, alpha) for path, alpha in zip(files, self._alphas)]
        label = layer_label(preset, settings.get("seed"))
        layer = build_animated_layer(self.document, self.node, timeline(self.source.times, frames), label)
        remember(self.document, layer, LayerRecord(settings, preset, "animation", status.film, node_id(self.node)))
        return layer
