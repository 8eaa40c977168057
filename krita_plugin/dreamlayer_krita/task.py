"""One dream, from the layer to the new layer: the network part runs on a worker thread, so Krita never freezes.

Krita's API is only touched on the GUI thread (reading the region before, adding the layer after); the worker
thread only talks to the server, and reports back through Qt signals, which Qt delivers on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .adapter import Region, add_result_layer, read_region
from .client import ClientError, DreamClient, JobStatus, feature_scale
from .qt import QObject, pyqtSignal
from .regions import UnsupportedDocument

log = logging.getLogger("dreamlayer_krita")


class DreamError(Exception):
    """A dream could not be made; the message is for the artist."""


class DreamTask(QObject):
    progress = pyqtSignal(object)  # JobStatus
    preview = pyqtSignal(bytes)  # PNG of the latest octave
    finished = pyqtSignal(object)  # the new layer
    failed = pyqtSignal(str)
    _result_ready = pyqtSignal(bytes)
    _error = pyqtSignal(str)

    def __init__(self, client: DreamClient, document, node, params: dict[str, Any]):
        super().__init__()
        self.client, self.document, self.node = client, document, node
        self.params = dict(params)
        self.params.setdefault("scale", feature_scale(document.width(), document.height()))
        self.new_layer = None
        self.error: str | None = None
        self.done = False
        self._cancel = threading.Event()
        self._result_ready.connect(self._add_layer)
        self._error.connect(self._fail)
        try:
            self.region: Region = read_region(document, node)
        except UnsupportedDocument as exc:
            raise DreamError(str(exc)) from None

    def start(self) -> None:
        threading.Thread(target=self._work, name="dreamlayer-krita", daemon=True).start()

    def cancel(self) -> None:
        self._cancel.set()

    def _work(self) -> None:
        try:
            job = self.client.submit(self.region.image, self.params, mask=self.region.mask)
            shown = 0  # octaves whose preview was shown

            def on_progress(status: JobStatus) -> None:
                nonlocal shown
                self.progress.emit(status)
                finished_octaves = status.progress.octave - 1 if status.state == "running" else 0
                if finished_octaves > shown:  # one small PNG per octave: cheap
                    shown = finished_octaves
                    png = self.client.preview(job.id)
                    if png:
                        self.preview.emit(png)

            self.client.wait(job.id, on_progress=on_progress, should_cancel=self._cancel.is_set)
            result = self.client.result(job.id)
            self._result_ready.emit(result.data)
        except ClientError as exc:
            self._error.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - never a traceback in the editor; the log keeps it
            log.exception("dreamlayer: unexpected error")
            self._error.emit(f"Something unexpected went wrong: {exc}")

    def _add_layer(self, pixels: bytes) -> None:
        try:
            self.new_layer = add_result_layer(self.document, self.node, self.region.bounds, pixels, self.params.get("preset", "dream"))
        except Exception as exc:  # noqa: BLE001
            log.exception("dreamlayer: could not add the layer")
            self._fail(f"The dream finished, but the layer could not be added: {exc}")
            return
        self.done = True
        self.finished.emit(self.new_layer)

    def _fail(self, message: str) -> None:
        self.error, self.done = message, True
        self.failed.emit(message)
