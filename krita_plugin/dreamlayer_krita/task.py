"""Server jobs started from Krita: the network part runs on a worker thread, so Krita never freezes.

Krita's API is only touched on the GUI thread (reading pixels before, adding the layer after); the worker thread
only talks to the server, and reports back through Qt signals, which Qt delivers on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from typing import Any, NamedTuple

from .adapter import add_result_layer, composite, import_frames_as_layer, layer_png, read_region
from .client import ClientError, DreamClient, JobResult, JobStatus, RawImage
from .qt import QObject, QtGui, pyqtSignal
from .records import DreamRecord, layer_label, node_id, remember
from .regions import UnsupportedDocument, raw_format

log = logging.getLogger("dreamlayer_krita")
# Should Krita die mid-dream, the server cancels the job once nobody has asked about it for this long.
LEASE_SECONDS = 30
# A zoom's frames become a layer's animation frames; the film the server also writes is not used, and WebP is the
# cheapest film to make.
ZOOM_FILM_FORMAT = "webp"


class DreamError(Exception):
    """A dream could not be made; the message is for the artist."""


class Finished(NamedTuple):
    """What the worker thread hands the GUI thread once a job is done."""

    status: JobStatus  # the final status: the settings that ran, the seed drawn
    output: Any  # what ``fetch`` got: the result's pixels, or a zoom's frame files


class ServerTask(QObject):
    """One job on the server: submit, follow, fetch; subclasses say what to send and what to do with the answer."""

    progress = pyqtSignal(object)  # JobStatus
    preview = pyqtSignal(object)  # QImage: the latest octave or zoom frame, and at the end the finished result
    finished = pyqtSignal(object)  # the new layer
    failed = pyqtSignal(str)
    _fetched = pyqtSignal(object)  # Finished
    _error = pyqtSignal(str)

    def __init__(self, client: DreamClient, document, node, params: dict[str, Any]):
        super().__init__()
        self.client, self.document, self.node = client, document, node
        self.params = {"lease": LEASE_SECONDS, **params}
        self.job_id: str | None = None
        self.new_layer = None
        self.error: str | None = None
        self.done = False
        self._cancel = threading.Event()
        self._fetched.connect(self._apply)
        self._error.connect(self._fail)

    def start(self) -> None:
        threading.Thread(target=self._work, name="dreamlayer-krita", daemon=True).start()

    def cancel(self) -> None:
        self._cancel.set()

    # -- on the worker thread ---------------------------------------------------------------------------------
    def submit(self) -> JobStatus:
        raise NotImplementedError

    def fetch(self, status: JobStatus) -> Any:
        raise NotImplementedError

    def on_progress(self, status: JobStatus) -> None:
        self.progress.emit(status)

    def show_png(self, png: bytes | None) -> None:
        if png:
            self.preview.emit(QtGui.QImage.fromData(png, "PNG"))  # QImage, unlike QPixmap, is fine off the GUI thread

    def _work(self) -> None:
        try:
            job = self.submit()
            self.job_id = job.id
            status = self.client.wait(job.id, on_progress=self.on_progress, should_cancel=self._cancel.is_set)
            self._fetched.emit(Finished(status, self.fetch(status)))
        except ClientError as exc:
            self._error.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - never a traceback in the editor; the log keeps it
            log.exception("dreamlayer: unexpected error")
            self._error.emit(f"Something unexpected went wrong: {exc}")

    # -- on the GUI thread --------------------------------------------------------------------------------------
    def apply(self, finished: Finished):
        raise NotImplementedError

    def _apply(self, finished: Finished) -> None:
        try:
            self.new_layer = self.apply(finished)
        except Exception as exc:  # noqa: BLE001
            log.exception("dreamlayer: could not add the layer")
            self._fail(f"The server finished, but the layer could not be added: {exc}")
            return
        self.done = True
        self.finished.emit(self.new_layer)

    def _fail(self, message: str) -> None:
        self.error, self.done = message, True
        self.failed.emit(message)


class DreamTask(ServerTask):
    """The node (inside the selection) dreamed into a new layer right above ``above`` (the node itself unless
    told otherwise), named after the preset and seed, with the settings that ran kept in the document."""

    def __init__(self, client: DreamClient, document, node, params: dict[str, Any], above=None):
        super().__init__(client, document, node, params)
        self.above = above or node
        self._shown_octaves = 0
        try:
            self.region = read_region(document, node)
        except UnsupportedDocument as exc:
            raise DreamError(str(exc)) from None

    def submit(self) -> JobStatus:
        bounds = self.region.bounds
        return self.client.submit(self.region.image, self.params, mask=self.region.mask,
                                  document=(self.document.width(), self.document.height()), position=(bounds.x, bounds.y))

    def on_progress(self, status: JobStatus) -> None:
        super().on_progress(status)
        finished_octaves = status.progress.octave - 1 if status.state == "running" else 0
        if finished_octaves > self._shown_octaves:  # one small PNG per octave: cheap
            self._shown_octaves = finished_octaves
            self.show_png(self.client.preview(status.id))

    def fetch(self, status: JobStatus) -> JobResult:
        return self.client.result(status.id)

    def apply(self, finished: Finished):
        result: JobResult = finished.output
        if not isinstance(result.image, RawImage):
            raise DreamError("The server sent an encoded picture where raw pixels were expected.")
        settings = finished.status.settings or {}
        preset = finished.status.preset or self.params.get("preset", "dream")
        layer = add_result_layer(self.document, self.above, self.region.bounds, result.image.data,
                                 layer_label(preset, settings.get("seed", result.seed)))
        remember(self.document, layer, DreamRecord("dream", preset, settings, node_id(self.node)))
        self.preview.emit(composite(self.document, self.region.bounds))
        return layer


class ZoomTask(ServerTask):
    """A zoom film from the layer (or from noise at the canvas size) into a new animated layer, a frame per frame."""

    def __init__(self, client: DreamClient, document, node, params: dict[str, Any]):
        super().__init__(client, document, node, {**params, "format": ZOOM_FILM_FORMAT})
        raw_format(document.colorModel(), document.colorDepth())  # the frames are written in it: refuse others now
        self.start_png = layer_png(document, node) if node is not None else None
        self._frames_dir = tempfile.mkdtemp(prefix="dreamlayer-zoom-")
        self._saved = 0

    def submit(self) -> JobStatus:
        return self.client.submit_zoom(self.params, self.start_png, self.document.width(), self.document.height())

    def on_progress(self, status: JobStatus) -> None:
        super().on_progress(status)
        self._save_frames(status.id, status.frames.done)

    def _save_frames(self, job_id: str, available: int) -> None:
        while self._saved < available:
            png = self.client.frame(job_id, self._saved)
            if png is None:
                return
            with open(os.path.join(self._frames_dir, f"frame_{self._saved:05d}.png"), "wb") as f:
                f.write(png)
            self.show_png(png)
            self._saved += 1

    def fetch(self, status: JobStatus) -> list[str]:
        self._save_frames(status.id, status.frames.done)
        return [os.path.join(self._frames_dir, f"frame_{i:05d}.png") for i in range(self._saved)]

    def apply(self, finished: Finished):
        files: list[str] = finished.output
        status = finished.status
        settings, preset = status.settings or {}, status.preset or self.params.get("preset", "dream")
        label = f"zoom, {layer_label(preset, settings.get('seed'))}"
        try:
            layer = import_frames_as_layer(self.document, self.node, files, self.params.get("fps"), label)
        finally:
            for path in files:
                os.remove(path)
            os.rmdir(self._frames_dir)
        source = node_id(self.node) if self.node is not None else None
        remember(self.document, layer, DreamRecord("zoom", preset, settings, source, status.film))
        return layer
