#!/usr/bin/env python3
"""dreamlayer for GIMP 3: Filters > Artistic > DeepDream... dreams the layer (or selection) into a new layer.

The dreaming happens in a local `dreamlayer serve`; this plug-in reads the pixels, talks to it through the shared
stdlib-only client, and writes the result as a new layer above the source, in one undo group.
"""

import os
import sys
import tempfile

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gio, GLib, GObject, Gegl, Gimp, GimpUi  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import DEFAULT_URL, ClientError, DreamClient, RawImage, RawMask, encode_png, feature_scale  # noqa: E402
from dreamlayer_core import (  # noqa: E402
    PROCEDURE, ZOOM_PROCEDURE, DreamError, check_base_type, dream_params, frame_layer_name, layer_name, pixel_format, zoom_params,
)

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


def zoom(image, drawable, values):
    """A zoom film of the layer (or of noise at the image's size) as a new image whose layers are the frames."""
    check_base_type(image.get_base_type().value_nick.upper())
    if values["from-noise"]:
        start, width, height = None, image.get_width(), image.get_height()
    else:
        width, height = drawable.get_width(), drawable.get_height()
        pixels = drawable.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.CLAMP)
        start = encode_png(width, height, bytes(pixels))
    params = zoom_params(values)
    params.setdefault("scale", feature_scale(image.get_width(), image.get_height()))
    client = DreamClient(values["server-url"])
    Gimp.progress_init("Dreaming a zoom...")
    job = client.submit_zoom(params, start, width, height)
    client.wait(job.id, on_progress=lambda status: Gimp.progress_update(status.progress.fraction), poll_seconds=0.2)
    film = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
    film.undo_disable()  # a new image: nothing to undo while building it
    with tempfile.TemporaryDirectory(prefix="dreamlayer-zoom-") as scratch:
        for index in range(values["frames"]):
            path = os.path.join(scratch, f"frame_{index:05d}.png")
            with open(path, "wb") as f:
                f.write(client.frame(job.id, index))
            layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, film, Gio.File.new_for_path(path))
            layer.set_name(frame_layer_name(index, values["fps"]))
            film.insert_layer(layer, None, 0)  # GIMP's animations play bottom to top
    film.undo_enable()
    Gimp.progress_end()
    return film


class DreamlayerPlugIn(Gimp.PlugIn):
    def do_query_procedures(self):
        return [PROCEDURE, ZOOM_PROCEDURE]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        if name == ZOOM_PROCEDURE:
            return self._create_zoom(name)
        procedure = self._procedure(
            name, self.run, "DeepDream...", Gimp.ProcedureSensitivityMask.DRAWABLE,
            "Dream the layer or selection into a new layer",
            "Sends the layer (within the selection) to a local dreamlayer server and adds the dream as a new layer "
            "above it. Start the server first with `dreamlayer serve`.")
        procedure.add_string_argument("model", "Model", "Network to dream with", "lite0", RW)
        procedure.add_string_argument("layer", "Network layer", "Empty for the model's default", "", RW)
        procedure.add_int_argument("octaves", "Octaves", "Scales the dream is built over", 1, 12, 4, RW)
        procedure.add_int_argument("steps", "Steps", "Steps per octave", 1, 200, 10, RW)
        procedure.add_double_argument("step-size", "Step size", "Strength of one step", 0.01, 25.0, 1.5, RW)
        procedure.add_boolean_argument("preserve-colors", "Preserve colours", "Change brightness only", False, RW)
        procedure.add_int_argument("seed", "Seed", "-1 for a new random dream each time", -1, 2**31 - 1, -1, RW)
        return procedure

    def _procedure(self, name, run, label, sensitivity, blurb, help_text):
        """What both procedures share: where they sit in the menus, and the server and preset arguments."""
        procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run, None)
        procedure.set_image_types("RGB*, GRAY*, INDEXED*")
        procedure.set_sensitivity_mask(sensitivity)
        procedure.set_menu_label(label)
        procedure.add_menu_path("<Image>/Filters/Artistic")
        procedure.set_documentation(blurb, help_text, name)
        procedure.set_attribution("dreamlayer", "dreamlayer", "2026")
        procedure.add_string_argument("server-url", "Server URL", "Where `dreamlayer serve` listens", DEFAULT_URL, RW)
        procedure.add_string_argument("preset", "Preset", "classic, gentle or deep", "classic", RW)
        return procedure

    def _create_zoom(self, name):
        procedure = self._procedure(
            name, self.run_zoom, "DeepDream Zoom...",
            Gimp.ProcedureSensitivityMask.DRAWABLE | Gimp.ProcedureSensitivityMask.NO_DRAWABLES,
            "A dream zoom film as a new image, one layer per frame",
            "Dreams, zooms in a little and dreams again, from the layer or from noise; the frames become the layers "
            "of a new image, ready for File > Export As GIF or WebP animation. Needs `dreamlayer serve`.")
        procedure.add_boolean_argument("from-noise", "Start from noise", "Ignore the layer and start from noise", False, RW)
        procedure.add_int_argument("frames", "Frames", "Number of frames", 1, 2000, 48, RW)
        procedure.add_double_argument("zoom", "Zoom per frame", "Enlargement per frame", 1.0, 2.0, 1.05, RW)
        procedure.add_double_argument("rotate", "Rotation per frame", "Degrees per frame", -45.0, 45.0, 0.0, RW)
        procedure.add_int_argument("steps-per-frame", "Steps per frame", "Dream steps per octave per frame", 1, 200, 5, RW)
        procedure.add_double_argument("fps", "Frames per second", "Playback speed, written into the frame names", 1.0, 120.0, 24.0, RW)
        procedure.add_int_argument("seed", "Seed", "-1 for a new random film each time", -1, 2**31 - 1, -1, RW)
        procedure.add_image_return_value("film", "Film", "The new image, one layer per frame", True, RW)
        return procedure

    def run_zoom(self, procedure, run_mode, image, drawables, config, run_data):
        def work(values):
            if not values["from-noise"] and len(drawables) != 1:
                raise DreamError("Select exactly one layer to zoom into, or start from noise.")
            film = zoom(image, drawables[0] if drawables else None, values)
            if run_mode == Gimp.RunMode.INTERACTIVE:
                Gimp.Display.new(film)
            return Gimp.ValueArray.new_from_values([
                GObject.Value(Gimp.PDBStatusType, Gimp.PDBStatusType.SUCCESS), GObject.Value(Gimp.Image, film)])

        return _guarded(procedure, run_mode, config, work)

    def run(self, procedure, run_mode, image, drawables, config, run_data):
        def work(values):
            if len(drawables) != 1:
                raise DreamError("Select exactly one layer to dream on.")
            dream(image, drawables[0], values)
            return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())

        return _guarded(procedure, run_mode, config, work)


def _guarded(procedure, run_mode, config, work):
    """Both procedures' run: the dialog when interactive, then ``work(values)``, with every failure a GIMP error."""
    if run_mode == Gimp.RunMode.INTERACTIVE and not _dialog(procedure, config):
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    values = {spec.name: config.get_property(spec.name) for spec in procedure.get_arguments()
              if spec.name not in ("run-mode", "image", "drawables")}
    try:
        return work(values)
    except (DreamError, ClientError) as exc:
        return _error(procedure, str(exc))
    except Exception as exc:  # noqa: BLE001 - a readable message, never a traceback dialog
        return _error(procedure, f"{procedure.get_menu_label().rstrip('.')} failed unexpectedly: {exc}")


def _dialog(procedure, config) -> bool:
    """The auto-built dialog, which remembers the last values; False when the user cancels."""
    GimpUi.init(procedure.get_name())
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
    dialog.fill(None)
    accepted = dialog.run()
    dialog.destroy()
    return accepted


def _error(procedure, message: str):
    Gimp.progress_end()
    return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR,
                                       GLib.Error.new_literal(Gimp.PlugIn.error_quark(), message, 0))


Gimp.main(DreamlayerPlugIn.__gtype__, sys.argv)
