"""The channel picker's talks with the server, off Krita's GUI thread: one round at a time on a worker thread, its
outcome handed back through Qt signals (which Qt delivers on the GUI thread), so Krita never waits on the network.

A round is one of: reaching the server (the managed one is started if nothing answers, as Dream does) and a first
look at the atlas; ranking the active layer's channels; and, every ``REFRESH_SECONDS`` while the picker is open,
asking for the atlas again (which keeps the server making it) and fetching the pictures made since. The pictures
are decoded into QImages on the worker thread (QImage, unlike QPixmap, is fine there).

Only the worker writes the picker's server-side state (its states, urls, pictures, ranking), and only one round
runs at a time; the GUI thread only reads it, looking a picture up by channel, never iterating the dict a worker
fills. The artist's choice (``chosen``) is the GUI thread's alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from dreamlayer_editor.atlas import ChannelPicker
from dreamlayer_editor.protocol import ClientError

from .adapter import Region
from .qt import QObject, QtGui, pyqtSignal

log = logging.getLogger("dreamlayer_krita")
FETCHED_PER_ROUND = 48  # pictures fetched in one round: a made atlas fills in within a few rounds, strongest first
START, RANK, LOOK = "start", "rank", "look"


def decoded(pictures: dict[int, bytes], channels: list[int]) -> dict[int, QtGui.QImage]:
    """The channels' PNG bytes as QImages (a picture that does not decode is left out: its placeholder stays)."""
    images = {}
    for channel in channels:
        image = QtGui.QImage.fromData(pictures[channel], "PNG")
        if not image.isNull():
            images[channel] = image
    return images


class AtlasRounds(QObject):
    """The rounds of one picker; ``done(kind, new pictures)`` or ``failed(kind, message)`` after each."""

    done = pyqtSignal(str, object)  # START, RANK or LOOK; {channel: QImage} fetched in that round
    failed = pyqtSignal(str, str)  # the round's kind, and a message for the artist (never a traceback)

    def __init__(self, link, picker: ChannelPicker):
        super().__init__()
        self.link, self.picker = link, picker
        self.busy = False
        self.stopped = False  # the picker closed: late answers are dropped
        self.done.connect(self._finished)
        self.failed.connect(lambda _kind, _message: self._finished())

    def start(self) -> bool:
        """Reach the server (starting the managed one if need be) and look at the atlas once."""

        def work() -> dict:
            self.picker.client = self.link.ready()
            self.picker.refresh()
            return {}

        return self._run(START, work)

    def rank(self, region: Region) -> bool:
        """Order the channels by how hard they fire on the region (inside its selection's mask)."""

        def work() -> dict:
            self.picker.rank(region.image, region.mask)
            return {}

        return self._run(RANK, work)

    def look(self) -> bool:
        """Ask for the atlas (the server goes on making it) and fetch pictures made since the last look."""

        def work() -> dict:
            self.picker.refresh()
            return decoded(self.picker.pictures, self.picker.fetch_new(FETCHED_PER_ROUND))

        return self._run(LOOK, work)

    def unfetched(self) -> int:
        """Pictures the server has made that are not fetched yet."""
        picker = self.picker
        return sum(1 for channel in list(picker.urls) if channel not in picker.pictures)

    def _run(self, kind: str, work: Callable[[], dict]) -> bool:
        """Run ``work`` on a worker thread unless a round is under way (or the picker closed); True if started."""
        if self.busy or self.stopped:
            return False
        self.busy = True

        def thread() -> None:
            try:
                result = work()
            except ClientError as exc:
                self._say(self.failed, kind, str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - the picker says what went wrong; the log keeps the traceback
                log.exception("dreamlayer: the channel picker's %s failed", kind)
                self._say(self.failed, kind, f"Something unexpected went wrong: {exc}")
                return
            self._say(self.done, kind, result)

        threading.Thread(target=thread, name=f"dreamlayer-atlas-{kind}", daemon=True).start()
        return True

    @staticmethod
    def _say(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the picker (and this object) went while the round ran: nobody to tell
            pass

    def _finished(self, *_args) -> None:
        self.busy = False
