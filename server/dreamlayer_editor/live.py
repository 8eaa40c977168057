"""Live Dream's client side: an editor offers its canvas as often as it changes, the newest offer wins.

``LiveDreamer`` is one document's lane (``POST /v1/live/{lane}``). ``offer`` never blocks the editor: it leaves the
offer for a sender thread, replacing one not yet sent. An offer sent while another is in flight is sent at once,
on a thread of its own, so the server can cancel the older one (which then answers "superseded") and start the
newer within a step. The editor picks up answers with ``take`` (from a timer on its own thread): only the newest
offer's answer is kept, so a late answer to an older offer never overwrites a newer one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from .client import DreamClient
from .protocol import ClientError, RawImage, RawMask

log = logging.getLogger("dreamlayer")


@dataclass(frozen=True)
class LiveResult:
    image: RawImage | bytes  # in the form offered: same size, layout and depth
    tag: Any  # what ``offer`` was given: where the editor paints it
    seconds: float  # the server's time for it
    changed: bool  # False: nothing had changed and the server sent its last live dream back
    offered_at: float  # time.monotonic() at ``offer``
    seed: int | None  # the seed it ran with: Keep dreams with it, so the kept dream looks like the live one


@dataclass(frozen=True)
class LiveFailure:
    error: ClientError  # its message is written for an artist
    tag: Any


@dataclass(frozen=True)
class _Offer:
    number: int
    image: RawImage
    params: dict[str, Any]
    mask: RawMask | None
    document: tuple[int, int] | None
    position: tuple[int, int] | None
    tag: Any
    at: float


class LiveDreamer:
    """One lane on one server. Thread-safe: ``offer``, ``take``, ``busy`` and ``close`` from the editor's thread."""

    def __init__(self, client: DreamClient, lane: str):
        self.client, self.lane = client, lane
        self._lock = threading.Lock()
        self._next: _Offer | None = None  # offered, not yet sent
        self._in_flight = 0
        self._offers = 0
        self._answer: tuple[int, LiveResult | LiveFailure] | None = None  # the newest answer not yet taken
        self._answered = 0  # the number of the newest offer answered (taken or not)
        self._closed = False

    def offer(self, image: RawImage, params: dict[str, Any], mask: RawMask | None = None,
              document: tuple[int, int] | None = None, position: tuple[int, int] | None = None, tag: Any = None) -> None:
        """Ask for a live dream of ``image``; replaces any offer not yet sent."""
        with self._lock:
            if self._closed:
                return
            self._offers += 1
            self._next = _Offer(self._offers, image, dict(params), mask, document, position, tag, time.monotonic())
        threading.Thread(target=self._send, name="dreamlayer-live-offer", daemon=True).start()

    def take(self) -> LiveResult | LiveFailure | None:
        """The newest answer not yet taken, or None."""
        with self._lock:
            answer, self._answer = self._answer, None
        return answer[1] if answer else None

    def busy(self) -> bool:
        """An offer waits or is in flight."""
        with self._lock:
            return self._next is not None or self._in_flight > 0

    def close(self, wait: float = 0.0) -> None:
        """No more offers; the server forgets the lane, in the background (best effort), waiting up to ``wait``
        seconds for it: a plug-in about to exit waits, or the lane stays until the server forgets it by itself."""
        with self._lock:
            self._closed, self._next, self._answer = True, None, None
        forget = threading.Thread(target=self._forget, name="dreamlayer-live-forget", daemon=True)
        forget.start()
        if wait > 0:
            forget.join(wait)

    # -- the sender threads ------------------------------------------------------------------------------------
    def _send(self) -> None:
        with self._lock:
            offer, self._next = self._next, None
            if offer is None:  # a later thread sent it already
                return
            self._in_flight += 1
        try:
            answer: LiveResult | LiveFailure | None = self._ask(offer)
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            if answer is not None and offer.number > self._answered and not self._closed:
                self._answered = offer.number
                self._answer = (offer.number, answer)

    def _ask(self, offer: _Offer) -> LiveResult | LiveFailure | None:
        try:
            answer = self.client.live(self.lane, offer.image, offer.params, offer.mask, offer.document, offer.position)
        except ClientError as exc:
            if exc.code == "superseded":
                return None  # a newer offer took its place: nothing to show
            return LiveFailure(exc, offer.tag)
        return LiveResult(answer.result.image, offer.tag, answer.seconds, answer.changed, offer.at, answer.result.seed)

    def _forget(self) -> None:
        try:
            self.client.forget_lane(self.lane)
        except ClientError as exc:  # the server may be gone already: it forgets the lane by itself then
            log.info("could not forget live lane %s: %s", self.lane, exc)
