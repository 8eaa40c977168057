"""Runs inside real GIMP 3 (gimp-console's python-fu-eval), against a real dream server; writes JSON for pytest.

Configured by DREAMLAYER_TEST_SERVER (URL) and DREAMLAYER_TEST_OUT (JSON path). The plug-in must already be
installed in HOME's GIMP plug-ins folder. The procedures are run as a script would run them: through the PDB, with
their own arguments; what ran is read back from the settings parasite on the new layer.
"""

import json
import os
import sys
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

W, H = 96, 64
SERVER = os.environ["DREAMLAYER_TEST_SERVER"]
PLUGIN = os.path.join(Gimp.directory(), "plug-ins", "dreamlayer")
PARASITE = "dreamlayer-settings"


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


def run(name, image, layer, values):
    """Run procedure ``name`` non-interactively with ``values`` (argument name -> value); (status, error, result)."""
    procedure = Gimp.get_pdb().lookup_procedure(name)
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    for key, value in {"server-url": SERVER, **values}.items():
        config.set_property(key, value)
    result = procedure.run(config)
    status = Gimp.PDBStatusType(result.index(0))  # GIMP 3.2 hands back a plain number
    error = Gimp.get_pdb().get_last_error() if status != Gimp.PDBStatusType.SUCCESS else None
    return status.value_nick, error, result


def run_dream(image, source, values):
    status, error, _ = run("python-fu-dreamlayer", image, source, values)
    return status, error


def read(layer, fmt="R'G'B'A u8"):
    return bytes(layer.get_buffer().get(Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height()), 1.0, fmt, Gegl.AbyssPolicy.CLAMP))


def recorded(item):
    parasite = item.get_parasite(PARASITE)
    return json.loads(bytes(parasite.get_data()).decode()) if parasite else None


def quick(**values):
    """Arguments that make a dream quick on two cores: one scale of a few steps."""
    return {"octaves": 1, "steps": 4, "step-size": 6.0, "seed": 3, **values}


def selection_case(precision, label):
    image, source = make_image(precision)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 24, 16, 48, 32)
    Gimp.Selection.feather(image, 8.0)
    _, _, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    before = read(source, "R'G'B'A float")
    status, error = run_dream(image, source, quick())
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
            "recorded": recorded(new),
            # An open undo group left behind would make this succeed.
            "undo_group_left_open": bool(image.undo_group_end()),
        })
    image.delete()
    return out


def preset_case(preset, values=None):
    """A dream with ``preset`` and only ``values`` besides; what the new layer records."""
    image, source = make_image()
    status, error = run_dream(image, source, {"preset": preset, **(values or {})})
    layers = image.get_layers()
    out = {"status": status, "error": error, "names": [layer.get_name() for layer in layers]}
    if status == "success":
        out["recorded"] = recorded(layers[0])
    image.delete()
    return out


def replay_case():
    """A dream, then the same dream again from the first layer's recorded settings: the pixels must match."""
    sys.path.insert(0, PLUGIN)
    from procedure_forms import dream_form
    from settings_description import load_description

    form = dream_form(load_description(PLUGIN))
    image, source = make_image()
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 10, 8, 60, 40)
    first = run_dream(image, source, {"preset": "gentle", "octaves": 2, "steps": 3})
    record = recorded(image.get_layers()[0])
    replayed = run_dream(image, source, {"preset": record["preset"], **form.arguments_for(record["settings"])})
    layers = image.get_layers()
    out = {"status": [first[0], replayed[0]], "error": [first[1], replayed[1]], "names": [l.get_name() for l in layers],
           "records": [recorded(l) for l in layers[:2]], "same_pixels": read(layers[0]) == read(layers[1]),
           "same_place": layers[0].get_offsets() == layers[1].get_offsets()}
    image.delete()
    return out


def zoom_case(from_noise):
    image, source = make_image()
    status, error, result = run("python-fu-dreamlayer-zoom", image, source,
                                {"frames": 4, "steps-per-frame": 2, "fps": 12.0, "seed": 2, "from-noise": from_noise})
    out = {"status": status, "error": error}
    if status == "success":
        film = result.index(1)
        layers = film.get_layers()
        pixels = [read(layer) for layer in layers]
        out.update({"size": [film.get_width(), film.get_height()], "names": [layer.get_name() for layer in layers],
                    "distinct": len(set(pixels)), "source_layers": len(image.get_layers()), "recorded": recorded(film)})
        film.delete()
    image.delete()
    return out


def error_case(image, source, values):
    status, error = run_dream(image, source, values)
    out = {"status": status, "error": error, "layers": len(image.get_layers())}
    image.delete()
    return out


def procedures():
    out = {}
    for name in ("python-fu-dreamlayer", "python-fu-dreamlayer-zoom"):
        procedure = Gimp.get_pdb().lookup_procedure(name)
        out[name] = {"menu_label": procedure.get_menu_label(), "menu_paths": list(procedure.get_menu_paths()),
                     "arguments": [a.name for a in procedure.get_arguments()]}
    return out


results = {"gimp": Gimp.version()}
try:
    results["procedures"] = procedures()
    results["u8"] = selection_case(None, "u8")
    results["u16"] = selection_case(Gimp.Precision.U16_NON_LINEAR, "u16")
    results["float"] = selection_case(Gimp.Precision.FLOAT_LINEAR, "float")
    results["presets"] = {name: preset_case(name) for name in ("gentle", "classic", "deep")}
    results["changed"] = {
        "octaves": preset_case("gentle", {"octaves": 2}),
        "steps_at_the_model_default": preset_case("deep", {"steps": 10, "octaves": 1}),
        "keep_colours": preset_case("gentle", {"preserve-colors": "yes"}),
        "layer": preset_case("gentle", {"layer": "block3"}),
        "explicit_seed": preset_case("gentle", {"seed": 4711}),
    }
    results["replay"] = replay_case()
    results["zoom_noise"] = zoom_case(True)
    results["zoom_layer"] = zoom_case(False)
    results["server_down"] = error_case(*make_image(), quick(**{"server-url": "http://127.0.0.1:9"}))
    results["grey"] = error_case(*make_image(base=Gimp.ImageBaseType.GRAY), quick())
    results["foreign_layer"] = error_case(*make_image(), quick(layer="relu4_3"))
except Exception:
    results["crash"] = traceback.format_exc()

with open(os.environ["DREAMLAYER_TEST_OUT"], "w") as f:
    json.dump(results, f, indent=1)
