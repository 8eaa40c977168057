"""Keep, and the live layer standing for its source: part of the controller (controller.py), beside the dreams'
queue (dream_queue.py), whose Dream path Keep runs as it is.

Whatever reads the active layer to dream it (Dream, Variations, Again, Vary, the films) finds the source there,
never the live layer: should the artist have clicked the live layer, its source is made active first.
"""

from __future__ import annotations

from typing import Any

from krita import Krita

from .live_watch import LiveWatch


class LiveKeeping:
    live: LiveWatch
    _keep_seed: int | None = None  # while Keep runs: the live dream's seed

    def keep_live(self) -> list:
        """Keep: what Dream makes (the full dream, a new dream layer with its record, one undo step), with the
        seed the live dream ran with when the Seed knob leaves it to chance, so the kept dream looks like it."""
        document = Krita.instance().activeDocument()
        self._keep_seed = self.live.seed(document) if document is not None else None
        try:
            tasks = self.dream_active()
        finally:
            self._keep_seed = None
        for task in tasks:  # Krita makes the kept dream the active layer: Live stays on the source
            task.finished.connect(self.live.keep_source_active)
        return tasks

    def dream_params(self) -> dict[str, Any]:
        params = super().dream_params()
        if self._keep_seed is not None and params.get("seed") is None:
            params["seed"] = self._keep_seed
        return params

    def _document(self):
        document = super()._document()
        if document is not None:
            self.live.step_off(document)
        return document

    def dream(self, document, node, params: dict[str, Any], server_url: str | None = None, above=None, guide=None):
        """A script's dream of the live layer dreams its source."""
        return super().dream(document, self.live.source_for(document, node), params, server_url, above, guide)
