"""What Live (live_watch.py) knows of the document it watches: the source, the live layer, the lane, and when the
canvas has rested long enough to be offered. No Krita or Qt imports: it is handed Krita's objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dreamlayer_editor.live import LiveDreamer

from .records import find_node, node_id
from .regions import Bounds


class LiveTag(NamedTuple):
    """What an offer was made of: where its answer goes."""

    source: str  # the source layer's id
    bounds: Bounds  # the region read, on the canvas
    number: int  # the how-manieth offer in this document


class Resting:
    """When to offer: once what is looked at has stayed the same for ``pause`` seconds, and only once for it."""

    def __init__(self) -> None:
        self.seen: Any = None
        self.seen_at = 0.0
        self.offered: Any = None

    def rested(self, state: Any, now: float, pause: float) -> bool:
        if state != self.seen:
            self.seen, self.seen_at = state, now
            return False
        if state == self.offered or now - self.seen_at < pause:
            return False
        self.offered = state
        return True


@dataclass(eq=False)
class Spot:
    """The document Live watches, and what it knows of it."""

    document: Any
    key: str
    dreamer: LiveDreamer
    choice: Any  # the server the dreamer talks to
    source_id: str | None = None
    layer_id: str | None = None  # the live layer
    shown: Bounds | None = None  # where the live layer shows the last live dream
    seed: int | None = None  # the seed the last live dream ran with: Keep dreams with it
    unasked: set[str] = field(default_factory=set)  # layers Live or Keep added, which Krita will make active
    offers: int = 0  # offers made
    shown_offer: int = 0  # the number of the offer whose live dream the layer shows
    resting: Resting = field(default_factory=Resting)

    def active_layer(self, document):
        """The active layer. Krita makes a layer added from Python the active one (Krita 6 at once, Krita 5 once its
        event loop has run): when that is the live layer (or Keep's dream), the source is made active again, once,
        so the painter goes on painting where they were."""
        active = document.activeNode()
        if active is None or node_id(active) not in self.unasked:
            return active
        self.unasked.discard(node_id(active))
        source = find_node(document, self.source_id) if self.source_id is not None else None
        if source is None:
            return active
        document.setActiveNode(source)
        return source
