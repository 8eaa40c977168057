"""A dream of a layer (within the selection) as a new layer above it: read the pixels, send them, add the result.

The source layer is never written to, and nothing is added before the dream is back, so a failed dream leaves
the image as it was. The new layer is inserted, filled and given its settings in one undo group.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

from client import DreamClient, JobStatus, RawImage, RawMask  # noqa: E402
from pictures import SETTINGS_PARASITE, check_base_type, layer_name, pixel_format, settings_record  # noqa: E402
from plugin_errors import DreamError  # noqa: E402

# GIMP's Cancel button ends the plug-in outright; the server then cancels the job once nobody has asked about it
# for this many seconds (the plug-in asks several times a second while it runs).
LEASE_SECONDS = 10
POLL_SECONDS = 0.2


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


def dream(image: Gimp.Image, drawable: Gimp.Drawable, preset: str, settings: dict[str, Any],
          server_url: str) -> Gimp.Layer:
    """Dream ``drawable`` with ``settings`` (every dream setting, resolved) into a new layer above it."""
    region = Region.from_layer(image, drawable)
    client = DreamClient(server_url)
    Gimp.progress_init(f"Dreaming ({preset})...")
    # A layer reaching past the canvas starts before it; the server only needs to know it touches the edge there.
    position = (max(region.x, 0), max(region.y, 0))
    job = client.submit(region.raw, {**settings, "preset": preset, "lease": LEASE_SECONDS}, mask=region.mask,
                        document=(image.get_width(), image.get_height()), position=position)
    status = client.wait(job.id, on_progress=show_progress, poll_seconds=POLL_SECONDS)
    result = client.result(job.id)
    layer = _add_layer(image, drawable, region, result.image.data, status)
    Gimp.progress_end()
    Gimp.displays_flush()
    return layer


def show_progress(status: JobStatus) -> None:
    if status.progress.octaves:
        Gimp.progress_set_text(f"Dreaming: scale {max(status.progress.octave, 1)} of {status.progress.octaves}")
    Gimp.progress_update(status.fraction)


def _add_layer(image: Gimp.Image, source: Gimp.Layer, region: Region, data: bytes, status: JobStatus) -> Gimp.Layer:
    settings = status.settings or {}
    existing = {layer.get_name() for layer in image.get_layers()}
    name = layer_name(status.preset or "dream", settings.get("seed"), existing)
    width, height = region.raw.width, region.raw.height
    layer = Gimp.Layer.new(image, name, width, height, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.undo_group_start()
    try:
        image.insert_layer(layer, source.get_parent(), image.get_item_position(source))
        layer.set_offsets(region.x, region.y)
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, width, height), region.babl, data)
        buffer.flush()
        layer.update(0, 0, width, height)
        record = settings_record(status.preset, settings)
        layer.attach_parasite(Gimp.Parasite.new(SETTINGS_PARASITE, Gimp.PARASITE_PERSISTENT, list(record)))
    finally:
        image.undo_group_end()
    return layer
