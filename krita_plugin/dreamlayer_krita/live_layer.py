"""Krita's side of a live dream's layer: one paint layer named "Live dream" right above the source, whose pixels are
replaced in place with each new live dream.

Its pixels are written with ``setPixelData``, which writes the layer's paint device directly: no undo step, so
Ctrl+Z after a stroke undoes the stroke, never a live dream. Krita's scripting adds and removes layers only as undo
steps (``addChildNode`` and ``remove`` run an undoable command), so the layer is added when Live starts following
a source (before any stroke) and removed when it stops. It carries no dream record (records.remember): saved or
not, it is never taken for a dream layer, and Dream again says so.
"""

from __future__ import annotations

from .records import find_node, node_id
from .regions import Bounds

LIVE_LAYER_NAME = "Live dream"
BYTES_PER_PIXEL = {"U8": 4, "U16": 8, "F16": 8, "F32": 16}


def add_live_layer(document, source):
    """An empty "Live dream" layer right above ``source`` (one undo step: Krita's scripting has no other way)."""
    layer = document.createNode(LIVE_LAYER_NAME, "paintlayer")
    source.parentNode().addChildNode(layer, source)
    return layer


def show_live_dream(document, layer, bounds: Bounds, pixels: bytes, shown: Bounds | None) -> None:
    """Write a live dream over ``bounds``, in place and off the undo stack; what an earlier one showed outside them
    (``shown``: the selection or the layer's extent moved) is cleared first."""
    if shown is not None and shown != bounds:
        _clear(layer, shown)
    layer.setPixelData(pixels, *bounds)
    document.refreshProjection()


def clear_live_dream(document, layer, shown: Bounds) -> None:
    """Nothing to dream (the source was emptied): the live layer shows nothing either."""
    _clear(layer, shown)
    document.refreshProjection()


def _clear(layer, area: Bounds) -> None:
    layer.setPixelData(bytes(area.width * area.height * BYTES_PER_PIXEL[layer.colorDepth()]), *area)


def live_layer_of(document, layer_id: str | None):
    """The live layer with this id, if it is still in the document (an undo or the artist may have removed it)."""
    return find_node(document, layer_id) if layer_id is not None else None


def remove_live_layer(document, layer_id: str | None) -> None:
    """Take the live layer out of the document (an undo step, as Krita's scripting removes layers)."""
    layer = live_layer_of(document, layer_id)
    if layer is not None:
        layer.remove()
        document.refreshProjection()


def is_paint_layer(node) -> bool:
    return node is not None and node.type() == "paintlayer"


def same_node(node, other) -> bool:
    return node is not None and other is not None and node_id(node) == node_id(other)
