"""Runs inside real GIMP 3 with its interface (under Xvfb), against a real dream server; writes JSON for pytest.

- The dialogs: built by the plug-in's own dialog code (``gimp_dialog.build_dialog``) on the procedures as GIMP
  lists them, then looked into: what they show on opening, after choosing another preset or network.
- The artist's path: the procedure run interactively; ``press_key.py`` (beside this file) presses keys in the
  plug-in's dialog as an artist would: Return (OK), Alt+H (Help), Escape (Cancel).
- Help: GIMP's help system asked for the procedures' help pages, which a stand-in web browser records.
- The channel picker: ``picker_cases.py`` (beside this file), against DREAMLAYER_TEST_ATLAS_SERVER.

Configured by DREAMLAYER_TEST_SERVER, DREAMLAYER_TEST_TOKEN_SERVER and DREAMLAYER_TEST_TOKEN (a server that wants
that token), DREAMLAYER_TEST_OUT, DREAMLAYER_TEST_KEYS (press_key.py) and DREAMLAYER_TEST_OPENED (the file the
stand-in browser writes each URL it is asked to open into).
"""

import base64
import faulthandler
import json
import os
import stat
import subprocess
import sys
import time
import traceback

# A crash of the plug-in's process (GTK or GIMP's libraries under Python) writes every thread's Python stack here,
# which the test shows: GIMP itself only says "python-eval.py: fatal error".
_FAULTS = open(os.environ["DREAMLAYER_TEST_OUT"] + ".fault", "w")  # noqa: SIM115 - open until the process ends
faulthandler.enable(_FAULTS, all_threads=True)

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
gi.require_version("Gtk", "3.0")
from gi.repository import Gegl, Gimp, GimpUi, GObject, Gtk  # noqa: E402

W, H = 96, 64
SERVER = os.environ["DREAMLAYER_TEST_SERVER"]
TOKEN_SERVER, TOKEN = os.environ["DREAMLAYER_TEST_TOKEN_SERVER"], os.environ["DREAMLAYER_TEST_TOKEN"]
PLUGIN = os.path.join(Gimp.directory(), "plug-ins", "dreamlayer")
sys.path.insert(0, PLUGIN)
import gimp_dialog  # noqa: E402
from plugin_settings import PluginSettings  # noqa: E402
from procedure_forms import animation_form, dream_form, zoom_form  # noqa: E402
from dreamlayer_editor.description import Description  # noqa: E402

DESCRIPTION = Description.load(PLUGIN, "gimp")
FORMS = {"python-fu-dreamlayer": dream_form(DESCRIPTION), "python-fu-dreamlayer-zoom": zoom_form(DESCRIPTION),
         "python-fu-dreamlayer-animation": animation_form(DESCRIPTION)}
SETTINGS = PluginSettings.in_gimp_folder(Gimp.directory())


def pump():
    while Gtk.events_pending():
        Gtk.main_iteration()


def make_image():
    image = Gimp.Image.new(W, H, Gimp.ImageBaseType.RGB)
    layer = Gimp.Layer.new(image, "Source", W, H, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    layer.get_buffer().set(Gegl.Rectangle.new(0, 0, W, H), "R'G'B'A u8", bytes((i * 7) % 251 for i in range(W * H * 4)))
    layer.get_buffer().flush()
    return image, layer


def shown_sensitive(combo):
    """Each row of a list's id, and whether the list shows it sensitive: as GTK draws it, its cells' data
    functions applied."""
    if isinstance(combo, GimpUi.Labeled):
        combo = combo.get_widget()
    area, model, rows = combo.get_area(), combo.get_model(), {}
    column = combo.get_property("id-column")
    row = model.get_iter_first()
    while row is not None:
        area.apply_attributes(model, row, False, False)
        rows[model.get_value(row, column)] = all(cell.get_property("sensitive") for cell in area.get_cells())
        row = model.iter_next(row)
    return rows


def dialog_case(name):
    """The dialog on opening (first run: everything from the preset), then after choosing "deep", then VGG-16."""
    form = FORMS[name]
    procedure = Gimp.get_pdb().lookup_procedure(name)
    config = procedure.create_config()
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
    gimp_dialog.build_dialog(dialog, config, form, SETTINGS)
    dialog.show_all()
    pump()
    shown = [n for section in form.sections for n in section.names]
    fit = fit_on_screen(dialog, shown, name)
    out = {"opened": {k: v for k, v in form.values(config).items() if k != "guide"},
           "guide": repr(config.get_property("guide")) if "guide" in shown else "not shown", "shown": shown,
           "widgets": {n: dialog.get_widget(n, GObject.TYPE_NONE) is not None for n in shown},
           "recorded_python": SETTINGS.server_python, "fit": fit}
    if "token" in shown:
        out["token_hidden"] = not dialog.get_widget("token", GObject.TYPE_NONE).get_entry().get_visibility()
    config.set_property("preset", "deep")
    out["deep"] = {k: v for k, v in form.values(config).items() if k != "guide"}
    if "model" in shown:
        config.set_property("layer", "block12")
        config.set_property("model", "vgg16")
        pump()
        rows = shown_sensitive(dialog.get_widget("layer", Gtk.ComboBox.__gtype__))
        out["vgg16"] = {"layer": config.get_property("layer"),
                        "sensitive": {n: rows.get(n) for n in ("block12", "relu4_3", "network-default", "from-preset")}}
    if "seed" in shown:
        seed = dialog.get_widget("seed", GObject.TYPE_NONE)
        config.set_property("random-seed", True)
        pump()
        out["seed_sensitive_when_random"] = seed.get_sensitive()
        config.set_property("random-seed", False)
        pump()
        out["seed_sensitive_when_not_random"] = seed.get_sensitive()
    dialog.destroy()
    pump()
    return out


def fit_on_screen(dialog, shown, name):
    """On the screen GIMP runs on (1366×768 in these tests), every folded section opened: the dialog's size, the
    screen's, the widgets reaching past the dialog's edge, and a screenshot of the dialog."""
    from gi.repository import Gdk

    for expander in _all(dialog, Gtk.Expander):
        expander.set_expanded(True)
    end = time.monotonic() + 1.5  # GTK lays out and draws on its frame clock: let it, before the screenshot
    while time.monotonic() < end:
        pump()
        time.sleep(0.05)
    focus = dialog.get_focus()
    width, height = dialog.get_allocated_width(), dialog.get_allocated_height()
    outside = []
    for widget_name in shown:
        widget = dialog.get_widget(widget_name, GObject.TYPE_NONE)
        if widget is None or not widget.get_mapped():
            continue
        x, y = widget.translate_coordinates(dialog, 0, 0)
        if x < 0 or x + widget.get_allocated_width() > width:
            outside.append(widget_name)
    screen = Gdk.Screen.get_default()
    path = os.path.join(os.path.dirname(os.environ["DREAMLAYER_TEST_OUT"]), f"{name}.png")
    Gdk.pixbuf_get_from_window(dialog.get_window(), 0, 0, width, height).savev(path, "png", [], [])
    for expander in _all(dialog, Gtk.Expander):
        expander.set_expanded(False)
    with open(path, "rb") as f:
        png = base64.b64encode(f.read()).decode()
    return {"dialog": [width, height], "screen": [screen.get_width(), screen.get_height()], "outside": outside, "png": png,
            "focus": type(focus).__name__ if focus is not None else None}


def _all(widget, kind):
    found = [widget] if isinstance(widget, kind) else []
    if isinstance(widget, Gtk.Container):
        for child in widget.get_children():
            found += _all(child, kind)
    return found


def last_values_file(name):
    return os.path.join(Gimp.directory(), "plug-in-settings", f"GimpProcedureConfigRun-{name}.last")


def remember(name, values):
    """Leave ``values`` as the procedure's last used values, as GIMP stores them after an OK in its dialog (in its
    own file format, under the name libgimp gives the plug-in's config class)."""
    folder = os.path.join(Gimp.directory(), "plug-in-settings")
    os.makedirs(folder, exist_ok=True)
    lines = [f"({key} {json.dumps(value) if isinstance(value, str) else value})" for key, value in values.items()]
    with open(last_values_file(name), "w") as f:
        f.write("# settings\n\n" + "\n".join(lines) + "\n\n# end of settings\n")


def interactive(name, image, layer, keys):
    """Run ``name`` as from its menu, pressing ``keys`` in its dialog; (status, error)."""
    title = Gimp.get_pdb().lookup_procedure(name).get_menu_label()
    presser = subprocess.Popen([sys.executable, os.environ["DREAMLAYER_TEST_KEYS"], title, *keys])
    procedure = Gimp.get_pdb().lookup_procedure(name)
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.INTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    status = Gimp.PDBStatusType(procedure.run(config).index(0))
    try:
        pressed = presser.wait(timeout=30)
    except subprocess.TimeoutExpired:  # the dialog never showed
        presser.kill()
        pressed = None
    error = Gimp.get_pdb().get_last_error() if status != Gimp.PDBStatusType.SUCCESS else None
    return {"status": status.value_nick, "error": error, "keys_pressed": pressed == 0}


def ok_case():
    """The artist chose "deep" and 2 scales of 2 iterations last time; the dialog opens with them, OK runs them."""
    remember("python-fu-dreamlayer", {"preset": "deep", "octaves": 2, "steps": 2, "server-url": SERVER})
    image, layer = make_image()
    out = interactive("python-fu-dreamlayer", image, layer, ["Return"])
    layers = image.get_layers()
    out["names"] = [l.get_name() for l in layers]
    parasite = layers[0].get_parasite("dreamlayer-settings")
    out["recorded"] = json.loads(bytes(parasite.get_data()).decode()) if parasite else None
    image.delete()
    return out


def help_and_cancel_case():
    """Help in the dialog, then Cancel: the help page opens, and the image is left as it was."""
    image, layer = make_image()
    out = interactive("python-fu-dreamlayer", image, layer, ["alt+h", "Escape"])
    out["layers"] = len(image.get_layers())
    image.delete()
    return out


def token_case():
    """The artist typed a shared server's token in the dialog (so GIMP's last values hold it, as the dialog opens
    with them); OK dreams with it, and afterwards only the plug-in's settings file, readable by the artist alone,
    holds the token: not GIMP's last values, nor the image (whose parasites GIMP saves into XCF files)."""
    remember("python-fu-dreamlayer", {"preset": "classic", "octaves": 1, "steps": 2, "server-url": TOKEN_SERVER,
                                      "token": TOKEN})
    image, layer = make_image()
    out = interactive("python-fu-dreamlayer", image, layer, ["Return"])
    out["layers"] = len(image.get_layers())
    with open(last_values_file("python-fu-dreamlayer")) as f:
        out["in_last_values"] = TOKEN in f.read()
    out["in_image"] = [name for name in image.get_parasite_list()
                       if TOKEN.encode() in bytes(image.get_parasite(name).get_data())]
    out["kept"] = SETTINGS.__class__(SETTINGS.folder).token_for(TOKEN_SERVER)
    out["mode"] = oct(stat.S_IMODE(os.stat(SETTINGS.path).st_mode))
    image.delete()
    return out


def opened_urls(count, timeout=30.0):
    path = os.environ["DREAMLAYER_TEST_OPENED"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and len(open(path).read().split()) >= count:
            break
        time.sleep(0.2)
    return open(path).read().split() if os.path.exists(path) else []


def write(results):
    """The results so far: written after each case, so that a dialog left hanging still shows what ran before."""
    with open(os.environ["DREAMLAYER_TEST_OUT"], "w") as f:
        json.dump(results, f, indent=1)


results = {"gimp": Gimp.version()}
try:
    GimpUi.init("dreamlayer-dialog-test")
    results["dialogs"] = {name: dialog_case(name) for name in FORMS}
    write(results)
    sys.path.insert(0, os.path.dirname(os.environ["DREAMLAYER_TEST_KEYS"]))
    import picker_cases

    results.update(picker_cases.run(FORMS["python-fu-dreamlayer"], SETTINGS))
    write(results)
    results["ok"] = ok_case()
    write(results)
    results["help_and_cancel"] = help_and_cancel_case()
    write(results)
    results["token"] = token_case()
    results["help_from_dialog"] = opened_urls(1)
    Gimp.help("dreamlayer", "python-fu-dreamlayer-zoom")
    results["help_zoom"] = opened_urls(2)[1:]
    Gimp.help("dreamlayer", "python-fu-dreamlayer-animation")
    results["help_animation"] = opened_urls(3)[2:]
except Exception:
    results["crash"] = traceback.format_exc()
write(results)
