"""Runs inside real GIMP 3 (python-fu-eval), in a set-up artists have: the plug-in installed with
``install-plugin --dest``, a dream server started by hand at the procedures' URL; writes JSON for pytest.

Three GIMP sessions in the same home folder, as DREAMLAYER_TEST_SESSION says:

- "first" (gimp-console): the picture (in.png, loaded as GIMP loads a PNG) dreamed by the procedure with its own
  arguments, with the Python the installer recorded: in 8 bits, converted to 16-bit and to float precision, and
  through a selection (mask.u8); then with the recorded Python emptied. Each dream's pixels go to ``<case>.raw``
  beside this file, for test_gimp_setups.py to compare with the local CLI's.
- "again" (gimp-console): GIMP now loads the procedures from its cache (pluginrc). Each procedure run with only
  some of its arguments, as scripts do: the dream with just ``preset`` and ``server-url``, a layer's recorded
  settings replayed, a zoom and an animation given only a few.
- "dialog" (GIMP under Xvfb): the dream run from its dialog, OK pressed (press_key.py), in that later session.

Configured by DREAMLAYER_TEST_SERVER (the hand-started server's URL), DREAMLAYER_TEST_OUT, DREAMLAYER_TEST_KEYS.
"""

import json
import os
import subprocess
import sys
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

SERVER = os.environ["DREAMLAYER_TEST_SERVER"]
HERE = os.path.dirname(os.environ["DREAMLAYER_TEST_OUT"])
PLUGIN = os.path.join(Gimp.directory(), "plug-ins", "dreamlayer")
SETTINGS = os.path.join(Gimp.directory(), "dreamlayer", "settings.json")
LOG = os.path.join(Gimp.directory(), "dreamlayer", "server.log")
QUICK = {"preset": "gentle", "octaves": 1, "steps": 3, "step-size": 6.0, "seed": 11}
FORMATS = {"u8": "R'G'B'A u8", "u16": "R'G'B'A u16", "float": "R'G'B'A float"}


def run(name, image, layer, values, mode=Gimp.RunMode.NONINTERACTIVE):
    """Run procedure ``name`` with only ``values`` (and the image and layer); (status, error, result)."""
    procedure = Gimp.get_pdb().lookup_procedure(name)
    config = procedure.create_config()
    config.set_property("run-mode", mode)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    for key, value in {"server-url": SERVER, **values}.items():
        config.set_property(key, value)
    result = procedure.run(config)
    status = Gimp.PDBStatusType(result.index(0))  # GIMP 3.2 hands back a plain number
    error = Gimp.get_pdb().get_last_error() if status != Gimp.PDBStatusType.SUCCESS else None
    return status.value_nick, error, result


def the_picture(precision=None):
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(os.path.join(HERE, "in.png")))
    if precision is not None:
        image.convert_precision(precision)
    return image, image.get_layers()[0]


def exact_floats(image, layer):
    """The float image given exactly the floats the CLI makes of in.png (in.f32). GIMP's own conversion of 8 bits
    to float (babl) may round the last bit otherwise, and differently on another processor: measured, 3 of 6144
    pixels then dreamed 1 level apart on one machine and none on another."""
    buffer = layer.get_buffer()
    with open(os.path.join(HERE, "in.f32"), "rb") as f:
        buffer.set(Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height()), "R'G'B'A float", f.read())
    buffer.flush()
    return image, layer


def pixels(drawable, fmt):
    rect = Gegl.Rectangle.new(0, 0, drawable.get_width(), drawable.get_height())
    return bytes(drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.CLAMP))


def recorded(layer):
    parasite = layer.get_parasite("dreamlayer-settings")
    return json.loads(bytes(parasite.get_data()).decode()) if parasite else None


def dream_case(name, image, layer, values, depth="u8"):
    """A dream; its layer's pixels to ``<name>.raw`` (in ``depth``), and what it says it ran."""
    status, error, _ = run("python-fu-dreamlayer", image, layer, values)
    out = {"status": status, "error": error}
    if status == "success":
        new = image.get_layers()[0]
        with open(os.path.join(HERE, f"{name}.raw"), "wb") as f:
            f.write(pixels(new, FORMATS[depth]))
        out.update(recorded=recorded(new), place=[*new.get_offsets()[1:], new.get_width(), new.get_height()])
    return out


def select_mask(image):
    """The selection made from mask.u8, as a channel's pixels; what GIMP's selection then holds, read as the
    plug-in reads it (linear "Y u8": GIMP may store it otherwise, so it need not be mask.u8's bytes exactly)."""
    width, height = image.get_width(), image.get_height()
    channel = Gimp.Channel.new(image, "mask", width, height, 100.0, Gegl.Color.new("black"))
    image.insert_channel(channel, None, 0)
    with open(os.path.join(HERE, "mask.u8"), "rb") as f:
        channel.get_buffer().set(Gegl.Rectangle.new(0, 0, width, height), "Y u8", f.read())
    channel.get_buffer().flush()
    image.select_item(Gimp.ChannelOps.REPLACE, channel)
    return pixels(image.get_selection(), "Y u8")


def first_session():
    with open(SETTINGS) as f:
        out = {"recorded_python": json.load(f).get("server_python")}
    out["u8"] = dream_case("u8", *the_picture(), QUICK)
    out["u16"] = dream_case("u16", *the_picture(Gimp.Precision.U16_NON_LINEAR), QUICK, "u16")
    out["float"] = dream_case("float", *exact_floats(*the_picture(Gimp.Precision.FLOAT_NON_LINEAR)), QUICK, "float")
    image, layer = the_picture()
    with open(os.path.join(HERE, "u8_selection.mask"), "wb") as f:  # the CLI's --mask, as a grey PNG
        f.write(select_mask(image))
    out["u8_selection"] = dream_case("u8_selection", image, layer, QUICK)
    with open(SETTINGS) as f:
        settings = json.load(f)
    with open(SETTINGS, "w") as f:
        json.dump({**settings, "server_python": ""}, f)
    out["u8_no_python"] = dream_case("u8_no_python", *the_picture(), QUICK)
    out["managed_log"] = os.path.exists(LOG)  # a managed server's log: none was started
    return out


def film_case(name, values):
    """A zoom of the picture, or an animation of two frames: the picture and a copy above it."""
    image, layer = the_picture()
    if name.endswith("animation"):
        image.insert_layer(layer.copy(), None, 0)
    status, error, result = run(name, image, layer, values)
    out = {"status": status, "error": error}
    if status == "success":
        out["frames"] = len(result.index(1).get_layers())
    return out


def again_session():
    """Procedures as GIMP loads them from pluginrc, each given only some of its arguments."""
    sys.path.insert(0, PLUGIN)
    from procedure_forms import dream_form
    from dreamlayer_editor.description import Description

    image, layer = the_picture()
    out = {"preset_and_url": dream_case("again_preset", image, layer, {"preset": "classic"}),
           "quick": dream_case("again_u8", *the_picture(), QUICK)}
    record = out["quick"].get("recorded")
    if record:
        replay = {"preset": record["preset"], **dream_form(Description.load(PLUGIN, "gimp")).arguments_for(record["settings"])}
        out["replayed"] = dream_case("again_replayed", *the_picture(), replay)
    out["zoom"] = film_case("python-fu-dreamlayer-zoom", {"frames": 2, "steps-per-frame": 1, "octaves": 1})
    out["animation"] = film_case("python-fu-dreamlayer-animation", {"steps-per-frame": 1, "steps": 1, "octaves": 1})
    return out


def dialog_session():
    """The dream from its dialog, the last values those the artist left (quick ones); OK pressed."""
    title = Gimp.get_pdb().lookup_procedure("python-fu-dreamlayer").get_menu_label()
    folder = os.path.join(Gimp.directory(), "plug-in-settings")
    os.makedirs(folder, exist_ok=True)
    lines = [f"({key} {json.dumps(value) if isinstance(value, str) else value})"
             for key, value in {**QUICK, "server-url": SERVER}.items()]
    with open(os.path.join(folder, "GimpProcedureConfigRun-python-fu-dreamlayer.last"), "w") as f:
        f.write("# settings\n\n" + "\n".join(lines) + "\n\n# end of settings\n")
    presser = subprocess.Popen([sys.executable, os.environ["DREAMLAYER_TEST_KEYS"], title, "Return"])
    image, layer = the_picture()
    status, error, _ = run("python-fu-dreamlayer", image, layer, {}, Gimp.RunMode.INTERACTIVE)
    try:
        pressed = presser.wait(timeout=60) == 0
    except subprocess.TimeoutExpired:  # the dialog never showed
        presser.kill()
        pressed = False
    layers = image.get_layers()
    out = {"status": status, "error": error, "keys_pressed": pressed, "names": [l.get_name() for l in layers]}
    if status == "success":
        with open(os.path.join(HERE, "dialog_u8.raw"), "wb") as f:
            f.write(pixels(layers[0], FORMATS["u8"]))
    return out


results = {"gimp": Gimp.version()}
try:
    session = os.environ["DREAMLAYER_TEST_SESSION"]
    results[session] = {"first": first_session, "again": again_session, "dialog": dialog_session}[session]()
except Exception:
    results["crash"] = traceback.format_exc()

with open(os.environ["DREAMLAYER_TEST_OUT"], "w") as f:
    json.dump(results, f, indent=1)
