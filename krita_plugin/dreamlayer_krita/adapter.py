"""Krita's side of a dream: read the layer (and selection) out, write the result in as a new layer."""

from __future__ import annotations

from typing import NamedTuple

from .client import RawImage, RawMask, encode_png
from .regions import Bounds, UnsupportedDocument, layer_name, mask_is_everything, raw_format, region_to_dream, to_rgba8


class Region(NamedTuple):
    bounds: Bounds
    image: RawImage
    mask: RawMask | None


def _bounds(rect) -> Bounds:
    return Bounds(rect.x(), rect.y(), rect.width(), rect.height())


def read_region(document, node) -> Region:
    """The layer's pixels inside the selection's bounding box (or the whole layer), with the feathered mask."""
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
        selected = bytes(selection.pixelData(*region))
        mask = None if mask_is_everything(selected) else RawMask(selected, "u8")
    return Region(region, RawImage(region.width, region.height, pixels, layout, depth), mask)


def add_result_layer(document, source, region: Bounds, pixels: bytes, preset: str):
    """A new paint layer right above the source, filled before it is added, so adding it is the one undo step."""
    existing = {n.name() for n in source.parentNode().childNodes()}
    layer = document.createNode(layer_name(preset, existing), "paintlayer")
    layer.setPixelData(pixels, *region)
    source.parentNode().addChildNode(layer, source)
    document.refreshProjection()
    return layer


def layer_png(document, node) -> bytes:
    """The layer over the whole canvas as an 8-bit PNG: where a zoom starts from."""
    if node.type() != "paintlayer":
        raise UnsupportedDocument("Select a paint layer to zoom into, or start from noise.")
    layout, depth = raw_format(node.colorModel(), node.colorDepth())
    width, height = document.width(), document.height()
    return encode_png(width, height, to_rgba8(bytes(node.pixelData(0, 0, width, height)), layout, depth))


def import_frames_as_layer(document, source, files: list[str], fps: float | None):
    """The frames as one new animated layer (a frame per animation frame), above the source when there is one."""
    root = document.rootNode()
    before = {node.uniqueId() for node in root.childNodes()}
    if source is not None:
        document.setActiveNode(source)
    if fps:
        document.setFramesPerSecond(int(round(fps)))
    if not document.importAnimation(files, 0, 1):
        raise UnsupportedDocument("Krita could not import the zoom's frames.")
    added = [node for node in root.childNodes() if node.uniqueId() not in before]
    layer = added[0]
    layer.setName(layer_name("zoom", {node.name() for node in root.childNodes()}))
    document.setFullClipRangeStartTime(0)
    document.setFullClipRangeEndTime(len(files) - 1)
    if fps:  # again: importing may reset it
        document.setFramesPerSecond(int(round(fps)))
    document.refreshProjection()
    return layer
