"""Server jobs started from Krita: the network part runs on a worker thread, so Krita never freezes.

Krita's API is only touched on the GUI thread (reading pixels before, adding the layer after); the worker thread
only talks to the server, and reports back through Qt signals, which Qt delivers on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from typing import Any

from .adapter import add_result_layer, import_frames_as_layer, layer_png, read_region
from .client import ClientError, DreamClient, JobStatus, feature_scale
from .qt import QObject, pyqtSignal
from .regions import UnsupportedDocument, raw_format

log = logging.getLogger("dreamlayer_krita")
# Should Krita die mid-dream, the server cancels the job once nobody has asked about it for this long.
LEASE_SECONDS = 30


class DreamError(Exception):
    """A dream could not be made; the message is for the artist."""


class ServerTask(QObject):
    """One job on the server: submit, follow, fetch; subclasses say what to send and what to do with the answer."""

    progress = pyqtSignal(object)  # JobStatus
    preview = pyqtSignal(bytes)  # PNG: the latest octave, or the latest zoom frame
    finished = pyqtSignal(object)  # the new layer
    failed = pyqtSignal(str)
    _fetched = pyqtSignal(object)
    _error = pyqtSignal(str)

    def __init__(self, client: DreamClient, document, node):
        super().__init__()
        self.client, self.document, self.node = client, document, node
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

    def fetch(self, job_id: str) -> Any:
        raise NotImplementedError

    def on_progress(self, job_id: str, status: JobStatus) -> None:
        self.progress.emit(status)

    def _work(self) -> None:
        try:
            job = self.submit()
            self.client.wait(job.id, on_progress=lambda status: self.on_progress(job.id, status), should_cancel=self._cancel.is_set)
            self._fetched.emit(self.fetch(job.id))
        except ClientError as exc:
            self._error.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - never a traceback in the editor; the log keeps it
            log.exception("dreamlayer: unexpected error")
            self._error.emit(f"Something unexpected went wrong: {exc}")

    # -- on the GUI thread --------------------------------------------------------------------------------------
    def apply(self, fetched: Any):
        raise NotImplementedError

    def _apply(self, fetched: Any) -> None:
        try:
            self.new_layer = self.apply(fetched)
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
    """The active layer (inside the selection) dreamed into a new layer above it."""

    def __init__(self, client: DreamClient, document, node, params: dict[str, Any]):
        super().__init__(client, document, node)
        self.params = {"lease": LEASE_SECONDS, **params}
        self.params.setdefault("scale", feature_scale(document.width(), document.height()))
        self._shown_octaves = 0
        try:
            self.region = read_region(document, node)
        except UnsupportedDocument as exc:
            raise DreamError(str(exc)) from None

    def submit(self) -> JobStatus:
        return self.client.submit(self.region.image, self.params, mask=self.region.mask)

    def on_progress(self, job_id: str, status: JobStatus) -> None:
        super().on_progress(job_id, status)
        finished_octaves = status.progress.octave - 1 if status.state == "running" else 0
        if finished_octaves > self._shown_octaves:  # one small PNG per octave: cheap
            self._shown_octaves = finished_octaves
            png = self.client.preview(job_id)
            if png:
                self.preview.emit(png)

    def fetch(self, job_id: str) -> bytes:
        return self.client.result(job_id).data

    def apply(self, pixels: bytes):
        return add_result_layer(self.document, self.node, self.region.bounds, pixels, self.params.get("preset", "dream"))


class ZoomTask(ServerTask):
    """A zoom film from the layer (or from noise at the canvas size) into a new animated layer, a frame per frame."""

    def __init__(self, client: DreamClient, document, node, params: dict[str, Any]):
        super().__init__(client, document, node)
        self.params = {"lease": LEASE_SECONDS, **params}
        self.params.setdefault("format", "webp")  # the film itself is not used here; webp is the cheapest to make
        raw_format(document.colorModel(), document.colorDepth())  # the frames are written in it: refuse others now
        self.start_png = layer_png(document, node) if node is not None else None
        self._frames_dir = tempfile.mkdtemp(prefix="dreamlayer-zoom-")
        self._saved = 0

    def submit(self) -> JobStatus:
        return self.client.submit_zoom(self.params, self.start_png, self.document.width(), self.document.height())

    def on_progress(self, job_id: str, status: JobStatus) -> None:
        super().on_progress(job_id, status)
        self._save_frames(job_id, status.raw.get("frames_done", 0))

    def _save_frames(self, job_id: str, available: int) -> None:
        while self._saved < available:
            png = self.client.frame(job_id, self._saved)
            if png is None:
                return
            with open(os.path.join(self._frames_dir, f"frame_{self._saved:05d}.png"), "wb") as f:
                f.write(png)
            self.preview.emit(png)
            self._saved += 1

    def fetch(self, job_id: str) -> list[str]:
        self._save_frames(job_id, self.client.status(job_id).raw.get("frames_done", 0))
        return [os.path.join(self._frames_dir, f"frame_{i:05d}.png") for i in range(self._saved)]

    def apply(self, files: list[str]):
        try:
            return import_frames_as_layer(self.document, self.node, files, self.params.get("fps"))
        finally:
            for path in files:
                os.remove(path)
            os.rmdir(self._frames_dir)
