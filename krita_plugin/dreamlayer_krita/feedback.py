"""What the docker shows of the dreams, document by document: the bar, the message, the preview and the dreams
waiting. A dream's progress and preview belong to the document it was made from; switching documents shows that
document's own, so a preview of one picture never sits beside another.
"""

from __future__ import annotations

from typing import NamedTuple

from krita import Krita

from dreamlayer_editor.protocol import JobStatus

from .progress_words import progress_text
from .qt import QObject

BAR_STEPS = 1000


class View(NamedTuple):
    bar: int = 0
    message: str = ""
    image: object = None  # QImage


def document_key(document) -> str | None:
    """A document's identity across libkis wrappers: its root node's id (None once it is closed: no root)."""
    root = document.rootNode() if document is not None else None
    return root.uniqueId().toString() if root is not None else None


class Feedback(QObject):
    """A QObject child of the docker: when Krita deletes the docker (it quits), Qt disconnects the lineup's signals
    from it, so nothing writes into the widgets that went with the docker."""

    def __init__(self, docker, bar, message, preview, waiting, lineup):
        super().__init__(docker)
        self.bar, self.message, self.preview, self.waiting, self.lineup = bar, message, preview, waiting, lineup
        self.views: dict[str | None, View] = {}
        self._shown: str | None = None  # the document whose view is shown (canvasChanged says)
        bar.setRange(0, BAR_STEPS)
        lineup.started.connect(self.started)
        lineup.progress.connect(self.progress)
        lineup.preview.connect(self.show_preview)
        lineup.notice.connect(self.notice)
        lineup.ended.connect(self.ended)
        lineup.waiting.connect(self.waiting_changed)

    def say(self, text: str) -> None:
        """A message about no dream in particular (the server, a mistake): shown, and kept with this document."""
        self._set(self._active(), message=text)

    def show_active(self, document) -> None:
        """``document`` is the active one now: its own bar, message and preview, and its dreams waiting."""
        self._shown = document_key(document)
        self._show(self.views.get(self._shown, View()))
        self._show_waiting()

    def started(self, task) -> None:
        self._set(document_key(task.document), bar=0, image=None,
                  message=f"{task.title}: sending..." if task.title else "Dreaming...")

    def progress(self, status: JobStatus) -> None:
        task = self.lineup.running
        text = f"{task.title}: {progress_text(status)}" if task is not None and task.title else progress_text(status)
        self._running(bar=round(status.fraction * BAR_STEPS), message=text)

    def show_preview(self, image) -> None:
        self._running(image=image)

    def notice(self, text: str) -> None:
        self._running(message=text)

    def waiting_changed(self, _count: int) -> None:
        self._show_waiting()

    def ended(self, task, added: bool, message: str) -> None:
        changes = {"bar": BAR_STEPS} if added else {"bar": 0, "image": None}  # a preview of nothing added misleads
        self._set(document_key(task.document), message=f"{task.title}: {message}" if task.title else message, **changes)

    def _running(self, **changes) -> None:
        if self.lineup.running is not None:
            self._set(document_key(self.lineup.running.document), **changes)

    def _set(self, key: str | None, **changes) -> None:
        view = self.views.get(key, View())._replace(**changes)
        self.views[key] = view
        if key == self._active():
            self._show(view)

    def _show(self, view: View) -> None:
        self.bar.setValue(view.bar)
        self.message.setText(view.message)
        self.message.setVisible(bool(view.message))
        self.preview.show_image(view.image)

    def _show_waiting(self) -> None:
        active = self._active()
        count = sum(1 for task in self.lineup.queued if document_key(task.document) == active)
        self.waiting.setText(f"{count} more waiting (Cancel drops them)." if count else "")
        self.waiting.setVisible(count > 0)

    def _active(self) -> str | None:
        """The document shown: the one the last canvas change named (Krita's active document may lag behind
        it), else Krita's active one."""
        return self._shown if self._shown is not None else document_key(Krita.instance().activeDocument())
