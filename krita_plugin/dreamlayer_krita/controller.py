"""What the docker and the actions share: the settings, the running dream, and the server's model list."""

from __future__ import annotations

import os
import threading
from typing import Any

from krita import Krita

from . import settings as settings_store
from .client import ClientError, DreamClient
from .qt import QObject, app_data_dir, pyqtSignal
from .regions import UnsupportedDocument
from .task import DreamError, DreamTask, ServerTask, ZoomTask


class Controller(QObject):
    message = pyqtSignal(str)  # a readable status or error line for the docker
    running = pyqtSignal(bool)
    progress = pyqtSignal(object)  # JobStatus
    preview = pyqtSignal(bytes)
    server_info = pyqtSignal(object)  # /v1/models, or None when the server can't be reached
    _checked = pyqtSignal(object, str)

    def __init__(self, settings_path: str):
        super().__init__()
        self.settings_path = settings_path
        self.settings = settings_store.load(settings_path)
        self.task: ServerTask | None = None
        self._checked.connect(self._on_checked)

    def save_settings(self) -> None:
        settings_store.save(self.settings, self.settings_path)

    def client(self, server_url: str | None = None) -> DreamClient:
        return DreamClient(server_url or self.settings.server_url, self.settings.token or None)

    def dream_active(self) -> DreamTask | None:
        """The Dream button and action: the active layer of the active document, with the docker's settings."""
        document = Krita.instance().activeDocument()
        if document is None:
            self.message.emit("Open an image first.")
            return None
        try:
            return self.dream(document, document.activeNode(), self.settings.dream_params())
        except DreamError as exc:
            self.message.emit(str(exc))
            return None

    def zoom_active(self, from_noise: bool = False) -> ZoomTask | None:
        """The Zoom action: a zoom film of the active layer (or of noise) with the docker's settings."""
        document = Krita.instance().activeDocument()
        if document is None:
            self.message.emit("Open an image first.")
            return None
        try:
            return self.zoom(document, None if from_noise else document.activeNode(), self.settings.zoom_params())
        except DreamError as exc:
            self.message.emit(str(exc))
            return None

    def dream(self, document, node, params: dict[str, Any], server_url: str | None = None) -> DreamTask:
        return self._start(DreamTask, document, node, params, server_url)

    def zoom(self, document, node, params: dict[str, Any], server_url: str | None = None) -> ZoomTask:
        return self._start(ZoomTask, document, node, params, server_url)

    def _start(self, kind, document, node, params: dict[str, Any], server_url: str | None):
        if self.task is not None and not self.task.done:
            raise DreamError("A dream is already running; wait for it or cancel it.")
        try:
            task = kind(self.client(server_url), document, node, params)
        except UnsupportedDocument as exc:
            raise DreamError(str(exc)) from None
        task.progress.connect(self.progress)
        task.preview.connect(self.preview)
        task.finished.connect(lambda layer: self._ended(f"Added the layer '{layer.name()}'."))
        task.failed.connect(self._ended)
        self.task = task
        self.running.emit(True)
        self.message.emit("Dreaming...")
        task.start()
        return task

    def cancel(self) -> None:
        if self.task is not None and not self.task.done:
            self.task.cancel()
            self.message.emit("Cancelling...")

    def check_server(self) -> None:
        """Fetch the server's models and presets in the background; answers through ``server_info``."""
        client = self.client()

        def work() -> None:
            try:
                self._checked.emit(client.models(), "")
            except ClientError as exc:
                self._checked.emit(None, str(exc))

        threading.Thread(target=work, name="dreamlayer-check", daemon=True).start()

    def _on_checked(self, info, error: str) -> None:
        self.server_info.emit(info)
        self.message.emit("Connected." if info is not None else f"Disconnected: {error}")

    def _ended(self, message: str) -> None:
        self.running.emit(False)
        self.message.emit(message)


_controller: Controller | None = None


def controller() -> Controller:
    global _controller
    if _controller is None:
        _controller = Controller(os.path.join(app_data_dir(), "dreamlayer", "settings.json"))
    return _controller
