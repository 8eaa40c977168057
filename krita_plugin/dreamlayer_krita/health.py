"""What the docker's watch makes of the server's answers to ``/v1/health``: whether the server came, went or
restarted since the last look, in a sentence for the artist.

A restart is noticed even when the watch never saw the server gone: its ``started`` time (or, from a server too
old to say it, its version and device) differs from the last answer's.

Host-neutral (no Krita, no Qt), so it is tested on its own.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple


class Change(NamedTuple):
    state: str  # "connected" or "not connected"
    text: str  # what to tell the artist
    restarted: bool  # the server is another one than before: what it described may have changed


class HealthTracker:
    def __init__(self) -> None:
        self.answering: bool | None = None  # None until the first look
        self.last: dict[str, Any] | None = None  # the last answer

    def forget(self) -> None:
        """Another server was chosen: the next answer is a first one."""
        self.answering, self.last = None, None

    def saw(self, address: str, health: dict[str, Any] | None, error: str = "", managed: bool = False) -> Change | None:
        """The answer to one look (``health``, or None and the ``error``); a Change when something changed."""
        if health is None:
            if self.answering is False:
                return None
            first, self.answering = self.answering is None, False
            if first:
                return Change("not connected", error, False)
            later = " Dream starts it again." if managed else ""
            return Change("not connected", f"The dream server at {address} stopped answering.{later}", False)
        before, came_back = self.last, self.answering is False
        self.answering, self.last = True, health
        if before is not None and _identity(before) != _identity(health):
            return Change("connected", f"The dream server at {address} restarted. {describe(health)}", True)
        if before is None or came_back:
            again = " answers again" if came_back else ""
            return Change("connected", f"Connected to {address}{again}. {describe(health)}", came_back)
        return None


def _identity(health: dict[str, Any]) -> tuple:
    return (health.get("started"), health.get("version"), health.get("device"))


def describe(health: dict[str, Any]) -> str:
    """'dreamlayer 0.1.0 on cpu, started 14:02.'"""
    text = f"dreamlayer {health.get('version', '?')} on {health.get('device', '?')}"
    started = health.get("started")
    if isinstance(started, (int, float)):
        text += f", started {datetime.datetime.fromtimestamp(started):%H:%M}"
    return text + "."
