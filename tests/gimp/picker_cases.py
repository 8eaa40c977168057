"""The channel picker in real GIMP 3 with its interface: imported by gimp_dialog_cases.py, beside which it runs.

The dream dialog is built by the plug-in's own code on an image whose layer has a selection; the artist opens More
settings, chooses a layer with few channels (block1: 24, so both of its batches are made in well under a minute on
two cores) and presses "Pick…" (Space on the focused button). The picker window then follows a real server whose
cache starts empty (DREAMLAYER_TEST_ATLAS_SERVER): its pictures come in as they are made. Clicks and Ctrl+clicks at
the thumbnails' places on the screen choose channels, Alt+O is OK, Escape is Cancel (press_key.py). What each step
showed is written down for pytest: the order of the thumbnails against the server's own ranking of the same pixels,
the channels field and the procedure's argument after OK and after Cancel; and, on a server out of reach and with a
network the server has not downloaded (DREAMLAYER_TEST_MISSING_MODEL, if one), the window's words and its polling,
which stops when the window closes.
"""

import base64
import os
import re
import time

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gegl, Gimp, GimpUi, GObject, Gtk  # noqa: E402

import channel_picker  # noqa: E402 - the plug-in's folder is on the path (gimp_dialog_cases.py)
import gimp_dialog  # noqa: E402
from gtk_pump import press, pump  # noqa: E402 - beside this file, on the path too (gimp_dialog_cases.py)
from dreamlayer_editor.client import DreamClient  # noqa: E402
from dreamlayer_editor.protocol import RawImage, RawMask  # noqa: E402

ATLAS_SERVER = os.environ["DREAMLAYER_TEST_ATLAS_SERVER"]
LAYER = "block1"
W, H = 96, 64
SELECTED = (48, 0, 48, 64)  # x, y, width, height: the right half, whose picture differs from the left's
PROCEDURE = "python-fu-dreamlayer"



def pixels():
    """Stripes on the left half, a smooth blend on the right: their channels differ."""
    out = bytearray()
    for y in range(H):
        for x in range(W):
            if x < W // 2:
                out += bytes((230, 230, 230, 255) if (x // 3) % 2 else (20, 20, 40, 255))
            else:
                out += bytes((60 + x, 90 + y * 2, 180 - x, 255))
    return bytes(out)


def make_image():
    image = Gimp.Image.new(W, H, Gimp.ImageBaseType.RGB)
    layer = Gimp.Layer.new(image, "Source", W, H, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    layer.get_buffer().set(Gegl.Rectangle.new(0, 0, W, H), "R'G'B'A u8", pixels())
    layer.get_buffer().flush()
    image.select_rectangle(Gimp.ChannelOps.REPLACE, *SELECTED)
    return image, layer


def their_ranking(selected):
    """The server's own ranking of the pixels the dream would send, [channel, share] strongest first: the
    selection's box (with the selection, all of it selected, as mask), or the whole layer."""
    x0, y0, w, h = SELECTED if selected else (0, 0, W, H)
    data = pixels()
    crop = b"".join(data[((y0 + y) * W + x0) * 4:((y0 + y) * W + x0 + w) * 4] for y in range(h))
    mask = RawMask(b"\xff" * (w * h), "u8") if selected else None
    ranked = DreamClient(ATLAS_SERVER).rank(RawImage(w, h, crop, "RGBA", "u8"), mask, "lite0", LAYER)
    return [[c["channel"], c["share"]] for c in ranked]


def descendants(widget, kind):
    found = [widget] if isinstance(widget, kind) else []
    if isinstance(widget, Gtk.Container):
        for child in widget.get_children():
            found += descendants(child, kind)
    return found


def on_screen(widget):
    """The middle of ``widget`` on the screen (the root window's coordinates)."""
    top = widget.get_toplevel()
    x, y = widget.translate_coordinates(top, widget.get_allocated_width() // 2, widget.get_allocated_height() // 2)
    origin = top.get_window().get_origin()
    return origin[-2] + x, origin[-1] + y


def picker_window(timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = [w for w in Gtk.Window.list_toplevels() if w.get_name() == channel_picker.NAME and w.get_visible()]
        if found:
            return found[0]
        pump(0.05)
    return None


def open_dream_dialog(image, layer, server):
    procedure = Gimp.get_pdb().lookup_procedure(PROCEDURE)
    config = procedure.create_config()
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
    gimp_dialog.build_dialog(dialog, config, FORM, SETTINGS, image, [layer])
    config.set_property("server-url", server)
    config.set_property("layer", LAYER)
    dialog.show_all()
    for expander in descendants(dialog, Gtk.Expander):  # the artist opens More settings, where Channels is
        expander.set_expanded(expander.get_label() == "More settings")
    pump(0.5)
    return dialog, config


def press_pick(dialog):
    """Space on the focused "Pick…" button, as an artist tabbing to it; the picker window, once shown."""
    button = next(b for b in descendants(dialog, Gtk.Button) if b.get_name() == gimp_dialog.PICK_BUTTON)
    button.grab_focus()
    pressed = press(dialog.get_title(), ["space"])
    return pressed, picker_window()


def field_text(dialog):
    return dialog.get_widget("channels", GObject.TYPE_NONE).get_entry().get_text()


def shown(window):
    """The thumbnails as the window shows them, in order: (channel, label, has its picture, selected)."""
    cells = [window.flowbox.get_child_at_index(i) for i in range(len(window.cells))]
    return [(int(re.match(r"#(\d+)", c.label.get_text())[1]), c.label.get_text(), c.has_picture, c.is_selected())
            for c in cells]


def screenshot(window):
    path = os.path.join(os.path.dirname(os.environ["DREAMLAYER_TEST_OUT"]), "picker.png")
    width, height = window.get_allocated_width(), window.get_allocated_height()
    Gdk.pixbuf_get_from_window(window.get_window(), 0, 0, width, height).savev(path, "png", [], [])
    with open(path, "rb") as f:
        return {"png": base64.b64encode(f.read()).decode(), "size": [width, height]}


def picker_case():
    """Pick two channels with a click and a Ctrl+click and OK; then open the picker again, Ctrl+click a third and
    Cancel."""
    began = time.monotonic()
    image, layer = make_image()
    dialog, config = open_dream_dialog(image, layer, ATLAS_SERVER)
    out = {"field_before": field_text(dialog)}
    out["pick_pressed"], window = press_pick(dialog)
    if window is None:
        return out
    out["title"] = window.get_title()
    while window.follower.ticks == 0 and time.monotonic() - began < 60:
        pump(0.02)
    pictures = sum(c.has_picture for c in window.cells.values())
    out["first_tick"] = {"seconds": time.monotonic() - began, "pictures": pictures, "cells": len(window.cells),
                         "progress_shown": window.progress.get_visible(), "progress": window.progress.get_text()}
    while window.follower.polling and time.monotonic() - began < 240:
        pump(0.05)
    out["all_in_seconds"] = time.monotonic() - began
    out["polling_when_all_in"] = window.follower.polling
    out["progress_shown_when_all_in"] = window.progress.get_visible()
    out["error"] = window.error_label.get_text() if window.error_label.get_visible() else None
    out["hint"] = window.hint_label.get_text()
    out["shown"] = shown(window)
    out["bold"] = [c.channel for c in window.cells.values() if c.label.get_label().startswith("<b>")]
    out["ranking_of_the_selection"] = their_ranking(True)
    out["ranking_of_the_layer"] = their_ranking(False)
    first, second = (window.flowbox.get_child_at_index(i) for i in (2, 5))
    out["clicked"] = [first.channel, second.channel]
    out["clicks_pressed"] = press(window.get_title(), [f"click@{'%d,%d' % on_screen(first)}",
                                                       f"ctrl+click@{'%d,%d' % on_screen(second)}"])
    out["selected"] = [channel for channel, _, _, selected in shown(window) if selected]
    out["choice_line"] = window.choice_label.get_text()
    out["screenshot"] = screenshot(window)
    out["ok_pressed"] = press(window.get_title(), ["alt+o"])
    out["closed_by_ok"] = picker_window(timeout=0.5) is None
    out["after_ok"] = {"field": field_text(dialog), "argument": config.get_property("channels")}
    # Again: the window opens with those two chosen; a third is Ctrl+clicked, and Cancel keeps the two.
    out["pick_again_pressed"], window = press_pick(dialog)
    if window is None:
        return out
    while window.follower.polling and time.monotonic() - began < 300:
        pump(0.05)
    out["reopened_selected"] = [channel for channel, _, _, selected in shown(window) if selected]
    third = window.flowbox.get_child_at_index(0)
    out["third"] = third.channel
    out["cancel_pressed"] = press(window.get_title(), [f"ctrl+click@{'%d,%d' % on_screen(third)}"])
    out["selected_before_cancel"] = [channel for channel, _, _, selected in shown(window) if selected]
    out["cancel_pressed"] = out["cancel_pressed"] and press(window.get_title(), ["Escape"])
    out["closed_by_cancel"] = picker_window(timeout=0.5) is None
    out["after_cancel"] = {"field": field_text(dialog), "argument": config.get_property("channels")}
    out["seconds"] = time.monotonic() - began
    dialog.destroy()
    image.delete()
    pump()
    return out


def error_case(server, model=None, ticks=2):
    """The picker on a server out of reach, or with a network the server lacks: what the window says, whether it
    keeps asking while open (after ``ticks`` answers), and that closing it (Escape) stops it."""
    began = time.monotonic()
    image, layer = make_image()
    dialog, config = open_dream_dialog(image, layer, server)
    if model:
        config.set_property("model", model)  # the dialog moves the layer to the network's default
    out = {"model": model}
    out["pick_pressed"], window = press_pick(dialog)
    if window is None:
        return out
    end = time.monotonic() + 20
    while window.follower.ticks < ticks and time.monotonic() < end:
        pump(0.05)
    follower = window.follower
    out.update({"ticks_while_open": follower.ticks, "polling_while_open": follower.polling, "cells": len(window.cells),
                "error": window.error_label.get_text() if window.error_label.get_visible() else None})
    out["escape_pressed"] = press(window.get_title(), ["Escape"])
    out["closed"] = picker_window(timeout=0.5) is None
    ticks = follower.ticks
    pump(1.5)  # half as long again as the picker waits between two asks
    out["polling_after_close"] = follower.polling
    out["ticks_after_close"] = follower.ticks - ticks
    out["field"] = field_text(dialog)
    out["seconds"] = time.monotonic() - began
    dialog.destroy()
    image.delete()
    pump()
    return out


FORM = None
SETTINGS = None


def run(form, settings):
    """Both cases, with the dream form and the plug-in's settings gimp_dialog_cases.py made."""
    global FORM, SETTINGS
    FORM, SETTINGS = form, settings
    out = {"picker": picker_case(), "picker_server_down": error_case("http://127.0.0.2:9")}
    if os.environ.get("DREAMLAYER_TEST_MISSING_MODEL"):
        out["picker_missing_model"] = error_case(ATLAS_SERVER, os.environ["DREAMLAYER_TEST_MISSING_MODEL"], ticks=1)
    return out
