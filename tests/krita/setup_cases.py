"""A set-up artists have, inside real Krita: the plugin installed with ``install-plugin --dest``, a dream server
they started by hand on the docker's port, and the docker's own widgets. The docker uses that server as it is,
with the Python the installer recorded and with none; each dream's pixels are written out for test_krita_setups.py
to compare with the local CLI's dream of the same picture with the same settings.

Configured by DREAMLAYER_TEST_HAND_SERVER (the hand-started server's URL, on the docker's managed port) and
DREAMLAYER_TEST_CASES (where the picture is: in.bgra, in.rgba and mask.u8; the dreams are written there too).
Imported by krita_cases.py; stdlib and Krita's Qt only.
"""

import array
import os

from batch_cases import pressed
from docker_cases import select, the_docker, wait_for_all, wait_until

W, H = 96, 64
SEED = 11


def layer_pixels(depth, folder):
    """The picture in Krita's bytes for ``depth``: integer depths are B, G, R, A; float ones R, G, B, A. The deeper
    ones hold the 8-bit values exactly (v × 257, or v / 255 as a float)."""
    if depth == "U8":
        return open(os.path.join(folder, "in.bgra"), "rb").read()
    if depth == "U16":
        return array.array("H", (v * 257 for v in open(os.path.join(folder, "in.bgra"), "rb").read())).tobytes()
    return array.array("f", (v / 255 for v in open(os.path.join(folder, "in.rgba"), "rb").read())).tobytes()


def document(krita, name, depth, folder, mask=None):
    """A document of ``depth`` whose active layer holds the picture, with ``mask`` as its selection."""
    from krita import Selection

    doc = krita.createDocument(W, H, name, "RGBA", depth, "", 72.0)
    window = krita.activeWindow()
    window.showView(window.addView(doc))
    doc.waitForDone()
    source = doc.createNode("Source", "paintlayer")
    doc.rootNode().addChildNode(source, None)
    source.setPixelData(layer_pixels(depth, folder), 0, 0, W, H)
    if mask is not None:
        selection = Selection()
        selection.setPixelData(mask, 0, 0, W, H)
        doc.setSelection(selection)
    yield from select(doc, source)
    return doc


def dream_with_the_docker(docker, surface, folder):
    """Dream with the docker's own knobs and button (gentle, one quick scale, a fixed seed); the dream layer's
    bytes go to ``<surface>.raw``. What ran, as the server reports it."""
    from dreamlayer_krita.controller import controller

    panel = docker.panel
    panel.preset.setCurrentText("gentle")
    panel.knobs["octaves"].widget.setValue(1)
    panel.knobs["steps"].widget.setValue(3)
    panel.knobs["step_size"].widget.setValue(6.0)
    panel.knobs["seed"].widget.setValue(SEED)
    task = pressed(docker, docker.dream_button)[0]
    wait_for_all(docker)
    out = {"error": task.error, "started_here": controller().connection.link.started_here(), "url": task.client.url}
    if task.error is None:
        with open(os.path.join(folder, f"{surface}.raw"), "wb") as f:
            f.write(bytes(task.new_layer.pixelData(0, 0, W, H)))
        out["settings"] = task.status.settings
        out["bounds"] = [task.new_layer.bounds().width(), task.new_layer.bounds().height()]
        out["masks"] = [child.type() for child in task.new_layer.childNodes()]
    return out


def by_hand_case(krita, server):
    """The docker on the managed port where the hand-started server answers: a dream per depth and one through a
    selection, with the recorded Python; then the Python emptied in the Server section, and the dream again."""
    folder = os.environ["DREAMLAYER_TEST_CASES"]
    docker = the_docker(krita)
    wait_until(lambda: docker.server.button.text() == "Server: connected", 60, "the docker to find the server")
    out = {"recorded_python": docker.server.python.text(), "status": docker.server.status.text(), "dreams": {}}
    for depth in ("U8", "U16", "F32"):
        yield from document(krita, f"by hand {depth}", depth, folder)
        out["dreams"][depth] = dream_with_the_docker(docker, depth, folder)
    mask = open(os.path.join(folder, "mask.u8"), "rb").read()
    doc = yield from document(krita, "by hand, a selection", "U8", folder, mask)
    with open(os.path.join(folder, "U8_selection_mask.raw"), "wb") as f:  # the selection as the docker reads it
        f.write(bytes(doc.selection().pixelData(0, 0, W, H)))
    out["dreams"]["U8_selection"] = dream_with_the_docker(docker, "U8_selection", folder)
    docker.server.python.setText("")
    docker.server.python.editingFinished.emit()
    yield from document(krita, "by hand, no Python", "U8", folder)
    out["dreams"]["U8_no_python"] = dream_with_the_docker(docker, "U8_no_python", folder)
    out["python_after"] = docker.server.python.text()
    return out
