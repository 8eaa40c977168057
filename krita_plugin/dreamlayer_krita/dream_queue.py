"""What is queued: the dreams, zooms and animations the artist asks for (the docker's buttons, the actions and
scripts), made into tasks and put in the lineup, one running at a time. Part of the controller (controller.py),
which holds the lineup, the connection and the ``message`` signal.
"""

from __future__ import annotations

from typing import Any

from krita import Krita

from dreamlayer_editor.layers import variations_group_name

from .adapter import VariationGroup, read_guide
from .film_tasks import AnimationTask, ZoomTask
from .records import find_node, recall
from .regions import UnsupportedDocument
from .server_link import FixedServer
from .task import CANCELLED, DreamError, DreamTask, ServerTask

NOT_ERRORS = (CANCELLED, "Cancelled before it started.")


class DreamQueue:
    """*Variations: N* makes N dreams of the active layer with consecutive seeds, from the Seed knob's (or, when it
    says random, from a drawn one), landing as N layers in a new group above the source, each named with its seed:
    the first shows, the others are hidden, for the painter to flip through."""

    # -- dreams ---------------------------------------------------------------------------------------------------
    def dream_active(self) -> list[ServerTask]:
        """The Dream button and action: the active layer of the active document, with the knobs' values, the
        guide layer if one is picked, as many times as Variations says."""
        document = self._document()
        if document is None:
            return []
        node = document.activeNode()

        def start() -> list[ServerTask]:
            guide, params, count = self._guide(document), self.dream_params(), self.state.variations
            if count <= 1:
                return [self.dream(document, node, params, guide=guide)]
            seeds = self.description.variation_seeds(params.get("seed"), count)
            batch = VariationGroup(variations_group_name(params["preset"], seeds))
            tasks: list[ServerTask] = []
            region = None
            for index, seed in enumerate(seeds):
                tasks.append(DreamTask(self.connection.link, document, node, {**params, "seed": seed}, guide=guide,
                                       batch=batch, region=region))
                region = tasks[-1].region
                tasks[-1].title = f"Variation {index + 1} of {count}"
            return self._queue(tasks)

        return self._try(start)

    def dream_again_active(self, vary: bool = False) -> list[ServerTask]:
        """Dream again (or Vary: a new seed) with the settings the active dream layer was made with, from its
        source layer, inside the current selection; the new layer goes above the dreams made from that source, so it
        shows."""
        document = self._document()
        if document is None:
            return []
        dream_layer = document.activeNode()
        record = recall(document, dream_layer) if dream_layer is not None else None
        if record is None or record.kind != "dream":
            self.message.emit("Select a dream layer (one that Dream made) to dream it again.")
            return []
        source = find_node(document, record.source)
        if source is None:
            self.message.emit("The layer this dream was made from is gone, so it can't be dreamed again.")
            return []
        params = {**record.settings, "preset": record.preset, **({"seed": None} if vary else {})}
        return self._try(lambda: [self.dream(document, source, params)])

    def zoom_active(self, from_noise: bool = False) -> list[ServerTask]:
        """The Zoom buttons and actions: a zoom film of the active layer (or of noise) with the knobs' values."""
        document = self._document()
        if document is None:
            return []
        return self._try(lambda: [self.zoom(document, None if from_noise else document.activeNode(), self.zoom_params())])

    def animate_active(self) -> list[ServerTask]:
        """Dream the animation (button and action): the active animated layer's drawings in the clip range."""
        document = self._document()
        if document is None:
            return []
        return self._try(lambda: [self.animate(document, document.activeNode(), self.video_params())])

    def dream(self, document, node, params: dict[str, Any], server_url: str | None = None, above=None,
              guide=None) -> DreamTask:
        link = self._link(server_url)
        return self._queue([DreamTask(link, document, node, params, above, guide)])[0]

    def zoom(self, document, node, params: dict[str, Any], server_url: str | None = None) -> ZoomTask:
        return self._queue([self._make(ZoomTask, self._link(server_url), document, node, params)])[0]

    def animate(self, document, node, params: dict[str, Any], server_url: str | None = None) -> AnimationTask:
        return self._queue([self._make(AnimationTask, self._link(server_url), document, node, params)])[0]

    def cancel(self) -> None:
        if self.lineup.cancel():
            self.message.emit("Cancelling...")

    # -- helpers ----------------------------------------------------------------------------------------------------
    def _link(self, server_url: str | None):
        return FixedServer(server_url, self.state.token) if server_url else self.connection.link

    @staticmethod
    def _make(kind, *args):
        try:
            return kind(*args)
        except UnsupportedDocument as exc:
            raise DreamError(str(exc)) from None

    def _guide(self, document):
        """The picked guide layer's pixels, or None without one."""
        if self.guide_id is None:
            return None
        node = find_node(document, self.guide_id)
        if node is None:
            raise DreamError("The guide layer is not in this image: pick another guide, or none.")
        return self._make(read_guide, document, node)

    def _document(self):
        """The active document, once there are knobs to dream with; else None, and the artist is told why."""
        if self.description is None:
            self.message.emit(self.description_problem or "Waiting for the server to say what the settings are.")
            return None
        document = Krita.instance().activeDocument()
        if document is None:
            self.message.emit("Open an image first.")
        return document

    def _try(self, start) -> list[ServerTask]:
        try:
            return start()
        except DreamError as exc:
            self.errors.add(str(exc))
            self.message.emit(str(exc))
            return []

    def _queue(self, tasks: list[ServerTask]) -> list[ServerTask]:
        self._last = tasks[-1]
        self.lineup.add(tasks)
        return tasks

    def _ended(self, task: ServerTask, added: bool, message: str) -> None:
        if not added and message not in NOT_ERRORS:
            self.errors.add(message)
