"""Live Dream: while Live is on, the active paint layer (inside the selection, if any) is dreamed again each time the
painter rests, into the "Live dream" layer right above it (live_layer.py).

A timer looks every POLL_MS at the active document: its active layer, the pixels a dream would read there
(adapter.read_region: the selection's bounding box, or the layer's), the current frame of an animated layer, and
the knobs' values. Once all of these have stayed the same for the description's ``live_pause`` seconds, they are
offered to the document's LiveDreamer (dreamlayer_editor.live: one lane per document, the newest offer wins, an
older one in flight is superseded on the server), and its newest answer replaces the live layer's pixels.

The live layer is never a source: made active, it stands for its source, which Dream and Keep dream instead
(live_keep.py). Switching to another layer or document moves the live layer there; Live off removes it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from krita import Krita

from dreamlayer_editor.live import LiveDreamer, LiveFailure

from .adapter import read_region
from .feedback import document_key
from .live_layer import (
    add_live_layer, clear_live_dream, is_paint_layer, live_layer_of, remove_live_layer, show_live_dream,
)
from .live_spot import LiveTag, Resting, Spot
from .qt import QObject, QtCore, pyqtSignal
from .records import find_node, node_id
from .regions import UnsupportedDocument

log = logging.getLogger("dreamlayer_krita")
POLL_MS = 100  # how often the canvas is looked at: a tenth of a second feels immediate
# Reading a big layer's pixels (a 4K float layer) takes long: then the look is repeated every SLOWER times as
# long as the reading took, so Live takes at most a fifth of Krita's time; yet at least every SLOWEST_MS.
SLOWER, SLOWEST_MS = 5, 2000
DEFAULT_PAUSE = 0.25  # seconds; the description's live_pause says otherwise
ON = "Live is on: the 'Live dream' layer above the layer dreams it as you paint. Keep makes it a dream layer."
GONE = "The 'Live dream' layer was removed (undone or deleted), so Live is off."


class LiveWatch(QObject):
    switched = pyqtSignal(bool)  # Live on or off: the docker's switch follows

    def __init__(self, ctl):
        super().__init__()
        self.ctl = ctl  # the controller: the knobs' values, the server, the message line
        self.on = False
        self.spot: Spot | None = None
        self._said = ""  # the last problem said, so a lasting one is said once
        self._ticking = False
        self.arrivals = 0  # documents Live began to watch
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._tick)

    # -- the switch ---------------------------------------------------------------------------------------------
    def toggle(self) -> None:
        self.set_on(not self.on)

    def set_on(self, on: bool) -> None:
        """Live on: follow the active layer from now on. Off: remove the live layer, let the server's lane go."""
        if on == self.on:
            return
        self.on = on
        if on:
            self._said = ""
            self.ctl.message.emit(ON)
            if self.ctl.connection.state != "connected":
                self.ctl.check_server()  # the managed server starts, as for Dream
            self.timer.start()
        else:
            self.timer.stop()
            self._leave()
        self.switched.emit(on)

    def close(self) -> None:
        """Krita quits: the lane goes; the layers are left to Krita."""
        self.timer.stop()
        if self.spot is not None:
            self.spot.dreamer.close()
            self.spot = None

    # -- the live layer stands for its source ----------------------------------------------------------------------
    def source_for(self, document, node):
        """``node``, or the source when ``node`` is this document's live layer."""
        spot = self.spot
        if spot is None or node is None or document_key(document) != spot.key or node_id(node) != spot.layer_id:
            return node
        return find_node(document, spot.source_id) if spot.source_id is not None else None

    def step_off(self, document) -> None:
        """The live layer is active: make its source active instead, so what reads the active layer reads that."""
        active = document.activeNode()
        source = self.source_for(document, active)
        if source is not None and active is not None and node_id(source) != node_id(active):
            document.setActiveNode(source)

    def keep_source_active(self, layer) -> None:
        """``layer`` was just added (Keep's dream): when Krita makes it active, the source is made active again."""
        if self.spot is not None and layer is not None:
            self.spot.unasked.add(node_id(layer))

    def seed(self, document) -> int | None:
        """The seed of the live dream shown in ``document``, if any."""
        spot = self.spot
        return spot.seed if spot is not None and spot.key == document_key(document) else None

    # -- each look ------------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self._ticking or self._dream_landing():
            return  # called back from inside Krita's own wait: the layers are being changed under us
        self._ticking = True
        try:
            self._look()
        except Exception as exc:  # noqa: BLE001 - a timer never raises into Krita; the log keeps the traceback
            log.exception("dreamlayer: live")
            self._say(f"Live: something unexpected went wrong: {exc}")
        finally:
            self._ticking = False

    def _dream_landing(self) -> bool:
        """A finished dream's layer is being added: Krita lets timers run while it waits for the image, and the
        new layer, already active, is Keep's, for the source to take back once it has landed (keep_source_active)."""
        task = self.ctl.lineup.running
        return task is not None and task.status is not None and not task.done

    def _look(self) -> None:
        document = Krita.instance().activeDocument()
        key = document_key(document)
        if self.spot is not None and document_key(self.spot.document) is None:
            self._leave()  # its document was closed
        if key is None or self.ctl.description is None:
            return  # no document active, for now (Krita 6 has none for a moment now and then)
        if self.spot is not None and self.spot.key != key:
            self._leave()  # another document: the live layer leaves the one before
        if self.spot is None:
            self.arrivals += 1
            self.spot = Spot(document, key, *self._dreamer(key))
        spot = self.spot
        if spot.choice != self.ctl.connection.link.choice:  # another server was chosen meanwhile
            spot.dreamer.close()
            spot.dreamer, spot.choice = self._dreamer(key)
            spot.resting = Resting()
        source = self._follow(spot, document)
        if source is None or not self.on:
            return
        self._take(spot, document)
        self._offer_when_rested(spot, document, source)

    def _dreamer(self, key: str) -> tuple[LiveDreamer, Any]:
        link = self.ctl.connection.link
        return LiveDreamer(link.client(), "krita-" + key.strip("{}")), link.choice

    def _follow(self, spot: Spot, document):
        """The source now, with the live layer right above it: moved when the artist picked another layer."""
        active = spot.active_layer(document)
        if active is not None and node_id(active) == spot.layer_id:
            source = find_node(document, spot.source_id) if spot.source_id is not None else None
        else:
            source = active if is_paint_layer(active) else None
        source_id = node_id(source) if source is not None else None
        if source_id == spot.source_id:
            if source is not None and live_layer_of(document, spot.layer_id) is None:
                self.set_on(False)  # don't fight the artist's undo: adding it again would drop their redo
                self.ctl.message.emit(GONE)
                return None
            return source
        remove_live_layer(document, spot.layer_id)
        spot.source_id, spot.layer_id, spot.shown, spot.seed, spot.resting = source_id, None, None, None, Resting()
        if source is not None:
            spot.layer_id = node_id(add_live_layer(document, source))
            spot.unasked.add(spot.layer_id)
            spot.active_layer(document)  # Krita 6 made it active already
        return source

    def _take(self, spot: Spot, document) -> None:
        answer = spot.dreamer.take()
        if answer is None:
            return
        if isinstance(answer, LiveFailure):
            if answer.error.code != "superseded":  # a newer stroke replaced it: nothing for the artist
                self._say(f"Live: {answer.error}")
            return
        layer = live_layer_of(document, spot.layer_id)
        tag: LiveTag = answer.tag
        if layer is None or tag.source != spot.source_id or spot.resting.offered is None:
            return  # made for a layer Live no longer follows, or before the layer was emptied
        show_live_dream(document, layer, tag.bounds, answer.image.data, spot.shown)
        spot.shown, spot.seed, spot.shown_offer = tag.bounds, answer.seed, tag.number
        if self._said:
            self._said = ""
            self.ctl.message.emit("")  # the problem is over

    def _offer_when_rested(self, spot: Spot, document, source) -> None:
        started = time.monotonic()
        try:
            region = read_region(document, source)
        except UnsupportedDocument as exc:
            self._say(f"Live: {exc}")
            layer = live_layer_of(document, spot.layer_id)
            if layer is not None and spot.shown is not None:
                clear_live_dream(document, layer, spot.shown)
                spot.shown = None
            spot.resting = Resting()  # offered again once there is something to dream
            return
        # Only the reading is timed: the whole look may include whatever Krita ran while it waited for the image.
        reading_ms = (time.monotonic() - started) * 1000
        self.timer.setInterval(min(SLOWEST_MS, max(POLL_MS, int(reading_ms * SLOWER))))
        params = self.ctl.dream_params()
        frame = document.currentTime() if source.animated() else None  # another frame is a change too
        if not spot.resting.rested((region, frame, params), time.monotonic(), self._pause()):
            return
        bounds = region.bounds
        spot.offers += 1
        spot.dreamer.offer(region.image, params, region.mask, (document.width(), document.height()),
                           (bounds.x, bounds.y), LiveTag(spot.source_id, bounds, spot.offers))

    def _pause(self) -> float:
        return float(self.ctl.description.live_default("live_pause", DEFAULT_PAUSE))

    def _leave(self) -> None:
        """Stop watching the document: its live layer goes (if the document is still open), and the lane."""
        spot, self.spot = self.spot, None
        if spot is None:
            return
        if document_key(spot.document) is not None:
            try:
                remove_live_layer(spot.document, spot.layer_id)
            except Exception:  # noqa: BLE001 - a document closing under us: nothing left to clean
                log.exception("dreamlayer: removing the live layer")
        spot.dreamer.close()

    def _say(self, text: str) -> None:
        if text != self._said:
            self._said = text
            log.warning("dreamlayer: %s", text)
            self.ctl.errors.add(text)
            self.ctl.message.emit(text)
