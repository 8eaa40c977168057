"""Krita's side of a dream: read the layer (and selection, and guide layer) out, write the result in as a new
layer, or as one of a batch of variations in their own group. Animated layers are frames.py's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from dreamlayer_editor.layers import dream_layer_name
from dreamlayer_editor.protocol import RawImage, RawMask
from dreamlayer_editor.wire import encode_png

from .records import find_node, node_id
from .regions import Bounds, UnsupportedDocument, raw_format, region_to_dream, to_rgba8


class Region(NamedTuple):
    bounds: Bounds
    image: RawImage
    mask: RawMask | None


@dataclass(eq=False)
class LayerPixels:
    """A layer (a guide, a zoom's start) as read on the GUI thread; ``png()`` encodes it as 8-bit PNG, which is slow
    for float depths: call it on a worker thread."""

    width: int
    height: int
    data: bytes
    layout: str
    depth: str
    # Kept with this reading only, so a big layer's pixels go when the tasks that use them do.
    _png: bytes | None = field(default=None, repr=False)

    def png(self) -> bytes:
        """Encoded once per reading: a guide is sent with each of a batch of variations, and again with a dream
        sent again."""
        if self._png is None:
            self._png = encode_png(self.width, self.height, to_rgba8(self.data, self.layout, self.depth))
        return self._png


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


def read_guide(document, node) -> LayerPixels:
    """What the guide layer shows (its projection: masks and, for a group, its layers included), cropped to its
    content on the canvas. The dream reaches for its features wherever they are, so its position does not matter."""
    layout, depth = raw_format(node.colorModel(), node.colorDepth())
    area = _bounds(node.bounds()).intersect(Bounds(0, 0, document.width(), document.height()))
    if area.empty:
        raise UnsupportedDocument(f"The guide layer '{node.name()}' is empty: pick a layer with a picture on it.")
    return LayerPixels(area.width, area.height, bytes(node.projectionPixelData(*area)), layout, depth)


def add_result_layer(document, above, region: Bounds, pixels: bytes, label: str):
    """A new paint layer "Dream (label)" right above ``above``, filled before it is added, so that adding it is the
    one undo step."""
    parent = above.parentNode()
    layer = _filled_layer(document, region, pixels, dream_layer_name(label, {n.name() for n in parent.childNodes()}))
    parent.addChildNode(layer, above)
    document.refreshProjection()
    return layer


class VariationGroup:
    """Where a batch of variations lands: a new group "Dream (label)" right above the source, made when the first
    of them arrives (with it inside: one undo step), each later one on top of the others. Should the artist delete
    the group meanwhile, the next variation makes a new one."""

    def __init__(self, label: str):
        self.label = label
        self.group_id: str | None = None

    def add(self, document, source, region: Bounds, pixels: bytes, label: str):
        group = find_node(document, self.group_id) if self.group_id is not None else None
        if group is None:
            parent = source.parentNode()
            group = document.createGroupLayer(dream_layer_name(self.label, {n.name() for n in parent.childNodes()}))
            layer = _filled_layer(document, region, pixels, dream_layer_name(label, set()))
            group.setChildNodes([layer])
            parent.addChildNode(group, source)
            self.group_id = node_id(group)
        else:
            children = group.childNodes()
            layer = _filled_layer(document, region, pixels, dream_layer_name(label, {n.name() for n in children}))
            group.addChildNode(layer, children[-1] if children else None)
        document.refreshProjection()
        return layer


def _filled_layer(document, region: Bounds, pixels: bytes, name: str):
    layer = document.createNode(name, "paintlayer")
    layer.setPixelData(pixels, *region)
    return layer


def read_zoom_start(document, node) -> LayerPixels:
    """The layer over the whole canvas: where a zoom starts from."""
    if node.type() != "paintlayer":
        raise UnsupportedDocument("Select a paint layer to zoom into, or start from noise.")
    layout, depth = raw_format(node.colorModel(), node.colorDepth())
    width, height = document.width(), document.height()
    return LayerPixels(width, height, bytes(node.pixelData(0, 0, width, height)), layout, depth)


def composite(document, region: Bounds):
    """The document as it looks now inside the region, as an 8-bit QImage: the finished dream's preview."""
    return document.projection(*region)
