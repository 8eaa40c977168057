"""Krita's side of a dream: read the layer (and selection) out, write the result in as a new layer.

Zoom films are not added with Document.importAnimation: Krita 5.1's importer opens every frame into one temporary
document; each opened file queues a "sync decorations" stroke that reads the document's *current* image, and
opening the next frame swaps that image out (setCurrentImage nulls it, then the old image's destructor runs the
queued stroke), so a pooled thread calls root() on a null image: SIGSEGV in KisNodeFacade::root(), in the runs
where the stroke was still queued. Instead the frames are written, in the document's own depth, into the paint
layers of a new group, and Krita's own "Convert group to animated layer" turns that group into one animated layer
(a keyframe per child, bottom first): no temporary document, so nothing left to race.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from krita import Krita

from .client import RawImage, RawMask, encode_png
from .qt import QtGui, process_events
from .regions import Bounds, UnsupportedDocument, from_bgra8, layer_name, raw_format, region_to_dream, to_rgba8

# How long Krita may take to make a just-added group the active layer.
ACTIVATE_SECONDS = 10.0


class Region(NamedTuple):
    bounds: Bounds
    image: RawImage
    mask: RawMask | None


def _bounds(rect) -> Bounds:
    return Bounds(rect.x(), rect.y(), rect.width(), rect.height())


def read_region(document, node) -> Region:
    """The layer's pixels inside the selection's bounding box (or the whole layer), with the selection's mask.

    Any selection sends its mask, a fully selected rectangle's too: the server softens a mask's hard edges where
    they lie inside the document, which is what hides a rectangle's straight line.
    """
    if node is None or node.type() != "paintlayer":
        raise UnsupportedDocument("Select a paint layer to dream on.")
    layout, depth = raw_format(node.colorModel(), node.colorDepth())
    selection = document.selection()
    selection_bounds = None
    if selection is not None and selection.width() > 0 and selection.height() > 0:
        selection_bounds = Bounds(selection.x(), selection.y(), selection.width(), selection.height())
    canvas = Bounds(0, 0, document.width(), document.height())
    region = region_to_dream(canvas, _bounds(node.bounds()), selection_bounds)
    pixels = bytes(node.pixelData(*region))
    mask = None
    if selection_bounds is not None:
        mask = RawMask(bytes(selection.pixelData(*region)), "u8")
    return Region(region, RawImage(region.width, region.height, pixels, layout, depth), mask)


def add_result_layer(document, above, region: Bounds, pixels: bytes, label: str):
    """A new paint layer "Dream (label)" right above ``above``, filled before it is added, so that adding it is the
    one undo step."""
    existing = {n.name() for n in above.parentNode().childNodes()}
    layer = document.createNode(layer_name(label, existing), "paintlayer")
    layer.setPixelData(pixels, *region)
    above.parentNode().addChildNode(layer, above)
    document.refreshProjection()
    return layer


def layer_png(document, node) -> bytes:
    """The layer over the whole canvas as an 8-bit PNG: where a zoom starts from."""
    if node.type() != "paintlayer":
        raise UnsupportedDocument("Select a paint layer to zoom into, or start from noise.")
    layout, depth = raw_format(node.colorModel(), node.colorDepth())
    width, height = document.width(), document.height()
    return encode_png(width, height, to_rgba8(bytes(node.pixelData(0, 0, width, height)), layout, depth))


def import_frames_as_layer(document, source, files: list[str], fps: float | None, label: str = "zoom"):
    """The frames as one new animated layer (a keyframe per frame, from time 0), above the source when there is
    one, else at the top; two undo steps remove it (the conversion, then the group of frames)."""
    layout, depth = raw_format(document.colorModel(), document.colorDepth())
    # Timing first: where Krita keeps these changes on the undo stack (Krita 6), undoing the film stays two steps.
    if fps:
        document.setFramesPerSecond(int(round(fps)))
    document.setFullClipRangeStartTime(0)
    document.setFullClipRangeEndTime(len(files) - 1)
    parent = source.parentNode() if source is not None else document.rootNode()
    group = document.createGroupLayer(layer_name(label, {node.name() for node in parent.childNodes()}))
    # Filled before it is added, so adding the group with its frames is one undo step.
    group.setChildNodes([_frame_layer(document, index, path, layout, depth) for index, path in enumerate(files)])
    parent.addChildNode(group, source)
    layer = _convert_to_animated(document, parent, group)
    document.refreshProjection()
    return layer


def composite(document, region: Bounds):
    """The document as it looks now inside the region, as an 8-bit QImage: the finished dream's preview."""
    return document.projection(*region)


def _frame_layer(document, index: int, path: str, layout: str, depth: str):
    """A paint layer holding one frame file, decoded by Qt, in the document's depth."""
    image = QtGui.QImage(path)
    if image.isNull():
        raise UnsupportedDocument(f"Krita could not read the zoom's frame {index + 1}.")
    # ARGB32 is B, G, R, A bytes in memory, rows without padding: Krita's 8-bit layout.
    image = image.convertToFormat(QtGui.QImage.Format.Format_ARGB32)
    pixels = from_bgra8(bytes(image.constBits().asstring(image.sizeInBytes())), layout, depth)
    layer = document.createNode(f"Frame {index + 1}", "paintlayer")
    layer.setPixelData(pixels, 0, 0, image.width(), image.height())
    return layer


def _convert_to_animated(document, parent, group):
    """Krita's "Convert group to animated layer" on the group: it acts on the active layer of the active view."""
    before = {node.uniqueId() for node in parent.childNodes()}
    action = Krita.instance().action("convert_group_to_animated")
    window = Krita.instance().activeWindow()
    shown = window.activeView() if window is not None else None
    try:
        _make_active(document, window, group, action)
        action.trigger()
        document.waitForDone()
        added = [node for node in parent.childNodes() if node.uniqueId() not in before]
        if len(added) != 1 or not added[0].animated():
            raise UnsupportedDocument("Krita could not turn the zoom's frames into an animated layer.")
    except UnsupportedDocument:
        group.remove()  # no half-made film left behind
        raise
    finally:
        if shown is not None and window.activeView() != shown:
            shown.setVisible()  # the artist moved on to another image meanwhile: back to it
    return added[0]


def _make_active(document, window, node, action) -> None:
    """Show the document in the window and make the node its active layer, as a user would."""
    views = [view for view in window.views() if view.document() == document] if window is not None else []
    if action is None or not views:
        raise UnsupportedDocument("Keep the document open in Krita's window to add the zoom film.")
    if window.activeView() is None or window.activeView().document() != document:
        views[0].setVisible()  # makes it the active view (showView would add it to the window a second time)
    deadline = time.monotonic() + ACTIVATE_SECONDS
    while True:
        # Krita tells its UI of a new layer through "synchronized" events, which it holds back while events are
        # handled inside other events (a script, or this slot); a change made to a layer on this thread lets the
        # held-back ones through first. Renaming the group to its own name is such a change, and changes nothing.
        document.waitForDone()
        process_events()
        node.setName(node.name())
        document.setActiveNode(node)
        active = document.activeNode()
        if active is not None and active.uniqueId() == node.uniqueId() and action.isEnabled():
            return
        if time.monotonic() > deadline:
            raise UnsupportedDocument("Krita did not select the zoom's frames to make the animated layer.")
        time.sleep(0.01)
