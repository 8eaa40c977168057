"""Krita's side of a dream: read the layer (and selection, and guide layer) out, write the result in as a new
layer, or as one of a batch of variations in their own group. Animated layers are frames.py's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from krita import Selection

from dreamlayer_editor.layers import dream_layer_name, unique_name
from dreamlayer_editor.protocol import RawImage, RawMask
from dreamlayer_editor.wire import encode_png

from .records import dream_sources, find_node, node_id
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


def landing_spot(document, source):
    """Where a new dream of ``source`` goes: right above the highest of the source and the dreams already made from
    it among its siblings (a group of variations counts by its layers), so the new dream is on top and shows."""
    made_from = dream_sources(document)
    source_id = node_id(source)

    def is_dream_of_source(node) -> bool:
        if made_from.get(node_id(node)) == source_id:
            return True
        return node.type() == "grouplayer" and any(made_from.get(node_id(child)) == source_id for child in node.childNodes())

    siblings = source.parentNode().childNodes()
    ids = [node_id(node) for node in siblings]
    spot = source
    for node in siblings[ids.index(source_id) + 1:]:
        if is_dream_of_source(node):
            spot = node
    return spot


def add_result_layer(document, above, region: Bounds, pixels: bytes, label: str, selection: RawMask | None = None):
    """A new paint layer "Dream 4711 · deep" right above ``above``, filled (and masked by the selection) before it
    is added, so that adding it is the one undo step."""
    parent = above.parentNode()
    name = dream_layer_name(label, {n.name() for n in parent.childNodes()})
    layer = _filled_layer(document, region, pixels, name, selection)
    parent.addChildNode(layer, above)
    document.refreshProjection()
    return layer


class VariationGroup:
    """Where a batch of variations lands: a new group "Variations 40–42 · gentle" where a dream of the source would
    land, made when the first of them arrives (with it inside: one undo step). The first seed shows; each later one
    goes on top of the others, hidden, so the painter flips through them with their eyes (Krita's scripting can
    only add a layer above another, so the first stays at the bottom; GIMP's group has it on top). Should
    the artist delete the group meanwhile, the next variation makes a new one."""

    def __init__(self, name: str):
        self.name = name
        self.group_id: str | None = None

    def add(self, document, source, region: Bounds, pixels: bytes, label: str, selection: RawMask | None = None):
        group = find_node(document, self.group_id) if self.group_id is not None else None
        if group is None:
            above = landing_spot(document, source)
            group = document.createGroupLayer(unique_name(self.name, {n.name() for n in above.parentNode().childNodes()}))
            layer = _filled_layer(document, region, pixels, dream_layer_name(label, set()), selection)
            group.setChildNodes([layer])
            above.parentNode().addChildNode(group, above)
            self.group_id = node_id(group)
        else:
            children = group.childNodes()
            layer = _filled_layer(document, region, pixels, dream_layer_name(label, {n.name() for n in children}), selection)
            layer.setVisible(False)  # hidden, so the first one keeps showing
            group.addChildNode(layer, children[-1] if children else None)
        document.refreshProjection()
        return layer


def _filled_layer(document, region: Bounds, pixels: bytes, name: str, selection: RawMask | None):
    """A paint layer holding ``pixels`` over ``region``; with a selection, a transparency mask made of it, so the
    dream shows only where the selection was and the painter can paint the mask to grow or hide it. Krita 5.1's
    scripting has no way to fill a mask: there ``pixels`` come with the selection already in their alpha
    (task.DreamTask.fetch), so the layer is just as transparent outside it."""
    layer = document.createNode(name, "paintlayer")
    layer.setPixelData(pixels, *region)
    if selection is not None and can_mask(document):
        mask = document.createTransparencyMask("Selection")
        shape = Selection()
        shape.setPixelData(selection.data, *region)
        mask.setSelection(shape)
        layer.addChildNode(mask, None)
    return layer


def can_mask(document) -> bool:
    """Whether this Krita's scripting can make a transparency mask (5.2 and later)."""
    return hasattr(document, "createTransparencyMask")


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
