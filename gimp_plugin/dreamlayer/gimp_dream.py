"""A dream of a layer (within the selection) as a new layer above it: read the pixels, send them, add the result.

The source layer is never written to, and nothing is added before every dream is back, so a failed dream leaves
the image as it was. The new layer is inserted, filled and given its settings in one undo group.

- A guide: another layer's pixels (8-bit PNG), whose features the dream reaches for.
- Where it lands: above the source and above the dreams already made from it (their records name the source's
  tattoo), so a new dream always shows.
- A selection: the new layer gets it as its layer mask, so the dream shows only there, and the painter can paint
  the mask to grow or hide it; painting the source later never reveals a rectangle.
- Variations: N dreams with consecutive seeds, queued together; they arrive as N layers, each named with its seed,
  in a new layer group above the source, all in one undo group: the first shows, the others are hidden. GIMP's Cancel ends the plug-in; the server then
  cancels the dreams left once their lease runs out (``server_connection``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

from dreamlayer_editor.client import DreamClient  # noqa: E402
from dreamlayer_editor.layers import dream_layer_name, layer_label, unique_name, variations_group_name  # noqa: E402
from dreamlayer_editor.records import LayerRecord, RecordError  # noqa: E402
from dreamlayer_editor.protocol import JobStatus, RawImage, RawMask  # noqa: E402
from dreamlayer_editor.wire import encode_png  # noqa: E402
from pictures import (  # noqa: E402
    SETTINGS_PARASITE, check_base_type, pixel_format,
)
from plugin_errors import DreamError  # noqa: E402
from server_connection import LEASE_SECONDS, Connection  # noqa: E402


class Region(NamedTuple):
    """The part of a layer to dream: its box on the canvas, its pixels, and the selection's mask there."""

    x: int
    y: int
    raw: RawImage
    mask: RawMask | None
    babl: str  # the pixels' format, for writing the result back

    @classmethod
    def from_layer(cls, image: Gimp.Image, drawable: Gimp.Drawable) -> Region:
        check_base_type(image.get_base_type().value_nick.upper())
        if not isinstance(drawable, Gimp.Layer) or drawable.is_group():
            raise DreamError("Select a layer (not a group, mask or channel) to dream on.")
        selected, x, y, width, height = drawable.mask_intersect()
        if not selected or width <= 0 or height <= 0:
            raise DreamError("The selection does not touch this layer: there is nothing to dream.")
        babl, layout, depth = pixel_format(image.get_precision().value_name.replace("GIMP_PRECISION_", ""))
        box = Gegl.Rectangle.new(x, y, width, height)
        pixels = drawable.get_buffer().get(box, 1.0, babl, Gegl.AbyssPolicy.CLAMP)
        _, off_x, off_y = drawable.get_offsets()
        mask = None
        if not Gimp.Selection.is_empty(image):  # with a selection, the mask always goes along
            on_canvas = Gegl.Rectangle.new(off_x + x, off_y + y, width, height)
            selection = image.get_selection().get_buffer().get(on_canvas, 1.0, "Y u8", Gegl.AbyssPolicy.NONE)
            mask = RawMask(bytes(selection), "u8")
        return cls(off_x + x, off_y + y, RawImage(width, height, bytes(pixels), layout, depth), mask, babl)


def dream(image: Gimp.Image, drawable: Gimp.Drawable, preset: str, settings: list[dict[str, Any]],
          connection: Connection, guide: Gimp.Drawable | None = None) -> list[Gimp.Layer]:
    """Dream ``drawable`` once per entry of ``settings`` (every dream setting, resolved; a variation's seed each):
    one dream is a new layer above it, several a new group of layers."""
    region = Region.from_layer(image, drawable)
    guide_png = guide_picture(guide) if guide is not None else None
    count = len(settings)
    Gimp.progress_init(f"Dreaming ({preset})..." if count == 1 else f"Dreaming {count} variations ({preset})...")
    # A layer reaching past the canvas starts before it; the server only needs to know it touches the edge there.
    position = (max(region.x, 0), max(region.y, 0))

    def submitter(values: dict[str, Any]):
        return lambda client: client.submit(
            region.raw, {**values, "preset": preset, "lease": LEASE_SECONDS}, mask=region.mask, guide=guide_png,
            document=(image.get_width(), image.get_height()), position=position)

    def show(index: int, status: JobStatus) -> None:
        show_progress(status, index, count)

    def fetch(client: DreamClient, status: JobStatus) -> tuple[bytes, JobStatus]:
        return _checked_pixels(client.result(status.id, forget=True).image, region.raw), status

    dreams = connection.run_jobs([submitter(values) for values in settings], fetch, show)
    layers = _add_layers(image, drawable, region, dreams)
    Gimp.progress_end()
    Gimp.displays_flush()
    return layers


def guide_picture(guide: Gimp.Drawable) -> bytes:
    """The guide layer's pixels as an 8-bit PNG: the server only compares its features, so 8 bits are plenty."""
    width, height = guide.get_width(), guide.get_height()
    pixels = guide.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.CLAMP)
    return encode_png(width, height, bytes(pixels))


def _checked_pixels(result: Any, sent: RawImage) -> bytes:
    """The dream's pixels, if they are what was sent (size, layout, depth): checked before any layer is added."""
    if not isinstance(result, RawImage) or result[:2] + result[3:] != sent[:2] + sent[3:] or len(result.data) != len(sent.data):
        raise DreamError("The dream server sent back a picture of another size or kind than the layer; nothing was "
                         "added. Is the server the same version as the plug-in?")
    return result.data


def show_progress(status: JobStatus, index: int = 0, count: int = 1) -> None:
    what = "Dreaming" if count == 1 else f"Dreaming variation {index + 1} of {count}"
    if status.queue_position:
        Gimp.progress_set_text(f"{what}: waiting for the server ({status.queue_position} before it)")
    elif status.progress.octaves:
        Gimp.progress_set_text(f"{what}: scale {max(status.progress.octave, 1)} of {status.progress.octaves}")
    Gimp.progress_update((index + status.fraction) / count)


def _add_layers(image: Gimp.Image, source: Gimp.Layer, region: Region,
                dreams: list[tuple[bytes, JobStatus]]) -> list[Gimp.Layer]:
    """Each dream as a layer above the source and the dreams already made from it, or, for variations, in a new
    group there (the first seed on top and shown, the others hidden); one undo group."""
    existing = _layer_names(image.get_layers())
    image.undo_group_start()
    try:
        parent, position = source.get_parent(), landing_position(image, source)
        if len(dreams) > 1:
            seeds = [(status.settings or {}).get("seed") for _, status in dreams]
            name = unique_name(variations_group_name(dreams[0][1].preset or "dream", seeds), existing)
            group = Gimp.GroupLayer.new(image, name)
            image.insert_layer(group, parent, position)
            parent, position = group, 0
        layers = []
        for index, (data, status) in enumerate(dreams):
            layer = _new_layer(image, region, status, existing)
            image.insert_layer(layer, parent, position + index)  # the first seed on top
            _fill(layer, region, data, status, source)
            if region.mask is not None:  # the selection, as a mask the painter can paint to grow or hide the dream
                layer.add_mask(layer.create_mask(Gimp.AddMaskType.SELECTION))
            layer.set_visible(index == 0)
            existing.add(layer.get_name())
            layers.append(layer)
    finally:
        image.undo_group_end()
    return layers


def landing_position(image: Gimp.Image, source: Gimp.Layer) -> int:
    """Where a new dream of ``source`` goes among its siblings: right above the highest of the source and the
    dreams already made from it (a group of variations counts by its layers), so the new dream shows."""
    siblings = source.get_parent().get_children() if source.get_parent() else image.get_layers()
    here = image.get_item_position(source)
    tattoo = source.get_tattoo()

    def made_from_source(layer: Gimp.Layer) -> bool:
        if layer.is_group():
            return any(made_from_source(child) for child in layer.get_children())
        record = read_record(layer)
        return record is not None and record.source == str(tattoo)

    for position in range(here):  # from the top down: the first dream of the source found is the highest
        if made_from_source(siblings[position]):
            return position
    return here


def read_record(item: Gimp.Item) -> LayerRecord | None:
    """What made a layer, from its parasite; None when it is no dream layer (or its record is unreadable)."""
    parasite = item.get_parasite(SETTINGS_PARASITE)
    if parasite is None:
        return None
    try:
        return LayerRecord.from_bytes(bytes(parasite.get_data()))
    except RecordError:
        return None


def _layer_names(layers: list[Gimp.Layer]) -> set[str]:
    """Every layer's name, inside groups too: GIMP keeps them unique in an image."""
    names = set()
    for layer in layers:
        names.add(layer.get_name())
        if layer.is_group():
            names |= _layer_names(layer.get_children())
    return names


def _new_layer(image: Gimp.Image, region: Region, status: JobStatus, existing: set[str]) -> Gimp.Layer:
    name = dream_layer_name(layer_label(status.preset or "dream", (status.settings or {}).get("seed")), existing)
    return Gimp.Layer.new(image, name, region.raw.width, region.raw.height, Gimp.ImageType.RGBA_IMAGE, 100.0,
                          Gimp.LayerMode.NORMAL)


def _fill(layer: Gimp.Layer, region: Region, data: bytes, status: JobStatus, source: Gimp.Layer) -> None:
    width, height = region.raw.width, region.raw.height
    layer.set_offsets(region.x, region.y)
    buffer = layer.get_buffer()
    buffer.set(Gegl.Rectangle.new(0, 0, width, height), region.babl, data)
    buffer.flush()
    layer.update(0, 0, width, height)
    record = LayerRecord(status.settings or {}, status.preset, source=str(source.get_tattoo())).to_bytes()
    layer.attach_parasite(Gimp.Parasite.new(SETTINGS_PARASITE, Gimp.PARASITE_PERSISTENT, list(record)))
