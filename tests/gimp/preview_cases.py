"""The dream dialog's Preview in real GIMP 3 with its interface (under Xvfb), against a real dream server of its own
(DREAMLAYER_TEST_SERVER); writes JSON for pytest (DREAMLAYER_TEST_OUT).

The dialog is the plug-in's own (``gimp_dialog.build_dialog``, or ``gimp_dialog.run_dialog`` as the procedure runs
it), on an image of one opaque layer. The artist clicks the "Preview" box (a real click, ``press_key.py``), waits for
the live dream, chooses another layer of the network in its drop-down list, clicks Preview off; or, in the dialog
as the procedure runs it, turns Preview on and presses Return (OK) or Escape (Cancel). What the screen showed in
the preview's frame is compared with the layer's pixels and with what the server answers for the same request.
"""

import base64
import json
import os
import random
import sys
import time
import traceback
import urllib.request

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gegl, Gimp, GimpUi, GLib, Gtk  # noqa: E402

PLUGIN = os.path.join(Gimp.directory(), "plug-ins", "dreamlayer")
sys.path.insert(0, PLUGIN)
sys.path.insert(0, os.path.dirname(os.environ["DREAMLAYER_TEST_KEYS"]))  # gtk_pump.py, beside this file
import gimp_dialog  # noqa: E402
from gtk_pump import press, pump  # noqa: E402 - beside this file
from dreamlayer_editor.client import DreamClient  # noqa: E402
from dreamlayer_editor.description import Description  # noqa: E402
from dreamlayer_editor.live import LiveDreamer, LiveResult  # noqa: E402
from plugin_settings import PluginSettings  # noqa: E402
from procedure_forms import dream_form  # noqa: E402

SERVER = os.environ["DREAMLAYER_TEST_SERVER"]
W, H = 160, 120
PROCEDURE = "python-fu-dreamlayer"
FORM = dream_form(Description.load(PLUGIN, "gimp"))
SETTINGS = PluginSettings.in_gimp_folder(Gimp.directory())
WAIT = 180  # seconds: a bound on waiting for a live dream on two busy cores, never an assertion
CLOSE = 3  # how near (per channel) screen pixels count as the same picture: the display's rounding



def pixels(width=W, height=H):
    """Stripes above, a smooth blend below: something for the network to dream on."""
    out = bytearray()
    for y in range(height):
        for x in range(width):
            stripe = (x // 4) % 2
            out += bytes((220, 200, 60, 255) if y < height // 2 and stripe else
                         ((40 + x) % 256, (60 + y) % 256, (200 - x) % 256, 255))
    return bytes(out)


def make_image(selected=None, alpha=True, width=W, height=H):
    """The image, with ``selected`` (x, y, width, height) selected if given; its layer without alpha if asked."""
    image = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
    kind = Gimp.ImageType.RGBA_IMAGE if alpha else Gimp.ImageType.RGB_IMAGE
    layer = Gimp.Layer.new(image, "Source", width, height, kind, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    layer.get_buffer().set(Gegl.Rectangle.new(0, 0, width, height), "R'G'B'A u8", pixels(width, height))
    layer.get_buffer().flush()
    if selected:
        image.select_rectangle(Gimp.ChannelOps.REPLACE, *selected)
    return image, layer


def layer_bytes(layer):
    box = Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height())
    return bytes(layer.get_buffer().get(box, 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.CLAMP))


def image_state(image, layer):
    """What the preview must leave as it was."""
    return {"layers": [l.get_name() for l in image.get_layers()],
            "source_unchanged": layer_bytes(layer) == pixels(layer.get_width(), layer.get_height()),
            "dirty": image.is_dirty()}


def configure(config):
    """A fixed seed, so the server's answer to the same request can be asked for again and compared."""
    config.set_property("server-url", SERVER)
    config.set_property("random-seed", False)
    config.set_property("seed", 3)


def on_screen(widget):
    top = widget.get_toplevel()
    x, y = widget.translate_coordinates(top, widget.get_allocated_width() // 2, widget.get_allocated_height() // 2)
    origin = top.get_window().get_origin()
    return f"{origin[-2] + x},{origin[-1] + y}"


def wait_for(condition, seconds=WAIT):
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        pump(0.05)
    return condition()


def screen(live):
    """The preview's frame as the screen shows it: (width, height, RGB rows)."""
    pump(0.5)  # GTK draws on its frame clock
    area = live.preview.get_area()
    x, y = area.translate_coordinates(area.get_toplevel(), 0, 0)
    width, height = area.get_allocated_width(), area.get_allocated_height()
    shot = Gdk.pixbuf_get_from_window(area.get_toplevel().get_window(), x, y, width, height)
    n, stride, data = shot.get_n_channels(), shot.get_rowstride(), shot.get_pixels()
    return width, height, [[tuple(data[r * stride + c * n:r * stride + c * n + 3]) for c in range(width)]
                           for r in range(height)]


def share_shown(shot, rgba, view):
    """The share of ``rgba`` (the view's pixels) that the frame shows, where it is drawn (the frame centres it)."""
    width, height, rows = shot
    best = 0.0
    sample = [(c, r) for r in range(0, view.height, 3) for c in range(0, view.width, 3)]
    for dy in range(0, height - view.height + 1):
        for dx in range(0, width - view.width + 1):
            same = sum(close(rows[r + dy][c + dx], rgba[(r * view.width + c) * 4:][:3])
                       for c, r in sample)
            best = max(best, same / len(sample))
    return best


def close(shown, wanted):
    """Whether a pixel on the screen shows the colour ``wanted`` (RGB)."""
    return all(abs(a - b) <= CLOSE for a, b in zip(shown, wanted))


def source_in_view(view, width=W, height=H):
    data = pixels(width, height)
    return b"".join(data[((view.y + r) * width + view.x) * 4:((view.y + r) * width + view.x + view.width) * 4]
                    for r in range(view.height))


def asked_directly(live, lane="preview-test-direct"):
    """The server's live dream of what the preview sent (the same part, settings, document and place)."""
    view = live.view()
    raw, mask = live.pixels(view)
    dreamer = LiveDreamer(DreamClient(SERVER), lane)
    document = (live.image.get_width(), live.image.get_height())
    dreamer.offer(raw, live.params(FORM.values(live.config)), mask, document, (view.x, view.y), tag=view)
    answer = None
    end = time.monotonic() + WAIT
    while answer is None and time.monotonic() < end:
        answer = dreamer.take()
        time.sleep(0.05)
    dreamer.close()
    return answer.image.data if isinstance(answer, LiveResult) else None


def mean_difference(a, b):
    return sum(abs(x - y) for x, y in zip(a, b)) / max(len(a), 1)


def share_changed(a, b):
    """The share of pixels (RGBA) whose colour differs by more than the display's rounding."""
    count = len(a) // 4
    return sum(any(abs(a[i + k] - b[i + k]) > CLOSE for k in range(3)) for i in range(0, count * 4, 4)) / max(count, 1)


def lanes():
    with urllib.request.urlopen(f"{SERVER}/v1/health", timeout=10) as answer:
        return json.load(answer)["live"]["lanes"]


def choose(combo, nick):
    """Choose ``nick`` in one of the dialog's drop-down lists (GIMP labels it: the list is inside), as a click on it
    would."""
    combo = combo.get_widget() if isinstance(combo, GimpUi.LabelStringWidget) else combo
    model = combo.get_model()
    column = combo.get_property("id-column") if combo.find_property("id-column") else 0
    for row in model:
        if row[column] == nick:
            combo.set_active_iter(row.iter)
            return True
    return False


def open_dialog(image, layer):
    procedure = Gimp.get_pdb().lookup_procedure(PROCEDURE)
    config = procedure.create_config()
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
    live = gimp_dialog.build_dialog(dialog, config, FORM, SETTINGS, image, [layer])
    configure(config)
    dialog.show_all()
    pump(1.0)
    return dialog, config, live


def fit_on_screen(dialog):
    """With every fold open: the dialog's size and a screenshot (PNG, base64)."""
    for expander in descendants(dialog, Gtk.Expander):
        expander.set_expanded(True)
    pump(1.5)
    width, height = dialog.get_allocated_width(), dialog.get_allocated_height()
    path = os.path.join(os.path.dirname(os.environ["DREAMLAYER_TEST_OUT"]), "preview.png")
    Gdk.pixbuf_get_from_window(dialog.get_window(), 0, 0, width, height).savev(path, "png", [], [])
    for expander in descendants(dialog, Gtk.Expander):
        expander.set_expanded(False)
    pump(0.5)
    with open(path, "rb") as f:
        return {"size": [width, height], "png": base64.b64encode(f.read()).decode()}


def descendants(widget, kind):
    found = [widget] if isinstance(widget, kind) else []
    if isinstance(widget, Gtk.Container):
        for child in widget.get_children():
            found += descendants(child, kind)
    return found


def preview_case(out):
    """Preview on, a live dream shown; another layer, another dream; Preview off, the layer again; closed. Into
    ``out`` as it goes, so a failure still shows what ran before."""
    image, layer = make_image()
    dialog, config, live = open_dialog(image, layer)
    view = live.view()
    out.update({"opened_on": live.preview.get_update(), "view": list(view), "before": image_state(image, layer),
                "toggle": live.toggle.get_label(), "lanes_before": lanes()})
    out["shows_the_layer_when_off"] = share_shown(screen(live), source_in_view(view), view)
    out["on_clicked"] = press(dialog.get_title(), [f"click@{on_screen(live.toggle)}"])
    out["on"] = live.preview.get_update()
    out["shown"] = wait_for(lambda: live.dreams_shown >= 1)
    out["error"] = live.error.get_text() if live.error.get_visible() else None
    if not out["shown"]:
        return out
    first = live.shown.image.data
    shot = screen(live)
    out["first"] = {"shows_the_dream": share_shown(shot, first, view),
                    "shows_the_layer": share_shown(shot, source_in_view(view), view),
                    "status": live.status.get_text(), "lanes": lanes()}
    out["fit"] = fit_on_screen(dialog)
    direct = asked_directly(live)
    out["first"]["difference_from_the_servers_own"] = mean_difference(first, direct) if direct else None
    out["first"]["changed_from_the_layer"] = share_changed(first, source_in_view(view))
    # Another layer of the network, chosen in the dialog's own drop-down list.
    changed_at = time.monotonic()
    out["layer_chosen"] = choose(dialog.get_widget("layer", Gtk.ComboBox.__gtype__), "block3")
    out["layer_argument"] = config.get_property("layer")
    out["shown_again"] = wait_for(lambda: live.shown.offered_at > changed_at and not live.busy())
    second = live.shown.image.data
    shot = screen(live)
    out["second"] = {"shows_the_dream": share_shown(shot, second, view),
                     "shows_the_first": share_shown(shot, first, view),
                     "changed_from_the_first": share_changed(first, second)}
    out["during"] = image_state(image, layer)
    out["off_clicked"] = press(dialog.get_title(), [f"click@{on_screen(live.toggle)}"])
    pump(0.5)
    out["off"] = {"update": live.preview.get_update(),
                  "shows_the_layer": share_shown(screen(live), source_in_view(view), view)}
    dialog.destroy()
    pump()
    out["closed"] = live.closed
    out["lanes_after_close"] = lanes() if wait_for(lambda: lanes() == 0, 15) else lanes()
    out["after"] = image_state(image, layer)
    image.delete()
    return out


def selection_case(out):
    """With a selection: the preview frames the selection, whose live dream shows inside it and the layer
    around it, as the full dream's layer mask will."""
    box = (40, 30, 80, 60)
    image, layer = make_image(box)
    dialog, config, live = open_dialog(image, layer)
    view = live.view()
    out["view"] = list(view)
    out["on_clicked"] = press(dialog.get_title(), [f"click@{on_screen(live.toggle)}"])
    out["shown"] = wait_for(lambda: live.dreams_shown >= 1)
    if out["shown"]:
        dream, source = live.shown.image.data, source_in_view(view)
        x0, y0, w, h = box
        inside = [x0 <= view.x + i % view.width < x0 + w and y0 <= view.y + i // view.width < y0 + h
                  for i in range(view.width * view.height)]

        def part(data, where):
            return b"".join(data[i * 4:i * 4 + 4] for i, there in enumerate(inside) if there == where)

        out["outside_kept"] = part(dream, False) == part(source, False)
        out["inside_changed"] = share_changed(part(dream, True), part(source, True))
        out["shows_the_dream"] = share_shown(screen(live), dream, view)
        out["mask_sent"] = live.shown.tag[3] is not None
    dialog.destroy()
    pump()
    out["after"] = image_state(image, layer)
    image.delete()


def no_alpha_case(out):
    """A layer without alpha (a flattened photo): its pixels go as RGB, and the dream is drawn as RGB."""
    image, layer = make_image(alpha=False)
    dialog, config, live = open_dialog(image, layer)
    view = live.view()
    out["on_clicked"] = press(dialog.get_title(), [f"click@{on_screen(live.toggle)}"])
    out["shown"] = wait_for(lambda: live.dreams_shown >= 1)
    if out["shown"]:
        dream = live.shown.image.data
        out["layout"] = live.shown.image.layout
        rgba = b"".join(dream[i:i + 3] + b"\xff" for i in range(0, len(dream), 3))
        out["shows_the_dream"] = share_shown(screen(live), rgba, view)
        out["changed_from_the_layer"] = share_changed(rgba, source_in_view(view))
    dialog.destroy()
    pump()
    out["after"] = image_state(image, layer)
    image.delete()


def scroll_case(out):
    """An image larger than the preview: it shows a part at 1:1; moved (as its scroll bars or a drag would), it
    dreams the part it shows now."""
    width, height = 480, 360
    image, layer = make_image(width=width, height=height)
    dialog, config, live = open_dialog(image, layer)
    out["on_clicked"] = press(dialog.get_title(), [f"click@{on_screen(live.toggle)}"])
    out["shown"] = wait_for(lambda: live.dreams_shown >= 1)
    out["first_view"] = list(live.view())
    live.preview.set_position(200, 150)
    out["moved_view"] = list(live.view())
    out["shown_there"] = wait_for(lambda: live.shown.tag[0] == live.view() and not live.busy())
    if out["shown_there"]:
        view = live.view()
        dream, source = live.shown.image.data, source_in_view(view, width, height)
        out["shows_the_dream"] = share_shown(screen(live), dream, view)
        out["changed_from_the_layer"] = share_changed(dream, source)
    dialog.destroy()
    pump()
    out["after"] = image_state(image, layer)
    image.delete()


def server_down_case(out):
    """A server out of reach: the preview says so in the dialog, in words, and the image is left alone."""
    image, layer = make_image()
    dialog, config, live = open_dialog(image, layer)
    config.set_property("server-url", "http://127.0.0.2:9")
    out["on_clicked"] = press(dialog.get_title(), [f"click@{on_screen(live.toggle)}"])
    out["error_shown"] = wait_for(lambda: live.error.get_visible(), 60)
    out["error"] = live.error.get_text()
    out["dreams_shown"] = live.dreams_shown
    dialog.destroy()
    pump()
    out["after"] = image_state(image, layer)
    image.delete()


def run_dialog_case(out, keys):
    """The dialog as the procedure runs it (``run_dialog``): Preview clicked on, a live dream awaited, then ``keys``;
    on OK, the dream the procedure then makes (dreamlayer.py's ``run``)."""
    image, layer = make_image()
    procedure = Gimp.get_pdb().lookup_procedure(PROCEDURE)
    config = procedure.create_config()
    configure(config)
    found = {}

    def artist():
        dialog = next((w for w in Gtk.Window.list_toplevels() if hasattr(w, "live_preview") and w.get_visible()), None)
        if dialog is None:
            return True  # not shown yet: look again
        live = dialog.live_preview
        out["on_clicked"] = press(dialog.get_title(), [f"click@{on_screen(live.toggle)}"])
        out["shown"] = wait_for(lambda: live.dreams_shown >= 1)
        out["lanes_while_open"] = lanes()
        out["during"] = image_state(image, layer)
        found["live"] = live
        out["keys_pressed"] = press(dialog.get_title(), keys)
        found["unclosed"] = GLib.timeout_add_seconds(20, close_if_open, dialog)
        return False

    def close_if_open(dialog):
        """The keys did not close the dialog: closed here, so that the next case runs."""
        out["left_open"] = True
        dialog.response(Gtk.ResponseType.CANCEL)
        return False

    out["left_open"] = False
    GLib.timeout_add(200, artist)
    out["accepted"] = gimp_dialog.run_dialog(procedure, config, FORM, SETTINGS, image, [layer])
    if not out["left_open"] and "unclosed" in found:
        GLib.source_remove(found["unclosed"])
    out["closed"] = found["live"].closed if "live" in found else None
    if out["accepted"]:
        from gimp_dream import dream
        from server_connection import Connection

        args = FORM.values(config)
        preset, settings = FORM.variation_settings(args, random.randint)
        new = dream(image, layer, preset, settings, Connection(args["server-url"], SETTINGS))
        out["new_layer_differs"] = bytes(new[0].get_buffer().get(
            Gegl.Rectangle.new(0, 0, W, H), 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.CLAMP)) != pixels()
    out["lanes_after_close"] = lanes() if wait_for(lambda: lanes() == 0, 15) else lanes()
    out["after"] = image_state(image, layer)
    image.delete()
    return out


def write(results):
    with open(os.environ["DREAMLAYER_TEST_OUT"], "w") as f:
        json.dump(results, f, indent=1)


results = {"gimp": Gimp.version()}
try:
    GimpUi.init("dreamlayer-preview-test")
    preview_case(results.setdefault("preview", {}))
    write(results)
    selection_case(results.setdefault("selection", {}))
    write(results)
    no_alpha_case(results.setdefault("no_alpha", {}))
    write(results)
    scroll_case(results.setdefault("scroll", {}))
    write(results)
    server_down_case(results.setdefault("server_down", {}))
    write(results)
    run_dialog_case(results.setdefault("ok", {}), ["Return"])
    write(results)
    run_dialog_case(results.setdefault("cancel", {}), ["Escape"])
except Exception:
    results["crash"] = traceback.format_exc()
write(results)
