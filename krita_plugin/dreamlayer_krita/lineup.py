"""The dreams the artist asked for, one on the server at a time, the others waiting here in the order asked.

Pressing Dream while a dream runs queues the new one: its pixels are read at the press (the picture as it was
then), and it is sent once the ones before it have ended. The server would queue them too, but only a few (its
``--max-queued``), and a batch of variations can be longer. Cancel stops the running dream and drops every
waiting one: the whole batch, and anything queued after it. Each ended dream says so through ``ended``.
"""

from __future__ import annotations

from .qt import QObject, pyqtSignal
from .task import ServerTask


class Lineup(QObject):
    started = pyqtSignal(object)  # the task now running
    progress = pyqtSignal(object)  # the running task's JobStatus
    preview = pyqtSignal(object)  # QImage
    notice = pyqtSignal(str)  # something the artist should know while it runs (the server was started, restarted)
    ended = pyqtSignal(object, bool, str)  # the task, whether it added its layer, and what happened
    waiting = pyqtSignal(int)  # how many wait behind the running one
    busy = pyqtSignal(bool)  # whether anything runs or waits

    def __init__(self):
        super().__init__()
        self.running: ServerTask | None = None
        self.queued: list[ServerTask] = []

    def add(self, tasks: list[ServerTask]) -> None:
        self.queued += tasks
        if self.running is None:
            self.busy.emit(True)
            self._next()
        else:
            self.waiting.emit(len(self.queued))

    def cancel(self) -> bool:
        """Stop the running dream and drop the waiting ones; False if there was nothing to cancel."""
        dropped, self.queued = self.queued, []
        for task in dropped:
            task.drop("Cancelled before it started.")
            self.ended.emit(task, False, task.error)
        if self.running is not None:
            self.running.cancel()
        self.waiting.emit(0)
        return bool(dropped) or self.running is not None

    def _next(self) -> None:
        if not self.queued:
            self.running = None
            self.waiting.emit(0)
            self.busy.emit(False)
            return
        task = self.running = self.queued.pop(0)
        self.waiting.emit(len(self.queued))
        task.progress.connect(self.progress)
        task.preview.connect(self.preview)
        task.notice.connect(self.notice)
        task.finished.connect(lambda layer: self._end(task, True, f"Added the layer '{layer.name()}'."))
        task.failed.connect(lambda message: self._end(task, False, message))
        self.started.emit(task)
        task.start()

    def _end(self, task: ServerTask, added: bool, message: str) -> None:
        if task.notes:
            message = f"{message} ({' '.join(task.notes)})"
        self.ended.emit(task, added, message)
        if task is self.running:
            self._next()
