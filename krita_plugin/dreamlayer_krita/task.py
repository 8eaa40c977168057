"""Server jobs started from Krita: the network part runs on a worker thread, so Krita never freezes.

Krita's API is only touched on the GUI thread (reading pixels before, adding the layer after); the worker thread
only talks to the server (starting the managed one first if nothing answers), and reports back through Qt
signals, which Qt delivers on the GUI thread.

Nothing is lost: a job the server forgot (it restarted, or stopped answering mid-way, or let the result go) is
sent again once, automatically, to the server that answers then (the managed one is started again), and the
artist is told. A job that fails adds nothing: the document stays exactly as it was.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, NamedTuple

from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.follow import losses_as_lost_jobs, send_again_once
from dreamlayer_editor.layers import layer_label
from dreamlayer_editor.records import LayerRecord
from dreamlayer_editor.protocol import ClientError, JobLost, JobResult, JobStatus, RawImage

from .adapter import LayerPixels, Region, VariationGroup, add_result_layer, can_mask, composite, landing_spot, read_region
from .qt import QObject, QtGui, pyqtSignal
from .records import node_id, remember
from .regions import UnsupportedDocument, cut_out

log = logging.getLogger("dreamlayer_krita")
# Should Krita die mid-dream, the server cancels the job once nobody has asked about it for this long.
LEASE_SECONDS = 30
SENT_AGAIN = "The server restarted; the dream was sent again."
CANCELLED = "The dream was cancelled."


class DreamError(Exception):
    """A dream could not be made; the message is for the artist."""


class Finished(NamedTuple):
    """What the worker thread hands the GUI thread once a job is done."""

    status: JobStatus  # the final status: the settings that ran, the seed drawn
    output: Any  # what ``fetch`` got: the result's pixels, or a film's frame files


class ServerTask(QObject):
    """One job on the server: submit, follow, fetch; subclasses say what to send and what to do with the answer.

    ``link`` gives the client (server_link.ServerLink, or FixedServer for a script's URL)."""

    progress = pyqtSignal(object)  # JobStatus
    preview = pyqtSignal(object)  # QImage: the latest octave or frame, and at the end the finished result
    notice = pyqtSignal(str)  # what the artist should know meanwhile: the dream was sent again
    finished = pyqtSignal(object)  # the new layer
    failed = pyqtSignal(str)
    _fetched = pyqtSignal(object)  # Finished
    _error = pyqtSignal(str)

    def __init__(self, link, document, node, params: dict[str, Any]):
        super().__init__()
        self.link, self.document, self.node = link, document, node
        self.params = {"lease": LEASE_SECONDS, **params}
        self.client: DreamClient | None = None
        self.title = ""  # what the progress line starts with, in a batch: "Variation 2 of 4"
        self.job_id: str | None = None
        self.new_layer = None
        self.status: JobStatus | None = None  # the final status once done: the settings that ran, the seed drawn
        self.error: str | None = None
        self.notes: list[str] = []  # what the artist was told meanwhile; said again with the outcome
        self.done = False
        self._cancel = threading.Event()
        self._fetched.connect(self._apply)
        self._error.connect(self._fail)

    def start(self) -> None:
        threading.Thread(target=self._work, name="dreamlayer-krita", daemon=True).start()

    def cancel(self) -> None:
        self._cancel.set()

    def drop(self, message: str) -> None:
        """Never sent (cancelled while waiting its turn): done, with this message."""
        self.error, self.done = message, True

    # -- on the worker thread ---------------------------------------------------------------------------------
    def submit(self) -> JobStatus:
        raise NotImplementedError

    def fetch(self, status: JobStatus) -> Any:
        raise NotImplementedError

    def restart(self) -> None:
        """Forget what a lost job left behind, before it is sent again."""

    def on_progress(self, status: JobStatus) -> None:
        self.progress.emit(status)

    def show_png(self, png: bytes | None) -> None:
        if png:
            self.preview.emit(QtGui.QImage.fromData(png, "PNG"))  # QImage, unlike QPixmap, is fine off the GUI thread

    def _work(self) -> None:
        try:
            self.client = self.link.ready()
            if self._cancel.is_set():  # cancelled while the server was starting
                raise ClientError(CANCELLED, "cancelled")
            self._fetched.emit(send_again_once(self._attempt, self._before_again))
        except ClientError as exc:
            self._error.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - never a traceback in the editor; the log keeps it
            log.exception("dreamlayer: unexpected error")
            self._error.emit(f"Something unexpected went wrong: {exc}")

    def _attempt(self) -> Finished:
        """Submit, follow and fetch once; a server that forgot the job or went away once it took it is JobLost."""
        with losses_as_lost_jobs(submitted=lambda: self.job_id is not None):
            job = self.submit()
            self.job_id = job.id
            status = self.client.wait(job.id, on_progress=self.on_progress, should_cancel=self._cancel.is_set)
            return Finished(status, self.fetch(status))

    def _before_again(self, lost: JobLost) -> None:
        if self._cancel.is_set():
            raise ClientError(CANCELLED, "cancelled")
        log.warning("dreamlayer: job %s lost (%s); sending it again", self.job_id, lost)
        self.notes.append(SENT_AGAIN)
        self.notice.emit(SENT_AGAIN)
        self.restart()
        self.client = self.link.ready(after_loss=True)

    # -- on the GUI thread --------------------------------------------------------------------------------------
    def apply(self, finished: Finished):
        raise NotImplementedError

    def _apply(self, finished: Finished) -> None:
        self.status = finished.status  # the server forgot the job once its result was fetched
        try:
            self.new_layer = self.apply(finished)
        except Exception as exc:  # noqa: BLE001
            log.exception("dreamlayer: could not add the layer")
            self._fail(f"The server finished, but the layer could not be added: {exc}")
            return
        self.done = True
        self.finished.emit(self.new_layer)

    def _fail(self, message: str) -> None:
        if not self._cancel.is_set() or message != CANCELLED:
            log.warning("dreamlayer: %s", message)
        self.error, self.done = message, True
        self.failed.emit(message)


class DreamTask(ServerTask):
    """The node (inside the selection) dreamed into a new layer named after its seed and preset, with the settings
    that ran kept in the document. It lands above the source and the dreams already made from it
    (adapter.landing_spot), or right above ``above`` when a script says so; a selection's dream is masked by the
    selection. With a guide, the dream reaches for the guide's features; in a batch of variations, the layer lands
    in their group."""

    def __init__(self, link, document, node, params: dict[str, Any], above=None,
                 guide: LayerPixels | None = None, batch: VariationGroup | None = None, region: Region | None = None):
        super().__init__(link, document, node, params)
        self.above, self.guide, self.batch = above, guide, batch
        self._shown_octaves = 0
        try:
            self.region: Region = region or read_region(document, node)  # variations share one reading
        except UnsupportedDocument as exc:
            raise DreamError(str(exc)) from None

    def submit(self) -> JobStatus:
        bounds = self.region.bounds
        return self.client.submit(self.region.image, self.params, mask=self.region.mask,
                                  guide=self.guide.png() if self.guide is not None else None,
                                  document=(self.document.width(), self.document.height()), position=(bounds.x, bounds.y))

    def restart(self) -> None:
        self._shown_octaves = 0

    def on_progress(self, status: JobStatus) -> None:
        super().on_progress(status)
        finished_octaves = status.progress.octave - 1 if status.state == "running" else 0
        if finished_octaves > self._shown_octaves:  # one small PNG per octave: cheap
            self._shown_octaves = finished_octaves
            self.show_png(self.client.preview(status.id))

    def fetch(self, status: JobStatus) -> JobResult:
        result = self.client.result(status.id, forget=True)
        mask = self.region.mask
        if mask is not None and isinstance(result.image, RawImage) and not can_mask(self.document):
            image = result.image  # no transparency mask in this Krita: the selection goes into the layer's alpha
            result = result._replace(image=image._replace(data=cut_out(image.data, image.layout, image.depth, mask.data)))
        return result

    def apply(self, finished: Finished):
        result: JobResult = finished.output
        if not isinstance(result.image, RawImage):
            raise DreamError("The server sent an encoded picture where raw pixels were expected.")
        settings = finished.status.settings or {}
        preset = finished.status.preset or self.params.get("preset", "dream")
        label = layer_label(preset, settings.get("seed", result.seed))
        selection = self.region.mask if can_mask(self.document) else None
        if self.batch is not None:
            layer = self.batch.add(self.document, self.node, self.region.bounds, result.image.data, label, selection)
        else:
            above = self.above or landing_spot(self.document, self.node)
            layer = add_result_layer(self.document, above, self.region.bounds, result.image.data, label, selection)
        remember(self.document, layer, LayerRecord(settings, preset, "dream", source=node_id(self.node)))
        self.preview.emit(composite(self.document, self.region.bounds))
        return layer
