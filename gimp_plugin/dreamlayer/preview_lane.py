"""The dream dialog's Preview on the server: its live lane (``dreamlayer_editor.live``), without freezing GIMP.

The dialog's server is reached on a thread (the managed one started if need be, as a dream would), then each ask is
offered to the lane: the newest wins, and one the server was still making stops. A timer on GTK's main loop picks
up the answers, and only the main loop calls back into the dialog. Another server in the dialog (its URL, token or
Python changed) starts the lane again there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from gi.repository import GLib

from dreamlayer_editor.live import LiveDreamer, LiveFailure, LiveResult
from dreamlayer_editor.protocol import RawImage, RawMask
from picker_inputs import dialog_connection
from plugin_errors import DreamError
from plugin_settings import PluginSettings
from server_connection import Connection

POLL_MS = 50  # how often the dialog looks for an answer while one is awaited
FORGET_SECONDS = 1.0  # the most a closing dialog waits for the server to let the lane go


class PreviewLane:
    def __init__(self, lane: str, settings: PluginSettings, show: Callable[[LiveResult], None],
                 fail: Callable[[str], None], say: Callable[[str], None]):
        self.lane, self.settings = lane, settings
        self._show, self._fail, self._say = show, fail, say
        self.connection: Connection | None = None
        self.dreamer: LiveDreamer | None = None
        self._wanted: tuple | None = None  # the newest ask, kept while the server is being reached
        self._reaching: Connection | None = None
        self._poll: int | None = None
        self.closed = False

    def ask(self, args: dict[str, Any], raw: RawImage, params: dict[str, Any], mask: RawMask | None,
            document: tuple[int, int], position: tuple[int, int], tag: Any) -> None:
        """A live dream of ``raw`` with ``params`` on the server the dialog's values ``args`` name."""
        self._wanted = (raw, params, mask, document, position, tag)
        if self.dreamer is not None:
            self._offer()
        elif self._reaching is None:
            self._reach(args)

    def busy(self) -> bool:
        """An ask waits for the server, or for its dream."""
        return self._wanted is not None or (self.dreamer is not None and self.dreamer.busy())

    def forget_server(self, wait: float = 0.0) -> None:
        """The dialog names another server (or token): the next ask reaches it."""
        if self.dreamer is not None:
            self.dreamer.close(wait)
        self.dreamer = self.connection = self._reaching = None

    def close(self) -> None:
        """No more asks; the server lets the lane go. The plug-in may exit right after the dialog closes, so this
        waits (up to FORGET_SECONDS) for the server to hear it."""
        self.closed = True
        if self._poll is not None:
            GLib.source_remove(self._poll)
            self._poll = None
        self.forget_server(FORGET_SECONDS)

    def _reach(self, args: dict[str, Any]) -> None:
        try:
            connection = dialog_connection(args, self.settings)
        except ValueError as exc:  # a Server URL that does not read
            self._wanted = None
            self._fail(str(exc))
            return
        self._reaching = connection
        connection.say = lambda text: GLib.idle_add(self._said, text)
        self._say("Reaching the dream server…")

        def reach() -> None:
            error = None
            try:
                connection.ensure_server()
            except DreamError as exc:
                error = str(exc)
            GLib.idle_add(self._reached, connection, error)

        threading.Thread(target=reach, name="dreamlayer-preview-server", daemon=True).start()

    def _reached(self, connection: Connection, error: str | None) -> bool:
        if self.closed or connection is not self._reaching:  # closed, or another server asked for meanwhile
            return False
        self._reaching = None
        if error is not None:
            self._wanted = None
            self._fail(error)
            return False
        self.connection = connection
        self.dreamer = LiveDreamer(connection.client, self.lane)
        self._offer()
        return False

    def _offer(self) -> None:
        if self._wanted is None or self.dreamer is None:
            return
        raw, params, mask, document, position, tag = self._wanted
        self._wanted = None
        self.dreamer.offer(raw, params, mask, document, position, tag=tag)
        self._say("Dreaming…")
        if self._poll is None:
            self._poll = GLib.timeout_add(POLL_MS, self._take)

    def _take(self) -> bool:
        if self.closed or self.dreamer is None:
            self._poll = None
            return False
        answer = self.dreamer.take()
        if isinstance(answer, LiveFailure):
            self._fail(self.connection.explain(answer.error))
        elif isinstance(answer, LiveResult):
            self._show(answer)
        if answer is None and not self.dreamer.busy():
            self._poll = None
            return False
        return True

    def _said(self, text: str) -> bool:
        if not self.closed:
            self._say(text)
        return False
