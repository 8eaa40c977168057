"""Krita's side of films: read the frames of an animated layer, and write frames in as a new animated layer.

New animated layers are not made with Document.importAnimation: Krita 5.1's importer opens every frame into one
temporary document; each opened file queues a "sync decorations" stroke that reads the document's *current* image,
and opening the next frame swaps that image out (setCurrentImage nulls it, then the old image's destructor runs the
queued stroke), so a pooled thread calls root() on a null image: SIGSEGV in KisNodeFacade::root(), in the runs
where the stroke was still queued. Instead the frames are written, in the document's own depth, into the paint
layers of a new group, and Krita's own "Convert group to animated layer" turns that group into one animated layer
(a keyframe per child, bottom first, from time 0): no temporary document, so nothing left to race.

Because that conversion keys the children at times 0, 1, 2..., a frame meant for a later time (a source drawing
held for two frames, or a clip that starts later) is placed by giving every time up to it a child: a held frame
repeats, so the new layer's keyframes show the same picture at the same times as the source.
"""

from __future__ import annotations

import contextlib
import time
from typing import NamedTuple

from krita import Krita

from dreamlayer_editor.layers import dream_layer_name

from .adapter import landing_spot
from .qt import QtGui, process_events
from .regions import UnsupportedDocument, from_bgra8, raw_format

# How long Krita may take to make a just-added group the active layer, and to settle the document's timing.
ACTIVATE_SECONDS = 10.0
TIMING_SECONDS = 10.0


class Frame(NamedTuple):
    """One frame file to write in, with the alpha (8-bit, a byte per pixel) to give it, or None to keep its own."""

    path: str
    alpha: bytes | None = None


class SourceFrames(NamedTuple):
    """An animated layer's drawings in the clip range: the times they show from, and their pixels over the canvas."""

    times: list[int]
    pixels: list[bytes]  # in the layer's layout and depth
    width: int
    height: int
    layout: str
    depth: str


def read_animation(document, node) -> SourceFrames:
    """The keyframes of an animated paint layer inside the document's clip range, read with pixelDataAtTime (the
    timeline is not moved). A drawing keyed before the range and still showing at its start counts from the start."""
    if node is None or node.type() != "paintlayer" or not node.animated():
        raise UnsupportedDocument("Select an animated paint layer to dream its animation.")
    layout, depth = raw_format(node.colorModel(), node.colorDepth())
    start, end = document.fullClipRangeStartTime(), document.fullClipRangeEndTime()
    times = [t for t in range(start, end + 1) if node.hasKeyframeAtTime(t)]
    if start not in times and any(node.hasKeyframeAtTime(t) for t in range(start)):
        times.insert(0, start)
    if not times:
        raise UnsupportedDocument(f"The layer has no frames between {start} and {end}, the animation's clip range.")
    width, height = document.width(), document.height()
    pixels = [bytes(node.pixelDataAtTime(0, 0, width, height, t)) for t in times]
    return SourceFrames(times, pixels, width, height, layout, depth)


def import_frames_as_layer(document, source, files: list[str], fps: float | None, label: str = "classic"):
    """A zoom's frames as one new animated layer (a keyframe per frame, from time 0), above the source when there
    is one, else at the top; the document's timing becomes the film's. Two undo steps remove it."""
    # Timing first: where Krita keeps these changes on the undo stack (Krita 6), undoing the film stays two steps.
    timing = _timing(document)
    _set_timing(document, int(round(fps)) if fps else None, 0, len(files) - 1)
    try:
        return build_animated_layer(document, source, [Frame(path) for path in files], label, "zoom")
    except BaseException:
        with contextlib.suppress(UnsupportedDocument):  # the film's own error is the one to tell
            _set_timing(document, *timing)  # a failed film leaves the document as it was
        raise


def _set_timing(document, fps: int | None, start: int, end: int) -> None:
    """Give the document this frame rate and clip range, and wait until they stay.

    Setting them once is not enough in Krita 6: its Animation Timeline docker answers a change of the frame rate by
    queuing its own "animation settings" change, made from its fields, which may still show the old clip range; run
    after ours, it put the clip end back to 100 (in about one run of the Krita 6 zoom tests in fifteen). So the
    values are set, Krita's queued work is let through, and they are set again until a check after that finds them
    as they should be."""
    wanted = (fps or document.framesPerSecond(), start, end)
    deadline = time.monotonic() + TIMING_SECONDS
    while True:
        if fps:
            document.setFramesPerSecond(fps)
        document.setFullClipRangeStartTime(start)
        document.setFullClipRangeEndTime(end)
        for _ in range(2):  # the docker's answer runs as a stroke, and may itself wait on an event
            document.waitForDone()
            process_events()
        document.waitForDone()
        if _timing(document) == wanted:
            return
        if time.monotonic() > deadline:
            raise UnsupportedDocument("Krita did not keep the film's frame rate and clip range; set them in the "
                                      "Animation Timeline docker.")


def _timing(document) -> tuple[int, int, int]:
    return document.framesPerSecond(), document.fullClipRangeStartTime(), document.fullClipRangeEndTime()


def build_animated_layer(document, source, shown: list[Frame | None], label: str, kind: str = "animation"):
    """A new animated layer "Zoom 5 · classic" (or "Animation ...") keyed at every time from 0 with ``shown[t]``
    (transparent where None), above the source and the dreams made from it when there is one, else at the top;
    two undo steps remove it (the conversion, then the group of frames)."""
    layout, depth = raw_format(document.colorModel(), document.colorDepth())
    parent = source.parentNode() if source is not None else document.rootNode()
    group = document.createGroupLayer(dream_layer_name(label, {node.name() for node in parent.childNodes()}, kind))
    # Filled before it is added, so adding the group with its frames is one undo step.
    group.setChildNodes([_frame_layer(document, index, frame, layout, depth) for index, frame in enumerate(shown)])
    parent.addChildNode(group, landing_spot(document, source) if source is not None else None)
    layer = _convert_to_animated(document, parent, group)
    document.refreshProjection()
    return layer


def _frame_layer(document, index: int, frame: Frame | None, layout: str, depth: str):
    """A paint layer holding one frame file, decoded by Qt, in the document's depth (empty for None)."""
    layer = document.createNode(f"Frame {index + 1}", "paintlayer")
    if frame is None:
        return layer
    image = QtGui.QImage(frame.path)
    if image.isNull():
        raise UnsupportedDocument(f"Krita could not read the dreamed frame {index + 1}.")
    # ARGB32 is B, G, R, A bytes in memory, rows without padding: Krita's 8-bit layout.
    image = image.convertToFormat(QtGui.QImage.Format.Format_ARGB32)
    bgra = bytes(image.constBits().asstring(image.sizeInBytes()))
    if frame.alpha is not None:
        with_alpha = bytearray(bgra)
        with_alpha[3::4] = frame.alpha
        bgra = bytes(with_alpha)
    layer.setPixelData(from_bgra8(bgra, layout, depth), 0, 0, image.width(), image.height())
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
            raise UnsupportedDocument("Krita could not turn the dreamed frames into an animated layer.")
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
        raise UnsupportedDocument("Keep the document open in Krita's window to add the animated layer.")
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
            raise UnsupportedDocument("Krita did not select the dreamed frames to make the animated layer.")
        time.sleep(0.01)
