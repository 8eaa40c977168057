"""The docker's Variations, its queue, the guide picker, channels and layer mix, and a token, inside real Krita,
through the docker's own widgets and buttons. Imported by krita_cases.py; stdlib and Krita's Qt only."""

import os

from docker_cases import connect_docker, picture_document, pixels, select, the_docker, wait_for_all, wait_until


def quick_knobs(docker, seed, steps=2):
    """The gentle preset, quick: one scale, a few iterations, a strong step, a fixed seed."""
    docker.panel.preset.setCurrentText("gentle")
    knobs = docker.panel.knobs
    knobs["octaves"].widget.setValue(1)
    knobs["steps"].widget.setValue(steps)
    knobs["step_size"].widget.setValue(6.0)
    knobs["seed"].widget.setValue(seed)


def pressed(docker, button):
    """Click a button; the dreams it queued (the running one first)."""
    from dreamlayer_krita.controller import controller

    lineup = controller().lineup
    before = [lineup.running] + lineup.queued
    button.click()
    return [task for task in [lineup.running] + lineup.queued if task is not None and task not in before]


def variations_case(krita, server):
    """Variations: 3 with the Seed knob at 40: three dreams, seeds 40 to 42, as layers in a new group above the
    source; then a batch of 3 cancelled while its first runs: nothing of it is added."""
    docker = connect_docker(krita, server)
    doc, source = yield from picture_document(krita, "variations")
    before = pixels(source)
    quick_knobs(docker, 40)
    docker.variations.setValue(3)
    batch = pressed(docker, docker.dream_button)
    waiting_text = docker.waiting.text()
    wait_for_all(docker)
    top = doc.rootNode().childNodes()
    group = top[[n.name() for n in top].index("Source") + 1]
    inside = group.childNodes()
    result = {"batch": len(batch), "errors": [task.error for task in batch], "waiting_text": waiting_text,
              "names": [n.name() for n in top], "group": group.name(), "group_type": group.type(),
              "inside": [n.name() for n in inside], "visible": [n.visible() for n in inside], "distinct": len({pixels(n) for n in inside}),
              "source_unchanged": pixels(source) == before, "message": docker.message.text()}

    count = len(doc.rootNode().childNodes())
    quick_knobs(docker, 50, steps=200)
    states = []
    cancelled = pressed(docker, docker.dream_button)
    cancelled[0].progress.connect(lambda status: states.append(status.state))
    wait_until(lambda: "running" in states or cancelled[0].done, 60, "the first of the batch to run")
    docker.cancel_button.click()
    wait_for_all(docker)
    docker.variations.setValue(1)
    result["cancel"] = {"saw_running": "running" in states, "errors": [task.error for task in cancelled],
                        "layers_added": len(doc.rootNode().childNodes()) - count,
                        "cancel_enabled": docker.cancel_button.isEnabled()}
    return result


def queue_case(krita, server):
    """Dream pressed again while a dream runs: the second waits its turn (the docker says so), then both land."""
    docker = connect_docker(krita, server)
    doc, source = yield from picture_document(krita, "queue")
    quick_knobs(docker, 41, steps=6)
    first = pressed(docker, docker.dream_button)
    second = pressed(docker, docker.dream_button)
    waiting = [docker.waiting.isVisible(), docker.waiting.text()]
    wait_for_all(docker)
    return {"queued": [len(first), len(second)], "waiting": waiting, "errors": [first[0].error, second[0].error],
            "names": [n.name() for n in doc.rootNode().childNodes()],
            "waiting_after": docker.waiting.isVisible()}


def guide_channels_layers_case(krita, server):
    """A guide layer picked in the docker, then the channels knob's strongest N and list, and a typed layer mix:
    what ran is what the docker showed, and a guide changes the dream."""
    from dreamlayer_krita.controller import controller

    docker = connect_docker(krita, server)
    doc, source = yield from picture_document(krita, "guided")
    guide = doc.createNode("Guide", "paintlayer")
    doc.rootNode().addChildNode(guide, None)
    stripes = bytearray()
    for y in range(64):
        for x in range(96):
            stripes += bytes((255, 40, 0, 255) if (x // 6) % 2 else (0, 200, 255, 255))
    guide.setPixelData(bytes(stripes), 0, 0, 96, 64)
    yield from select(doc, source)
    knobs, runs = docker.panel.knobs, {}
    quick_knobs(docker, 5, steps=4)

    def dream(name):
        task = pressed(docker, docker.dream_button)[0]
        wait_for_all(docker)
        runs[name] = {"error": task.error, "settings": task.status.settings if task.status else None, "pixels": pixels(task.new_layer) if task.new_layer else b""}

    dream("plain")
    docker.guide.refresh()
    guide_items = [docker.guide.itemText(i).strip() for i in range(docker.guide.count())]
    docker.guide.setCurrentIndex(docker.guide.findData(guide.uniqueId().toString()))
    picked = controller().guide_id == guide.uniqueId().toString()
    knobs["guide_weight"].widget.setValue(4.0)
    dream("guided")
    channels = knobs["channels"]
    channels.mode.setCurrentIndex(channels.mode.findData("strongest"))
    channels.count.setValue(5)
    dream("strongest")
    channels.mode.setCurrentIndex(channels.mode.findData("these"))
    channels.listed.setText("3,17,42")
    knobs["layer"].widget.setEditText("block8=0.5,block10")
    dream("listed_mix")
    docker.guide.setCurrentIndex(0)
    channels.mode.setCurrentIndex(channels.mode.findData("all"))
    knobs["layer"].widget.setCurrentIndex(0)
    return {"guide_items": guide_items, "picked": picked, "unpicked": controller().guide_id is None,
            "guide_row_in_more": docker.panel.forms["more"].indexOf(docker.guide) >= 0,
            "guided_differs": runs["guided"]["pixels"] != runs["plain"]["pixels"],
            "runs": {name: {"error": run["error"], "settings": run["settings"]} for name, run in runs.items()}}


def token_case(krita, server):
    """A shared server that wants a token: a wrong one gets a readable message, the right one connects and
    dreams; the token is kept in the settings file, and neither the diagnostics nor the plugin's log hold it."""
    from dreamlayer_krita.controller import controller
    from dreamlayer_krita.qt import QtWidgets

    token_server, token = os.environ["DREAMLAYER_TEST_TOKEN_SERVER"], os.environ["DREAMLAYER_TEST_TOKEN"]
    docker = the_docker(krita)
    section = docker.server
    section.mode.setCurrentIndex(section.mode.findData("url"))
    section.url.setText(token_server)
    section.token.setText("not-the-token")
    section.token.editingFinished.emit()
    wait_until(lambda: section.button.text() == "Server: not connected", 30, "the wrong token to be refused")
    refused = section.status.text()
    docker = connect_docker(krita, token_server, token)
    doc, source = yield from picture_document(krita, "token")
    quick_knobs(docker, 7)
    task = pressed(docker, docker.dream_button)[0]
    wait_for_all(docker)
    docker.server.diagnostics_button.click()
    copied = QtWidgets.QApplication.clipboard().text()
    ctl = controller()
    with open(ctl.state_path) as f:
        stored = f.read()
    log_path = os.path.join(os.path.dirname(ctl.state_path), "plugin.log")
    logged = open(log_path).read() if os.path.exists(log_path) else ""
    connect_docker(krita, server)  # back to the session's server for the cases after this one
    return {"refused": refused, "error": task.error, "layer": task.new_layer.name() if task.new_layer else None,
            "stored": token in stored, "in_diagnostics": token in copied, "in_log": token in logged,
            "log_has_the_refusal": "token" in logged, "diagnostics": copied}


def documents_case(krita, server):
    """A dream in one document, then another document made active, then that one closed, so the first is active
    again: the docker shows each document's own preview and message, and the dreams waiting for it only."""
    docker = connect_docker(krita, server)
    first, _ = yield from picture_document(krita, "first picture")
    quick_knobs(docker, 12)
    pressed(docker, docker.dream_button)
    wait_for_all(docker)
    from dreamlayer_krita.feedback import document_key

    keys = [document_key(first), docker.feedback._active(), sorted(str(k) for k in docker.feedback.views)]
    on_first = [docker.preview.image is not None, docker.message.text()]
    second, _ = yield from picture_document(krita, "second picture")
    yield
    on_second = [docker.preview.image is not None, docker.message.text(), docker.waiting.isVisible()]
    # Back to the first: the second closed, as a painter closes a picture (Krita 5's showView under Xvfb does not
    # make an older view active again).
    second.setModified(False)
    second.close()
    yield
    yield
    keys += [docker.feedback._shown, document_key(krita.activeDocument())]
    back = [docker.preview.image is not None, docker.message.text()]
    return {"on_first": on_first, "on_second": on_second, "back": back, "keys": keys}
