"""The channel picker inside real Krita, through its own widgets: the Channels knob's Pick… button, the grid's
thumbnails clicked and Ctrl+clicked as a mouse does, OK and Cancel; then the knob's small pictures. Against a real
server whose atlas cache test_krita.py pre-filled with the strongest channels' pictures (the rest are made while
the picker is open). Imported by krita_cases.py; stdlib and Krita's Qt only.
"""

import base64
import hashlib
import os
import time

from docker_cases import connect_docker, select, settle, wait_until

SERVER_DOWN = "http://127.0.0.1:9"


def box():
    """The selection test_krita.py ranks too (DREAMLAYER_TEST_PICKER_BOX: x,y,w,h), on the cat's face."""
    return tuple(int(v) for v in os.environ["DREAMLAYER_TEST_PICKER_BOX"].split(","))


def click(grid, item, ctrl=False):
    """A left click (with Ctrl held, if asked) on a thumbnail, as the mouse sends it to the grid."""
    from dreamlayer_krita.qt import QtCore, QtGui, QtWidgets

    grid.scrollToItem(item)
    centre = QtCore.QPointF(grid.visualItemRect(item).center())
    outside = QtCore.QPointF(grid.viewport().mapToGlobal(centre.toPoint()))
    left, held = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton
    keys = QtCore.Qt.KeyboardModifier.ControlModifier if ctrl else QtCore.Qt.KeyboardModifier.NoModifier
    for kind, buttons in ((QtCore.QEvent.Type.MouseButtonPress, left), (QtCore.QEvent.Type.MouseButtonRelease, held)):
        event = QtGui.QMouseEvent(kind, centre, outside, left, buttons, keys)
        QtWidgets.QApplication.sendEvent(grid.viewport(), event)
    settle(0.1)


def grid_of(dialog):
    from dreamlayer_krita.channel_picker import CHANNEL

    grid = dialog.grid
    items = [grid.item(i) for i in range(grid.count())]
    return {"order": [item.data(CHANNEL) for item in items], "labels": [item.text() for item in items],
            "bold": [item.font().bold() for item in items], "selected": [item.data(CHANNEL) for item in grid.selectedItems()]}


def shot(widget, name):
    path = os.path.join(os.environ["DREAMLAYER_TEST_CASES"], name)
    widget.grab().save(path, "PNG")
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def screen_shot(qwindow, name):
    """The whole screen: Krita's window with the picker over it."""
    path = os.path.join(os.environ["DREAMLAYER_TEST_CASES"], name)
    qwindow.screen().grabWindow(0).save(path, "PNG")
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def picker_case(krita, server):
    from krita import Selection

    from dreamlayer_krita.controller import controller
    from dreamlayer_krita.qt import QtWidgets

    started = time.monotonic()
    docker = connect_docker(krita, server)
    qwindow = krita.activeWindow().qwindow()
    qwindow.showMaximized()
    qwindow.setGeometry(qwindow.screen().availableGeometry())  # Xvfb has no window manager to maximise it
    doc = krita.openDocument(os.path.join(os.environ["DREAMLAYER_TEST_CASES"], "chelsea.png"))
    krita.activeWindow().showView(krita.activeWindow().addView(doc))
    doc.waitForDone()
    x, y, w, h = box()
    selection = Selection()
    selection.select(x, y, w, h, 255)
    doc.setSelection(selection)
    layer = doc.rootNode().childNodes()[0]
    yield from select(doc, layer)
    layer_pixels = hashlib.sha256(bytes(layer.pixelData(x, y, w, h))).hexdigest()
    docker.panel.section("more").set_open(True)
    knob = docker.panel.knobs["channels"]
    docker.scroll.ensureWidgetVisible(knob.widget)
    knob_before = knob.value()

    # The picker, from the knob's own button: the grid fills in, strongest first, as the pictures come.
    knob.pick_button.click()
    dialog = docker.channel_choice.dialog
    wait_until(lambda: dialog.grid.count() > 0, 60, "the picker's first look at the atlas")
    made_at_first = list(dialog.picker.states.values()).count("made")
    lines = [dialog.progress_line.text()]
    wait_until(lambda: dialog.ranked and len(dialog.images) >= made_at_first, 60, "the made pictures, ranked")
    opened_in = time.monotonic() - started
    waited = time.monotonic()
    # The server makes more while the picker is open: the next batch appears without anything pressed.
    def more_made():
        if dialog.progress_line.text() != lines[-1]:
            lines.append(dialog.progress_line.text())
        return len(dialog.images) > made_at_first
    wait_until(more_made, 300, "a picture made while the picker is open")
    batch_seconds = time.monotonic() - waited
    ranked = grid_of(dialog)

    # A click chooses one; Ctrl+click adds or takes away: the two strongest with a picture stay chosen.
    grid = dialog.grid
    pictured = [i for i, channel in enumerate(ranked["order"]) if channel in dialog.images]
    first, second, third = pictured[:3]
    click(grid, grid.item(third))
    only_one = grid_of(dialog)["selected"]
    click(grid, grid.item(first), ctrl=True)
    click(grid, grid.item(second), ctrl=True)
    click(grid, grid.item(third), ctrl=True)
    chosen_line = dialog.choice_line.text()
    chosen = list(dialog.picker.chosen)
    settle(0.5)
    dialog_png, screen_png = shot(dialog, "picker.png"), screen_shot(qwindow, "picker-screen.png")
    dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).click()
    settle(0.5)
    after_ok = {"value": knob.value(), "listed": knob.listed.text(), "mode": knob.mode.currentData(),
                "stored": controller().state.values.get("channels"), "chips": knob.chips.shown(),
                "chip_pictures": sorted(knob.chips.images), "chips_visible": knob.chips.isVisible(),
                "polling": dialog.timer.isActive(), "visible": dialog.isVisible()}
    settle(0.3)
    docker.scroll.ensureWidgetVisible(knob.widget)
    docker_png = shot(docker.panel.section("more"), "channels-knob.png")  # the knob among its neighbours

    # Opened again: the choice is selected; another click, then Cancel: the knob is as it was.
    knob.pick_button.click()
    again = docker.channel_choice.dialog
    wait_until(lambda: again.ranked and again.picker.states, 60, "the picker opened again")
    preselected = grid_of(again)["selected"]
    click(again.grid, again.grid.item(5))
    changed_to = list(again.picker.chosen)
    again.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Cancel).click()
    settle(0.3)
    after_cancel = {"value": knob.value(), "chips": knob.chips.shown(), "polling": again.timer.isActive()}

    # Typed by hand: the chips follow, their pictures fetched from the server's cache.
    typed = [chosen[0], ranked["order"][pictured[3]]]
    knob.listed.setText(",".join(map(str, typed)))
    wait_until(lambda: sorted(knob.chips.images) == sorted(typed), 30, "the typed channels' pictures")
    after_typing = {"chips": knob.chips.shown(), "stored": controller().state.values.get("channels")}

    # A typed mix of layers: the picker and the chips take its first layer (block8's pictures are not made: numbered
    # grey chips); back to the network's default, block10's pictures again.
    layer_knob = docker.panel.knobs["layer"]
    layer_knob.widget.setEditText("block8=0.5,block10")
    settle(0.5)
    mixed = {"layer": list(docker.channel_choice.layer()), "chip_pictures": sorted(knob.chips.images),
             "chips": knob.chips.shown()}
    layer_knob.widget.setCurrentIndex(0)
    wait_until(lambda: sorted(knob.chips.images) == sorted(typed), 30, "block10's pictures again")
    mixed["back"] = list(docker.channel_choice.layer())

    # No server: the picker says so in words.
    section = docker.server
    section.url.setText(SERVER_DOWN)
    section.url.editingFinished.emit()
    knob.pick_button.click()
    down = docker.channel_choice.dialog
    wait_until(lambda: down.problem.isVisible(), 60, "the picker's message about the server")
    down_message = down.problem.text()
    down.reject()
    section.url.setText(server)
    section.url.editingFinished.emit()
    return {"layer_pixels": layer_pixels, "knob_before": knob_before, "made_at_first": made_at_first,
            "lines": lines, "about": dialog.about.text(), "heading": dialog.heading.text(), "ranked": ranked,
            "opened_in": round(opened_in, 1), "batch_seconds": round(batch_seconds, 1),
            "pictures_shown": len(dialog.images), "total": len(ranked["order"]),
            "pictured": pictured[:3], "only_one": only_one, "chosen": chosen, "chosen_line": chosen_line, "after_ok": after_ok,
            "preselected": preselected, "changed_to": changed_to, "after_cancel": after_cancel,
            "after_typing": after_typing, "typed": typed, "mixed": mixed, "down_message": down_message,
            "dialog_png": dialog_png, "screen_png": screen_png, "knob_png": docker_png}
