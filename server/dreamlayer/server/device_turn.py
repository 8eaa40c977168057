"""The device, taken in turns: one piece of work on the network at a time.

A dream job takes the turn for as long as it runs, the channel atlas and rankings for a step each, between jobs.
Live dreams come first: one asks with ``first()``, and whoever holds the turn hands it over at their next step
(``between_steps``, which a job's cancel check calls: the engine asks it before every gradient step), then takes it
back when the live dream is done. So a live dream waits at most one step of a long dream or film, never the whole.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager


class DeviceTurn:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._held = False
        self._first_waiting = 0  # live dreams waiting for the turn

    def taken(self) -> AbstractContextManager[None]:
        """Hold the turn (after any live dream waiting for it)."""
        return self._held_while(first=False)

    def first(self) -> AbstractContextManager[None]:
        """Hold the turn ahead of everyone else, as soon as its holder reaches its next step."""
        return self._held_while(first=True)

    @contextmanager
    def _held_while(self, first: bool) -> Iterator[None]:
        self._take(first)
        try:
            yield
        finally:
            self._give()

    def between_steps(self) -> None:
        """Called by the holder between its steps: hands the turn to the live dreams waiting, if any, and takes it
        back after them. Reading the count without the lock is safe: a live dream that arrives just after is seen at
        the next step."""
        if self._first_waiting:
            self._give()
            self._take(first=False)

    def _take(self, first: bool) -> None:
        with self._changed:
            if first:
                self._first_waiting += 1
            try:
                self._changed.wait_for(lambda: not self._held and (first or not self._first_waiting))
            finally:
                if first:
                    self._first_waiting -= 1
            self._held = True

    def _give(self) -> None:
        with self._changed:
            self._held = False
            self._changed.notify_all()
