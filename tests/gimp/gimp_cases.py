"""Runs inside real GIMP 3 (gimp-console's python-fu-eval), against a real dream server; writes JSON for pytest.

Configured by DREAMLAYER_TEST_SERVER (URL) and DREAMLAYER_TEST_OUT (JSON path). The plug-in must already be
installed in HOME's GIMP plug-ins folder.
"""

import json
import os
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

W, H = 96, 64
SERVER = os.environ["DREAMLAYER_TEST_SERVER"]


def pattern():
    out = bytearray()
    for y in range(H):
        for x in range(W):
            out += bytes((40 + x * 7 % 160, 60 + y * 5 % 150, 50 + (x + y) * 3 % 140, 255))
    return bytes(out)


def make_image(precision=None, base=Gimp.ImageBaseType.RGB):
    image = Gimp.Image.new_with_precision(W, H, base, precision) if precision is not None else Gimp.Image.new(W, H, base)
    kind = Gimp.ImageType.RGBA_IMAGE if base == Gimp.ImageBaseType.RGB else Gimp.ImageType.GRAYA_IMAGE
    layer = Gimp.Layer.new(image, "Source", W, H, kind, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    if base == Gimp.ImageBaseType.RGB:
        layer.get_buffer().set(Gegl.Rectangle.new(0, 0, W, H), "R'G'B'A u8", pattern())
        layer.get_buffer().flush()
    return image, layer


def run_procedure(image, layer, server=SERVER, **values):
    procedure = Gimp.get_pdb().lookup_procedure("python-fu-dreamlayer")
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    settings = {"server-url": server, "octaves": 1, "steps": 4, "step-size": 6.0, "seed": 3, **values}
    for name, value in settings.items():
        config.set_property(name, value)
    result = procedure.run(config)
    status = result.index(0)
    error = Gimp.get_pdb().get_last_error() if status != Gimp.PDBStatusType.SUCCESS else None
    return status.value_nick, error


def read(layer, fmt="R'G'B'A u8"):
    return bytes(layer.get_buffer().get(Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height()), 1.0, fmt, Gegl.AbyssPolicy.CLAMP))


def selection_case(precision, label):
    image, source = make_image(precision)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 24, 16, 48, 32)
    Gimp.Selection.feather(image, 8.0)
    _, _, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    before = read(source, "R'G'B'A float")
    status, error = run_procedure(image, source)
    layers = image.get_layers()
    names = [layer.get_name() for layer in layers]
    out = {"label": label, "status": status, "error": error, "names": names, "selection_bounds": [x1, y1, x2 - x1, y2 - y1]}
    if status == "success":
        new = layers[0]
        _, ox, oy = new.get_offsets()
        source_pixels, new_pixels = read(source), read(new)
        core_changed = sum(
            new_pixels[((y - oy) * new.get_width() + (x - ox)) * 4:((y - oy) * new.get_width() + (x - ox)) * 4 + 3]
            != source_pixels[(y * W + x) * 4:(y * W + x) * 4 + 3]
            for y in range(28, 36) for x in range(40, 56)
        )
        selection = bytes(image.get_selection().get_buffer().get(
            Gegl.Rectangle.new(ox, oy, new.get_width(), new.get_height()), 1.0, "Y u8", Gegl.AbyssPolicy.NONE))
        unselected = [(x, y) for y in range(new.get_height()) for x in range(new.get_width()) if selection[y * new.get_width() + x] == 0]
        untouched = all(
            new_pixels[(y * new.get_width() + x) * 4:(y * new.get_width() + x) * 4 + 4]
            in (source_pixels[((y + oy) * W + x + ox) * 4:((y + oy) * W + x + ox) * 4 + 4], bytes(4))
            for x, y in unselected
        )
        out.update({
            "unselected_pixels": len(unselected), "unselected_untouched_or_clear": untouched,
            "new_bounds": [ox, oy, new.get_width(), new.get_height()], "core_changed": core_changed / 128,
            "source_unchanged": read(source, "R'G'B'A float") == before,
            "new_precision": image.get_precision().value_nick,
            # An open undo group left behind would make this succeed.
            "undo_group_left_open": bool(image.undo_group_end()),
        })
    image.delete()
    return out


def zoom_case(from_noise):
    image, source = make_image()
    procedure = Gimp.get_pdb().lookup_procedure("python-fu-dreamlayer-zoom")
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [source])
    for name, value in {"server-url": SERVER, "frames": 4, "steps-per-frame": 2, "fps": 12.0, "seed": 2,
                        "from-noise": from_noise}.items():
        config.set_property(name, value)
    result = procedure.run(config)
    status = result.index(0)
    out = {"status": status.value_nick, "error": Gimp.get_pdb().get_last_error() if status != Gimp.PDBStatusType.SUCCESS else None}
    if status == Gimp.PDBStatusType.SUCCESS:
        film = result.index(1)
        layers = film.get_layers()
        pixels = [read(layer) for layer in layers]
        out.update({"size": [film.get_width(), film.get_height()], "names": [layer.get_name() for layer in layers],
                    "distinct": len(set(pixels)), "source_layers": len(image.get_layers())})
        film.delete()
    image.delete()
    return out


results = {"gimp": Gimp.version()}
try:
    results["u8"] = selection_case(None, "u8")
    results["u16"] = selection_case(Gimp.Precision.U16_NON_LINEAR, "u16")
    results["float"] = selection_case(Gimp.Precision.FLOAT_LINEAR, "float")

    results["zoom_noise"] = zoom_case(True)
    results["zoom_layer"] = zoom_case(False)

    image, source = make_image()
    status, error = run_procedure(image, source, server="http://127.0.0.1:9")
    results["server_down"] = {"status": status, "error": error, "layers": len(image.get_layers())}
    image.delete()

    grey, grey_layer = make_image(base=Gimp.ImageBaseType.GRAY)
    status, error = run_procedure(grey, grey_layer)
    results["grey"] = {"status": status, "error": error, "layers": len(grey.get_layers())}
    grey.delete()
except Exception:
    results["crash"] = traceback.format_exc()

with open(os.environ["DREAMLAYER_TEST_OUT"], "w") as f:
    json.dump(results, f, indent=1)
