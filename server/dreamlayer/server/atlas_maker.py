"""Making channel atlases in the background, between dreams, for as long as someone asks for them.

``GET .../atlas`` asks for a layer's pictures: the maker's thread makes the missing ones a batch at a time. Each
gradient step waits while a dream runs or waits, then takes the device turn (``JobQueue.turn``), so a dream is
delayed by at most the one atlas step under way when it came. An atlas nobody has asked about for ``LEASE``
seconds stops after its current step (a picker open on it asks every second or so); the pictures made so far
stay in the cache, and the next ask goes on from there. The most recently asked atlas is made first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..atlas import AtlasCache, make_thumbnails, missing_channels
from ..params.atlas import ResolvedAtlas
from ..atlas.making import AtlasProgress
from ..engine.models import DreamNet
from ..errors import Cancelled, DreamlayerError
from .jobs import JobQueue

log = logging.getLogger("dreamlayer.server")
LEASE = 15.0  # seconds an atlas goes on being made after it was last asked about
IDLE_POLL = 0.05  # how often a waiting atlas step looks whether the dreams are done


@dataclass
class AtlasWork:
    """One layer's atlas (at one size), as the maker works on it and the routes describe it."""

    request: ResolvedAtlas
    cache: AtlasCache
    asked: float = field(default_factory=time.monotonic)
    progress: AtlasProgress | None = None
    being_made: tuple[int, ...] = ()  # the batch under way
    error: str | None = None

    @property
    def key(self) -> tuple:
        return self.request.model, self.request.layer, self.request.size

    def wanted(self, now: float) -> bool:
        return now - self.asked < LEASE


class AtlasMaker:
    def __init__(self, net: Callable[[str], DreamNet], queue: JobQueue, folder: Path):
        self._net, self._queue, self.folder = net, queue, folder
        self._works: dict[tuple, AtlasWork] = {}
        self._changed = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="dreamlayer-atlas", daemon=True)
        self._thread.start()

    def ask(self, request: ResolvedAtlas) -> AtlasWork:
        """The layer's atlas, its lease renewed; its missing pictures are made from now on. Asking for other
        channels of a layer already asked for widens that work to both (two pickers on one layer share it)."""
        key = (request.model, request.layer, request.size)
        with self._changed:
            work = self._works.get(key)
            if work is None:
                work = self._works[key] = AtlasWork(request, AtlasCache(self.folder, *key))
            elif not set(request.channels) <= set(work.request.channels):
                both = tuple(sorted(set(work.request.channels) | set(request.channels)))
                work.request = ResolvedAtlas(request.model, request.layer, both, request.size)
            work.asked = time.monotonic()
            self._changed.notify_all()
            return work

    def cache(self, model: str, layer: str, size: int) -> AtlasCache:
        with self._changed:
            work = self._works.get((model, layer, size))
        return work.cache if work is not None else AtlasCache(self.folder, model, layer, size)

    def stop(self, timeout: float = 5.0) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._thread.join(timeout)

    def _next(self) -> AtlasWork | None:
        """The most recently asked atlas that is still wanted and not finished; forgets the others."""
        now = time.monotonic()
        for key, work in list(self._works.items()):
            if not work.wanted(now):
                del self._works[key]
        waiting = [w for w in self._works.values() if w.error is None and missing_channels(w.cache, w.request.channels)]
        return max(waiting, key=lambda w: w.asked, default=None)

    def _run(self) -> None:
        while True:
            with self._changed:
                work = None
                while not self._stopping and (work := self._next()) is None:
                    self._changed.wait(timeout=LEASE)
                if self._stopping:
                    return
            self._make(work)

    def _make(self, work: AtlasWork) -> None:
        def progress(p: AtlasProgress) -> None:
            work.progress, work.being_made = p, p.under_way

        def cancelled() -> bool:
            return self._stopping or not work.wanted(time.monotonic())

        try:
            net = self._net(work.request.model)
            make_thumbnails(net, work.cache, work.request.channels, progress=progress, cancelled=cancelled,
                            turn=self._turn)
        except Cancelled:
            log.info("atlas of %s %s paused: nobody asked for it", work.request.model, work.request.layer)
        except (DreamlayerError, OSError) as exc:
            work.error = str(exc)
        except Exception:  # noqa: BLE001 - a failed atlas must never stop the server
            log.exception("atlas of %s %s failed", work.request.model, work.request.layer)
            work.error = "The atlas could not be made; see the server's log."
        finally:
            work.being_made = ()

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """Wait until no dream runs or waits for this machine's device, then hold the device for one step."""
        while self._queue.device_busy() and not self._stopping:
            time.sleep(IDLE_POLL)
        with self._queue.turn.taken():
            yield


def describe_channels(work: AtlasWork, channels: tuple[int, ...], url: Callable[[int], str]) -> list[dict]:
    """Each of ``channels``: made (with its picture's URL), being made, or waiting."""
    made = work.cache.made(list(channels))
    under_way = set(work.being_made)
    return [{"channel": c, "state": "made" if c in made else "being_made" if c in under_way else "waiting",
             "url": url(c) if c in made else None} for c in channels]

