#!/usr/bin/env python3
"""dreamlayer for GIMP 3: Filters > Artistic > DeepDream... dreams the layer (or selection) into a new layer.

The dreaming happens in a local `dreamlayer serve`; this plug-in reads the pixels, talks to it through the shared
stdlib-only client, and writes the result as a new layer above the source, in one undo group.
"""

import os
import sys

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import GLib, GObject, Gegl, Gimp, GimpUi  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import DEFAULT_URL, ClientError, DreamClient, RawImage, RawMask, feature_scale  # noqa: E402
from dreamlayer_core import PROCEDURE, DreamError, check_base_type, dream_params, layer_name, pixel_format  # noqa: E402

RW = GObject.ParamFlags.READWRITE


def _read_region(image, drawable):
    """The drawable's pixels inside the selection's bounds, and the feathered selection there."""
    check_base_type(image.get_base_type().value_nick.upper())
    if not isinstance(drawable, Gimp.Layer) or drawable.is_group():
        raise DreamError("Select a layer (not a group, mask or channel) to dream on.")
    selected, x, y, width, height = drawable.mask_intersect()
    if not selected or width <= 0 or height <= 0:
        raise DreamError("The selection does not touch this layer: there is nothing to dream.")
    babl, layout, depth = pixel_format(image.get_precision().value_name.replace("GIMP_PRECISION_", ""))
    pixels = drawable.get_buffer().get(Gegl.Rectangle.new(x, y, width, height), 1.0, babl, Gegl.AbyssPolicy.CLAMP)
    _, off_x, off_y = drawable.get_offsets()
    mask = None
    if not Gimp.Selection.is_empty(image):
        selection = image.get_selection().get_buffer()
        mask_bytes = selection.get(Gegl.Rectangle.new(off_x + x, off_y + y, width, height), 1.0, "Y u8", Gegl.AbyssPolicy.NONE)
        mask = RawMask(bytes(mask_bytes), "u8")
    region = (off_x + x, off_y + y, width, height)
    return region, RawImage(width, height, bytes(pixels), layout, depth), babl, mask


def _add_layer(image, source, region, babl, data, preset):
    x, y, width, height = region
    existing = {layer.get_name() for layer in image.get_layers()}
    layer = Gimp.Layer.new(image, layer_name(preset, existing), width, height, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.undo_group_start()
    try:
        image.insert_layer(layer, source.get_parent(), image.get_item_position(source))
        layer.set_offsets(x, y)
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, width, height), babl, data)
        buffer.flush()
        layer.update(0, 0, width, height)
    finally:
        image.undo_group_end()
    return layer


def dream(image, drawable, values):
    region, raw, babl, mask = _read_region(image, drawable)
    params = dream_params(values)
    params.setdefault("scale", feature_scale(image.get_width(), image.get_height()))
    client = DreamClient(values["server-url"])
    Gimp.progress_init("Dreaming...")
    job = client.submit(raw, params, mask=mask)
    client.wait(job.id, on_progress=lambda status: Gimp.progress_update(status.progress.fraction), poll_seconds=0.2)
    result = client.result(job.id)
    layer = _add_layer(image, drawable, region, babl, result.data, params["preset"])
    Gimp.progress_end()
    Gimp.displays_flush()
    return layer


class DreamlayerPlugIn(Gimp.PlugIn):
    def do_query_procedures(self):
        return [PROCEDURE]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, self.run, None)
        procedure.set_image_types("RGB*, GRAY*, INDEXED*")
        procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        procedure.set_menu_label("DeepDream...")
        procedure.add_menu_path("<Image>/Filters/Artistic")
        procedure.set_documentation(
            "Dream the layer or selection into a new layer",
            "Sends the layer (within the selection) to a local dreamlayer server and adds the dream as a new layer "
            "above it. Start the server first with `dreamlayer serve`.", name)
        procedure.set_attribution("dreamlayer", "dreamlayer", "2026")
        procedure.add_string_argument("server-url", "Server URL", "Where `dreamlayer serve` listens", DEFAULT_URL, RW)
        procedure.add_string_argument("preset", "Preset", "classic, gentle or deep", "classic", RW)
        procedure.add_string_argument("model", "Model", "Network to dream with", "lite0", RW)
        procedure.add_string_argument("layer", "Network layer", "Empty for the model's default", "", RW)
        procedure.add_int_argument("octaves", "Octaves", "Scales the dream is built over", 1, 12, 4, RW)
        procedure.add_int_argument("steps", "Steps", "Steps per octave", 1, 200, 10, RW)
        procedure.add_double_argument("step-size", "Step size", "Strength of one step", 0.01, 25.0, 1.5, RW)
        procedure.add_boolean_argument("preserve-colors", "Preserve colours", "Change brightness only", False, RW)
        procedure.add_int_argument("seed", "Seed", "-1 for a new random dream each time", -1, 2**31 - 1, -1, RW)
        return procedure

    def run(self, procedure, run_mode, image, drawables, config, run_data):
        if run_mode == Gimp.RunMode.INTERACTIVE:
            GimpUi.init(PROCEDURE)
            dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
            dialog.fill(None)
            if not dialog.run():
                dialog.destroy()
                return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
            dialog.destroy()
        names = ("server-url", "preset", "model", "layer", "octaves", "steps", "step-size", "preserve-colors", "seed")
        values = {name: config.get_property(name) for name in names}
        try:
            if len(drawables) != 1:
                raise DreamError("Select exactly one layer to dream on.")
            dream(image, drawables[0], values)
        except (DreamError, ClientError) as exc:
            Gimp.progress_end()
            return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR,
                                               GLib.Error.new_literal(Gimp.PlugIn.error_quark(), str(exc), 0))
        except Exception as exc:  # noqa: BLE001 - a readable message, never a traceback dialog
            Gimp.progress_end()
            return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR, GLib.Error.new_literal(
                Gimp.PlugIn.error_quark(), f"DeepDream failed unexpectedly: {exc}", 0))
        return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


Gimp.main(DreamlayerPlugIn.__gtype__, sys.argv)
