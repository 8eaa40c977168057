"""Live dreams' lane: latest wins, one at a time per document, ahead of the job queue.

Each editor document asks in a lane of its own (its key is the client's). A request waits in its lane until the
live thread takes it; a newer request in the same lane replaces one that has not started (which answers
"superseded") and cancels the one running, which stops at its next step. The live thread takes the device turn
first (device_turn.py): a running dream or film lends it at its next step, so a live dream never waits behind a
queue. Each lane keeps its last picture and live dream (engine/live.py), so an unchanged picture costs nothing and
a stroke changes the dream only around it. Lanes nobody has asked in for ``LANE_TTL`` seconds are forgotten, and
at most ``MAX_LANES`` are kept (the oldest goes first).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from ..engine.live import LiveMemory, LiveOutcome
from ..errors import Cancelled, DreamlayerError
from .device_turn import DeviceTurn
from .errors import ApiError

log = logging.getLogger("dreamlayer.server")
LANE_TTL = 300.0
MAX_LANES = 8

# (the request, the lane's memory, whether to stop) -> the outcome; runs on the live thread, holding the turn.
LiveRun = Callable[[object, LiveMemory | None, Callable[[], bool]], LiveOutcome]


class Superseded(DreamlayerError):
    code = "superseded"


@dataclass
class LiveAsk:
    request: object
    done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    outcome: LiveOutcome | None = None
    error: Exception | None = None
    seconds: float = 0.0


@dataclass
class Lane:
    waiting: LiveAsk | None = None
    running: LiveAsk | None = None
    memory: LiveMemory | None = None
    asked: float = field(default_factory=time.monotonic)


class LiveLanes:
    def __init__(self, run: LiveRun, turn: DeviceTurn):
        self._run, self._turn = run, turn
        self._changed = threading.Condition()
        self._lanes: OrderedDict[str, Lane] = OrderedDict()
        self._accepting = True
        self._counts = {"dreamed": 0, "unchanged": 0, "superseded": 0, "failed": 0}  # since the server started
        self._thread = threading.Thread(target=self._work, name="dreamlayer-live", daemon=True)
        self._thread.start()

    def ask(self, key: str, request: object, timeout: float) -> LiveAsk:
        """Put ``request`` in lane ``key`` and wait for its live dream; raises ``Superseded`` if a newer one came."""
        ask = LiveAsk(request)
        with self._changed:
            if not self._accepting:
                raise ApiError(503, "shutting_down", "The dream server is stopping.")
            lane = self._lane(key)
            if lane.waiting is not None:
                self._finish(lane.waiting, error=Superseded("A newer live dream of this document replaced this one."))
            if lane.running is not None:
                lane.running.stop.set()
            lane.waiting = ask
            self._changed.notify_all()
        if not ask.done.wait(timeout):
            ask.stop.set()
            raise ApiError(503, "live_timeout", f"The live dream took longer than {timeout:g} s; the server is too busy.")
        if ask.error is not None:
            raise ask.error
        return ask

    def forget(self, key: str) -> None:
        """Drop lane ``key``: what waits answers "superseded", what runs stops, its memory goes."""
        with self._changed:
            lane = self._lanes.pop(key, None)
            if lane is not None:
                self._drop(lane)

    def stop(self, timeout: float = 5.0) -> None:
        with self._changed:
            self._accepting = False
            for lane in self._lanes.values():
                self._drop(lane)
            self._lanes.clear()
            self._changed.notify_all()
        self._thread.join(timeout)

    def stats(self) -> dict[str, int]:
        """Lanes kept and live dreams running now; live requests dreamed, found unchanged, superseded and failed."""
        with self._changed:
            return {"lanes": len(self._lanes), "running": sum(lane.running is not None for lane in self._lanes.values()),
                    **self._counts}

    # -- the live thread ---------------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: not self._accepting or self._next() is not None)
                if not self._accepting:
                    return
                key, lane = self._next()
                ask, lane.waiting, lane.running = lane.waiting, None, lane.waiting
                memory = lane.memory
            outcome, error = self._dream(ask, memory)
            with self._changed:
                lane.running = None
                if outcome is not None and self._lanes.get(key) is lane:
                    lane.memory = outcome.memory
                self._finish(ask, outcome, error)
                self._changed.notify_all()

    def _dream(self, ask: LiveAsk, memory: LiveMemory | None) -> tuple[LiveOutcome | None, Exception | None]:
        start = time.perf_counter()
        try:
            with self._turn.first():
                if ask.stop.is_set():  # a newer request came while this one waited for the turn
                    raise Cancelled("superseded")
                outcome = self._run(ask.request, memory, ask.stop.is_set)
            ask.seconds = time.perf_counter() - start
            return outcome, None
        except Cancelled:
            return None, Superseded("A newer live dream of this document replaced this one.")
        except DreamlayerError as exc:
            return None, exc
        except Exception as exc:  # noqa: BLE001 - the live thread must survive anything a dream does
            log.exception("a live dream failed")
            return None, ApiError(503, "live_failed", f"The live dream failed unexpectedly: {exc}")

    def _next(self) -> tuple[str, Lane] | None:
        """The lane whose request has waited longest."""
        return next(((key, lane) for key, lane in self._lanes.items() if lane.waiting is not None and lane.running is None), None)

    def _lane(self, key: str) -> Lane:
        now = time.monotonic()
        for old in [k for k, lane in self._lanes.items() if now - lane.asked > LANE_TTL and lane.running is None]:
            del self._lanes[old]
        lane = self._lanes.pop(key, None) or Lane()
        lane.asked = now
        self._lanes[key] = lane  # the most recently asked last
        while len(self._lanes) > MAX_LANES:
            self._drop(self._lanes.popitem(last=False)[1])
        return lane

    def _drop(self, lane: Lane) -> None:
        if lane.waiting is not None:
            self._finish(lane.waiting, error=Superseded("The live dream was stopped."))
            lane.waiting = None
        if lane.running is not None:
            lane.running.stop.set()

    def _finish(self, ask: LiveAsk, outcome: LiveOutcome | None = None, error: Exception | None = None) -> None:
        ask.outcome, ask.error = outcome, error
        kind = ("superseded" if isinstance(error, Superseded) else "failed") if error is not None else \
            "dreamed" if outcome.changed else "unchanged"
        self._counts[kind] += 1
        ask.done.set()
