"""Following a layer's channel atlas for the picker window, without freezing GIMP.

Every ``REFRESH_SECONDS`` a tick runs on a worker thread: the first one that gets through starts the managed server
if need be and ranks the picture; each one asks for the atlas (asking keeps the server making it, see
``dreamlayer_editor.atlas``) and fetches the pictures made since. Ticks never overlap, and each hands its outcome to
GTK's main loop (``GLib.idle_add``), which alone touches the widgets. While a tick runs, the worker owns the
picker's server state; the main loop reads it only once the tick is back, and changes nothing but the choice.

Polling stops when asked (the window closed), once every picture is in, or on an error that asking again would
not mend; a server out of reach is asked again, as it may be starting or come back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

from gi.repository import GLib

from dreamlayer_editor.atlas import REFRESH_SECONDS, ChannelPicker
from dreamlayer_editor.protocol import ClientError, ServerUnavailable
from gimp_dream import Region
from plugin_errors import DreamError
from server_connection import Connection


class Tick(NamedTuple):
    new: list[int]  # the channels whose pictures came in
    error: str | None  # for the artist, in words
    note: str | None  # about the ranking, when it could not be made


class AtlasFollower:
    def __init__(self, picker: ChannelPicker, connection: Connection, region: Region | None,
                 show: Callable[[Tick], None], say: Callable[[str], None]):
        self.picker, self.connection, self.region = picker, connection, region
        self._show, self._say = show, say
        self.ticks = 0  # ticks handed back so far
        self._ready = False  # the server answered, and the picture is ranked (or said why not)
        self._busy = self._stopped = False
        # A managed server starting says so (from the worker): shown on the main loop.
        connection.say = lambda text: GLib.idle_add(self._said, text)
        self._timer: int | None = GLib.timeout_add(int(REFRESH_SECONDS * 1000), self._on_timer)
        self._start()

    @property
    def polling(self) -> bool:
        return self._timer is not None

    def stop(self) -> None:
        """No more ticks; a tick under way finishes on its thread, and its outcome is dropped."""
        self._stopped = True
        self._stop_polling()

    def _on_timer(self) -> bool:
        if not self._busy:
            self._start()
        return True

    def _start(self) -> None:
        self._busy = True
        threading.Thread(target=self._tick, args=(self._ready,), name="dreamlayer-picker", daemon=True).start()

    def _tick(self, ready: bool) -> None:
        """On the worker thread."""
        new, error, lasting, note = [], None, False, None
        try:
            if not ready:
                self.connection.ensure_server()
            self.picker.refresh()
            if not ready and self.region is not None:
                note = self._rank()
            new = self.picker.fetch_new()
        except ServerUnavailable as exc:
            error = f"{self.connection.explain(exc)} Trying again…"
        except ClientError as exc:  # the server's answer (a network not downloaded, say): asking again won't help
            error, lasting = self.connection.explain(exc), True
        except DreamError as exc:  # the managed server could not be started
            error, lasting = str(exc), True
        except Exception as exc:  # noqa: BLE001 - words in the window, never a traceback
            error, lasting = f"The channel pictures could not be shown: {exc}", True
        GLib.idle_add(self._done, Tick(new, error, note), lasting)

    def _rank(self) -> str | None:
        """The picture's channels strongest first; a refusal (of its size, say) leaves them in channel order."""
        try:
            self.picker.rank(self.region.raw, self.region.mask)
        except ServerUnavailable:
            raise
        except ClientError as exc:
            return f"In channel order: {self.connection.explain(exc)}"
        return None

    def _done(self, tick: Tick, lasting: bool) -> bool:
        """On the main loop."""
        self._busy = False
        if self._stopped:
            return False
        self.ticks += 1
        self._ready = self._ready or tick.error is None
        everything_in = self.picker.finished and all(c in self.picker.pictures for c in self.picker.urls)
        if lasting or (tick.error is None and everything_in) or self.picker.error:
            self._stop_polling()
        self._show(tick)
        return False

    def _said(self, text: str) -> bool:
        if not self._stopped:
            self._say(text)
        return False

    def _stop_polling(self) -> None:
        if self._timer is not None:
            GLib.source_remove(self._timer)
            self._timer = None
