"""The docker as an artist uses it, inside real Krita: its own preset combo, knobs and buttons, in the main window.

Imported by krita_cases.py (which runs the cases and writes their results); stdlib and Krita's Qt only. The cases
are generators: they ``yield`` to Krita's event loop before selecting a layer they have just added (see
``krita_cases.run_all``), which is what selecting it in the Layers docker would wait for too.
"""

import base64
import os
import time

W, H = 96, 64
BOX = (24, 16, 48, 32)  # a rectangular selection without feather: x, y, w, h


def wait_until(condition, seconds=120.0, what="something"):
    from dreamlayer_krita.qt import process_events

    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"waited {seconds:.0f} s for {what}")
        process_events()
        time.sleep(0.01)


def settle(seconds):
    """Let Qt lay out and paint for a while."""
    from dreamlayer_krita.qt import process_events

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        process_events()
        time.sleep(0.02)


def the_docker(krita):
    """The main window's dreamlayer docker, shown as Settings > Dockers > dreamlayer shows it."""
    docker = next(d for d in krita.dockers() if d.objectName() == "dreamlayer_docker")
    docker.show()
    docker.raise_()
    return docker


def connect_docker(krita, server, token=""):
    """Pick "A server at this URL" in the docker's Server section and type the address (and token), as an artist
    would, then wait until it is connected."""
    docker = the_docker(krita)
    section = docker.server
    section.mode.setCurrentIndex(section.mode.findData("url"))
    section.url.setText(server)
    section.token.setText(token)
    section.url.editingFinished.emit()
    wait_until(lambda: section.button.text() == "Server: connected", 30, "the docker to connect")
    return docker


def wait_for_all(docker, seconds=240):
    """Wait until no dream runs or waits in the docker."""
    from dreamlayer_krita.controller import controller

    wait_until(lambda: controller().lineup.running is None, seconds, "the docker's dreams")


def press(docker, button):
    """Click one of the docker's buttons and wait for the job it starts; returns the finished task."""
    from dreamlayer_krita.controller import controller

    before = controller().task
    button.click()
    task = controller().task
    if task is before:
        raise AssertionError(f"'{button.text()}' started no job: {docker.message.text()}")
    wait_until(lambda: task.done, what=f"the job '{button.text()}' started")
    if task.error:
        raise AssertionError(f"'{button.text()}' failed: {task.error}")
    return task


def picture_document(krita, name):
    """A small RGBA document with a patterned 'Source' paint layer, shown in a view, the source active."""
    doc = krita.createDocument(W, H, name, "RGBA", "U8", "", 72.0)
    window = krita.activeWindow()
    window.showView(window.addView(doc))
    doc.waitForDone()
    source = doc.createNode("Source", "paintlayer")
    doc.rootNode().addChildNode(source, None)
    pattern = bytearray()
    for y in range(H):
        for x in range(W):
            pattern += bytes((x * 7 % 256, y * 5 % 256, (x + y) * 3 % 256, 255))  # B, G, R, A
    source.setPixelData(bytes(pattern), 0, 0, W, H)
    yield from select(doc, source)
    return doc, source


def select(doc, node):
    """Make ``node`` the active layer, as clicking it in the Layers docker does."""
    doc.waitForDone()
    yield  # Krita 5 knows of a layer added from Python only once its event loop has run
    doc.setActiveNode(node)
    if doc.activeNode().name() != node.name():
        raise AssertionError(f"Krita did not make '{node.name()}' the active layer")


def presets_case(krita, server):
    """Each preset picked in the docker's combo box and dreamed with its Dream button; then one knob changed."""
    docker = connect_docker(krita, server)
    doc, source = yield from picture_document(krita, "presets")
    combo, ran = docker.panel.preset, {}
    # Each pick a change, as a new preset is: the one shown comes last.
    for index in [i for i in range(combo.count()) if i != combo.currentIndex()] + [combo.currentIndex()]:
        combo.setCurrentIndex(index)
        shown = docker.panel.values()
        task = press(docker, docker.dream_button)
        status = task.status
        ran[combo.itemText(index)] = {"shown": shown, "settings": status.settings, "preset": status.preset,
                                      "layer": task.new_layer.name(), "message": docker.message.text()}
    combo.setCurrentText("deep")
    docker.panel.knobs["steps"].widget.setValue(3)
    task = press(docker, docker.dream_button)
    changed = task.status
    return {"presets": [combo.itemText(i) for i in range(combo.count())], "ran": ran,
            "changed": {"settings": changed.settings, "preset": changed.preset, "shown": docker.panel.values()},
            "bar": [docker.bar.value(), docker.bar.maximum()], "has_preview": docker.preview.image is not None,
            "labels": {name: knob.label for name, knob in docker.panel.knobs.items()},
            "tooltips": {name: knob.widget.toolTip() for name, knob in docker.panel.knobs.items()},
            "video_labels": {name: knob.label for name, knob in docker.panel.video_knobs.items()},
            "video_tooltips": {name: knob.widget.toolTip() for name, knob in docker.panel.video_knobs.items()},
            "layers": [n.name() for n in doc.rootNode().childNodes()]}


def pixels(layer):
    return bytes(layer.pixelData(0, 0, W, H))


def again_and_vary_case(krita, server):
    """Dream with a hard-edged rectangle, then Dream again and Vary on the dream layer with the docker's buttons,
    also after saving the .kra and opening it again."""
    from krita import Selection

    docker = connect_docker(krita, server)
    doc, source = yield from picture_document(krita, "again")
    selection = Selection()
    selection.select(*BOX, 255)
    doc.setSelection(selection)
    docker.panel.preset.setCurrentText("gentle")
    docker.panel.knobs["steps"].widget.setValue(3)
    docker.panel.knobs["step_size"].widget.setValue(6.0)  # a change strong enough to tell the edge from the middle
    before = pixels(source)
    first = press(docker, docker.dream_button).new_layer
    yield from select(doc, source)
    docker.again_button.click()  # the source is not a dream layer
    not_a_dream = docker.message.text()
    yield from select(doc, first)
    again = press(docker, docker.again_button).new_layer
    yield from select(doc, first)
    vary = press(docker, docker.vary_button).new_layer
    names = [n.name() for n in doc.rootNode().childNodes()]
    path = os.path.join(os.environ["DREAMLAYER_TEST_CASES"], "again.kra")
    saved = doc.saveAs(path)
    doc.waitForDone()
    first_name, first_pixels = first.name(), pixels(first)
    doc.close()
    reopened = krita.openDocument(path)
    window = krita.activeWindow()
    window.showView(window.addView(reopened))
    reopened.setSelection(selection)
    yield from select(reopened, reopened.nodeByName(first_name))
    after_reopening = press(docker, docker.again_button).new_layer
    return {"names": names, "first": first_name, "again": again.name(), "vary": vary.name(), "saved": saved,
            "again_same_pixels": pixels(again) == first_pixels, "vary_same_pixels": pixels(vary) == first_pixels,
            "reopened_same_pixels": pixels(after_reopening) == first_pixels, "reopened_name": after_reopening.name(),
            "source_unchanged": pixels(source) == before, "not_a_dream_message": not_a_dream,
            "edge_and_core_change": edge_and_core_change(before, first_pixels)}


def edge_and_core_change(before, after):
    """The mean change of a channel along the box's outermost pixels, and in its middle: a hard edge changes as
    much as the middle, a soft one much less."""
    x0, y0, w, h = BOX

    def change(points):
        diffs = [abs(after[(y * W + x) * 4 + c] - before[(y * W + x) * 4 + c]) for x, y in points for c in range(3)]
        return sum(diffs) / len(diffs)

    edge = [(x, y) for y in range(y0, y0 + h) for x in range(x0, x0 + w) if x in (x0, x0 + w - 1) or y in (y0, y0 + h - 1)]
    core = [(x, y) for y in range(y0 + h // 4, y0 + 3 * h // 4) for x in range(x0 + w // 4, x0 + 3 * w // 4)]
    return [change(edge), change(core)]


def docker_state_case(krita, server):
    """The knobs come from the description, the values persist in the settings file, outside the plugin folder."""
    import json

    from dreamlayer_krita.controller import controller

    docker = connect_docker(krita, server)
    docker.panel.preset.setCurrentText("classic")
    docker.panel.knobs["steps"].widget.setValue(7)
    docker.panel.knobs["seed"].widget.setValue(docker.panel.knobs["seed"].widget.minimum())
    docker.panel.knobs["model"].widget.setCurrentIndex(0)
    layer_combo = docker.panel.knobs["layer"].widget
    ctl = controller()
    with open(ctl.state_path) as f:
        stored = json.load(f)
    return {"layer_items": [layer_combo.itemText(i) for i in range(layer_combo.count())],
            "seed_text": docker.panel.knobs["seed"].widget.text(), "stored": stored, "state_path": ctl.state_path,
            "sections": {name: [s.button.text(), s.is_open()] for name, s in docker.panel.sections.items()},
            "in_sections": {name: next(s for s, form in docker.panel.forms.items() if form.indexOf(knob.widget) >= 0)
                            for name, knob in docker.panel.knobs.items()}}


def fits_the_screen_case(krita, server):
    """Krita maximised on a 1600×1000 screen with its default dockers and ours, talking to the managed server the
    docker started when it opened (as on an artist's first day): a screenshot, and what fits."""
    from dreamlayer_krita.controller import controller

    window = krita.activeWindow()
    qwindow = window.qwindow()
    docker = the_docker(krita)
    wait_until(lambda: docker.server.button.text() == "Server: connected", 60, "the managed server to start")
    qwindow.showMaximized()
    # Xvfb has no window manager to maximise it: take the screen's size, as maximising would (a window whose
    # dockers need more height than that stays taller, and the check below catches it).
    qwindow.setGeometry(qwindow.screen().availableGeometry())
    doc = krita.openDocument(os.path.join(os.environ["DREAMLAYER_TEST_CASES"], "chelsea.png"))
    window.showView(window.addView(doc))
    doc.waitForDone()
    from krita import Selection

    selection = Selection()
    selection.select(150, 40, 200, 160, 255)
    doc.setSelection(selection)
    yield from select(doc, doc.rootNode().childNodes()[0])
    docker.panel.preset.setCurrentText("classic")
    press(docker, docker.dream_button)
    yield  # the new layer into the Layers docker
    settle(1.0)
    path = os.path.join(os.environ["DREAMLAYER_TEST_CASES"], "krita-docker.png")
    qwindow.grab().save(path, "PNG")
    with open(path, "rb") as f:
        png = base64.b64encode(f.read()).decode()
    layers = next((d for d in krita.dockers() if d.objectName() == "KisLayerBox"), None)
    frame, screen = qwindow.frameGeometry(), qwindow.screen().availableGeometry()
    fixed = [docker.dream_button, docker.again_button, docker.vary_button, docker.cancel_button, docker.bar, docker.message]
    content = docker.scroll.widget()
    return {
        "screen": [screen.width(), screen.height()], "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
        "docker_visible": docker.isVisible(), "docker": [docker.width(), docker.height()],
        "docker_minimum_height": docker.widget().minimumSizeHint().height(),
        "layers_docker_height": layers.height() if layers is not None and layers.isVisible() else None,
        "fixed_inside_window": all(w.isVisible() and _inside(w, qwindow) for w in fixed),
        "knobs_in_scroll_area": all(content.isAncestorOf(k.widget) for k in docker.panel.knobs.values()),
        "preview": [docker.preview.width(), docker.preview.height(), docker.preview.image is not None],
        "bar": [docker.bar.value(), docker.bar.maximum()], "message": docker.message.text(),
        "png": png,
        "dockers_shown": [d.windowTitle() for d in krita.dockers() if d.isVisible()],
        "managed_pid": controller().connection.link.started_here(), "address": controller().connection.choice.address,
    }


def _inside(widget, window):
    from dreamlayer_krita.qt import QtCore

    top_left = widget.mapTo(window, QtCore.QPoint(0, 0))
    return (top_left.x() >= 0 and top_left.y() >= 0 and top_left.x() + widget.width() <= window.width()
            and top_left.y() + widget.height() <= window.height())
