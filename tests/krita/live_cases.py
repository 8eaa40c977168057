"""Live Dream inside real Krita, through the docker's own Live and Keep buttons and the Live action, against a real
server: strokes are painted by script (pixels written into the layer, as a brush would leave them), the live layer
is read back. Imported by krita_cases.py; stdlib and Krita's Qt only (the GIF is put together by test_krita.py).
"""

import hashlib
import os

from batch_cases import quick_knobs
from docker_cases import connect_docker, select, settle, wait_until
from picker_cases import screen_shot

BIG = 1024  # a real canvas: Live must keep up with it


def ctl():
    from dreamlayer_krita.controller import controller

    return controller()


def live_docker(krita, server):
    """The docker, connected, with Live off (as a case before may have left it)."""
    docker = connect_docker(krita, server)
    ctl().live.set_on(False)
    return docker


def names(doc):
    return [node.name() for node in doc.rootNode().childNodes()]


def digest(data):
    return hashlib.sha256(bytes(data)).hexdigest()


def pattern(width, height):
    """Stripes and a gradient, B, G, R, A: something for the dream to see."""
    rows = []
    for y in range(height):
        rows.append(bytes(v for x in range(width) for v in ((x * 3 + y) % 256, (y * 2) % 256, (x ^ y) % 256, 255)))
    return b"".join(rows)


def dab(layer, x, y, size, bgr):
    """A square of colour painted into the layer by script, as a stroke leaves it."""
    layer.setPixelData(bytes((*bgr, 255)) * (size * size), x, y, size, size)


def big_document(krita, name, size=BIG):
    doc = krita.createDocument(size, size, name, "RGBA", "U8", "", 72.0)
    window = krita.activeWindow()
    window.showView(window.addView(doc))
    doc.waitForDone()
    source = doc.createNode("Source", "paintlayer")
    doc.rootNode().addChildNode(source, None)
    source.setPixelData(pattern(size, size), 0, 0, size, size)
    doc.refreshProjection()
    yield from select(doc, source)
    return doc, source


def live_layer(doc):
    spot = ctl().live.spot
    return next((n for n in doc.rootNode().childNodes() if spot and n.uniqueId().toString() == spot.layer_id), None)


def wait_live(before, what, seconds=180):
    """Until Live has offered something new (more than ``before`` offers), no change waits to be offered, and the
    layer shows the newest offer's dream. Returns the number of offers then.

    A generator: it waits in Krita's own event loop (``yield``), never in one of its own. Krita runs events while it
    waits for the image (Live's layer changes do), and a wait spun inside that would hold Live's look up until it
    gave up."""
    import time

    def shown():
        spot = ctl().live.spot
        return (spot is not None and spot.offers > before and spot.shown_offer == spot.offers
                and spot.resting.seen == spot.resting.offered and not spot.dreamer.busy())

    deadline = time.monotonic() + seconds
    while not shown():
        if time.monotonic() > deadline:
            spot, doc = ctl().live.spot, krita_app().activeDocument()
            state = spot and {"offers": spot.offers, "shown": spot.shown_offer, "busy": spot.dreamer.busy(),
                              "rested": spot.resting.seen == spot.resting.offered, "source": spot.source_id,
                              "layer": spot.layer_id, "unasked": sorted(spot.unasked), "arrivals": ctl().live.arrivals}
            active = doc.activeNode() if doc else None
            raise AssertionError(f"waited {seconds} s for {what}: live {ctl().live.on}, {state}, active "
                                 f"{active and active.name()}, layers {doc and names(doc)}, "
                                 f"last errors {ctl().errors.lines()[-3:]}")
        yield
    return ctl().live.spot.offers


def krita_app():
    from krita import Krita

    return Krita.instance()


def messages():
    """Every line the docker's message shows from now on (a case returns a copy: the list goes on growing)."""
    said = []
    ctl().message.connect(said.append)
    return said


def live_case(krita, server):
    """Live on a 1024² canvas, from the docker's switch: the live layer appears above the source and follows two
    strokes; an undoable stroke (Krita's Invert) is undone by Ctrl+Z while the live layer stays; Keep makes an
    ordinary dream layer (one undo step); Live off leaves the document as it was, plus the kept dream."""
    from dreamlayer_krita.records import recall

    docker = live_docker(krita, server)
    quick_knobs(docker, 1)
    seed_knob = docker.panel.knobs["seed"].widget
    seed_knob.setValue(seed_knob.minimum())  # random: Keep then dreams with the live dream's seed
    said = messages()
    doc, source = yield from big_document(krita, "live")
    names_before = names(doc)
    out = {"names_before": names_before}

    docker.live.live_button.click()
    out["switched_on"] = [ctl().live.on, docker.live.live_button.isChecked(), docker.live.keep_button.isEnabled()]
    offers = yield from wait_live(0, "the first live dream")
    live = live_layer(doc)
    out["names_live"] = names(doc)
    yield  # Krita 5 makes a layer added from Python active from its own event loop: the source stays active
    settle(0.3)
    out["active"] = doc.activeNode().name()
    first = bytes(live.pixelData(0, 0, BIG, BIG))
    out["first_differs_from_source"] = first != bytes(source.pixelData(0, 0, BIG, BIG))
    out["first_opaque"] = min(first[3::4]) == 255

    # Two strokes by script: the live dream follows each.
    dab(source, 100, 120, 200, (255, 255, 255))
    doc.refreshProjection()
    offers = yield from wait_live(offers, "the live dream of the first stroke")
    after_one = bytes(live.pixelData(0, 0, BIG, BIG))
    dab(source, 600, 500, 240, (20, 40, 230))
    doc.refreshProjection()
    offers = yield from wait_live(offers, "the live dream of the second stroke")
    after_two = bytes(live.pixelData(0, 0, BIG, BIG))
    out["changes"] = [after_one != first, after_two != after_one]
    painted = bytes(source.pixelData(0, 0, BIG, BIG))

    # An undoable stroke (Filter > Invert on the active layer), dreamed live, then Ctrl+Z: the stroke goes, the
    # live layer and its last live dream stay, untouched by the undo.
    krita.action("krita_filter_invert").trigger()
    doc.waitForDone()
    if bytes(source.pixelData(0, 0, BIG, BIG)) == painted:
        raise AssertionError(f"Invert did not change the source; the active layer is {doc.activeNode().name()}")
    offers = yield from wait_live(offers, "the live dream of the inverted layer")
    inverted_live = bytes(live.pixelData(0, 0, BIG, BIG))
    krita.action("edit_undo").trigger()
    doc.waitForDone()
    out["undo"] = {"stroke_undone": bytes(source.pixelData(0, 0, BIG, BIG)) == painted,
                   "live_layer_kept": live_layer(doc) is not None and names(doc) == out["names_live"],
                   "live_dream_kept": bytes(live.pixelData(0, 0, BIG, BIG)) == inverted_live,
                   "inverted_live_differs": inverted_live != after_two}
    offers = yield from wait_live(offers, "the live dream after the undo")

    # Keep: the Dream path's layer, recorded as a dream, with the live dream's seed; one undo step.
    live_seed = ctl().live.spot.seed
    docker.live.keep_button.click()
    task = ctl().task
    wait_until(lambda: task.done, 300, "the kept dream")
    kept = task.new_layer
    record = recall(doc, kept) if kept is not None else None
    out["keep"] = {"error": task.error, "name": kept.name() if kept else None, "names": names(doc),
                   "live_seed": live_seed, "record": [record.kind, record.settings.get("seed"), record.source == source.uniqueId().toString()] if record else None,
                   "live_has_record": recall(doc, live) is not None, "size": [kept.bounds().width(), kept.bounds().height()] if kept else None}
    yield
    settle(0.3)
    out["keep"]["active"] = doc.activeNode().name()  # Live stays on the source
    krita.action("edit_undo").trigger()
    doc.waitForDone()
    settle(0.3)
    out["keep"]["after_undo"] = names(doc)
    krita.action("edit_redo").trigger()
    doc.waitForDone()
    settle(0.3)
    out["keep"]["after_redo"] = names(doc)

    # Live off: the live layer goes; the document is as before Live, plus the kept dream.
    docker.live.live_button.click()
    doc.waitForDone()
    out["off"] = {"names": names(doc), "source_as_painted": bytes(source.pixelData(0, 0, BIG, BIG)) == painted,
                  "switch": [ctl().live.on, docker.live.live_button.isChecked(), docker.live.keep_button.isEnabled()],
                  "spot": ctl().live.spot is None}
    out["messages"] = list(said)
    return out


def supersede_case(krita, server):
    """A stroke while the live dream of the one before runs: the newer one wins, the older never shows, no message
    about it; the live layer ends up showing the dream of the newest pixels (compared with dreams of each stroke
    made on a lane of the test's own, with the same seed)."""
    from dreamlayer_editor.live import LiveDreamer, LiveResult
    from dreamlayer_editor.protocol import RawImage

    docker = live_docker(krita, server)
    quick_knobs(docker, 7, steps=4)
    said = messages()
    size = 512
    doc, source = yield from big_document(krita, "supersede", size)
    docker.live.live_button.click()
    offers = yield from wait_live(0, "the first live dream")
    spot = ctl().live.spot
    box = (128, 128, 160, 160)

    dab(source, *box[:3], (250, 250, 250))  # the stroke whose dream is superseded
    stroke_one = bytes(source.pixelData(0, 0, size, size))
    wait_until(lambda: spot.offers > offers and spot.dreamer.busy(), 60, "the first stroke's live dream under way")
    shown_before = spot.shown_offer
    dab(source, *box[:3], (10, 10, 10))  # while it runs: the same place painted dark
    stroke_two = bytes(source.pixelData(0, 0, size, size))
    superseded_offer = spot.offers
    final_offer = yield from wait_live(superseded_offer, "the second stroke's live dream")
    live = live_layer(doc)
    final = bytes(live.pixelData(0, 0, size, size))

    # The same two pictures dreamed live on a lane of the test's own, with the same settings.
    reference = LiveDreamer(ctl().connection.link.client(), "krita-test-reference")
    params = ctl().dream_params()
    dreams = []
    for pixels in (stroke_one, stroke_two):
        reference.offer(RawImage(size, size, pixels, "BGRA", "u8"), params, document=(size, size), position=(0, 0))
        answers = []
        wait_until(lambda: answers.append(reference.take()) or isinstance(answers[-1], LiveResult), 120, "a reference dream")
        dreams.append(answers[-1].image.data)
    reference.close()

    def distance(a, b):  # inside the stroke's square, the colour channels
        x0, y0, w, h = box
        total = 0
        for y in range(y0 + 8, y0 + h - 8):
            row = slice((y * size + x0 + 8) * 4, (y * size + x0 + w - 8) * 4)
            total += sum(abs(p - q) for i, (p, q) in enumerate(zip(a[row], b[row])) if i % 4 != 3)
        return total

    docker.live.live_button.click()
    return {"first_stroke_shown": spot.shown_offer == superseded_offer or shown_before == superseded_offer,
            "final_offer": final_offer, "shown_offer": spot.shown_offer,
            "to_second": distance(final, dreams[1]), "to_first": distance(final, dreams[0]),
            "same_as_second": final == dreams[1], "messages": list(said)}


def follow_case(krita, server):
    """The live layer is never a source: made active, Dream dreams its source; the Live action (Ctrl+Alt+L) switches
    Live like the button; another layer or another document takes the live layer along."""
    from dreamlayer_krita.records import recall
    from dreamlayer_krita.qt import QtGui

    docker = live_docker(krita, server)
    quick_knobs(docker, 5)
    doc, source = yield from big_document(krita, "follow", 128)
    action = krita.action("dreamlayer_live")
    shortcut = QtGui.QKeySequence("Ctrl+Alt+L")
    out = {"shortcut": action.shortcut().toString(),
           "others_with_it": [a.objectName() for a in krita.actions() if a is not action and not a.shortcut().isEmpty()
                              and a.shortcut().matches(shortcut) == QtGui.QKeySequence.SequenceMatch.ExactMatch]}
    arrivals = ctl().live.arrivals
    action.trigger()
    out["on_by_action"] = [ctl().live.on, docker.live.live_button.isChecked()]
    offers = yield from wait_live(0, "the first live dream")
    live = live_layer(doc)
    yield from select(doc, live)  # the artist clicks the live layer
    settle(0.5)
    out["live_active_names"] = names(doc)
    before = [ctl().lineup.running] + ctl().lineup.queued
    docker.dream_button.click()
    dream = next(t for t in [ctl().lineup.running] + ctl().lineup.queued if t not in before)
    wait_until(lambda: dream.done, 120, "the dream")
    record = recall(doc, dream.new_layer)
    out["dream"] = {"error": dream.error, "source": record.source == source.uniqueId().toString() if record else None,
                    "active": doc.activeNode().name(), "names": names(doc)}

    # Another paint layer: the live layer leaves the source and lands above it.
    other = doc.createNode("Other", "paintlayer")
    doc.rootNode().addChildNode(other, None)
    other.setPixelData(pattern(64, 64), 10, 10, 64, 64)
    yield from select(doc, other)
    offers = yield from wait_live(offers, "the live dream of the other layer")
    out["other"] = {"names": names(doc), "bounds": list(ctl().live.spot.shown)}

    # Another document: the first is left as it was, the live layer follows the new one's active layer.
    second, second_source = yield from big_document(krita, "second", 96)
    yield from wait_live(0, "the second document's live dream")
    out["second"] = {"names": names(second), "first_names": names(doc)}
    action.trigger()
    doc.waitForDone()
    out["off_by_action"] = [ctl().live.on, docker.live.live_button.isChecked(), names(second)]
    out["documents_watched"] = ctl().live.arrivals - arrivals
    return out


def unreachable_case(krita, server):
    """Live's errors show in the docker's message line: the server chosen while Live is on can't be reached; then
    the right one again, and the live dream comes."""
    docker = live_docker(krita, server)
    quick_knobs(docker, 4)
    doc, source = yield from big_document(krita, "unreachable", 96)
    section = docker.server
    section.url.setText("http://127.0.0.1:9")
    section.url.editingFinished.emit()
    docker.live.live_button.click()
    wait_until(lambda: docker.message.text().startswith("Live: "), 60, "Live's error in the docker")
    error = docker.message.text()
    section.url.setText(server)
    section.url.editingFinished.emit()
    yield from wait_live(ctl().live.spot.offers, "the live dream from the server chosen again")
    out = {"error": error, "message_after": docker.message.text(), "names": names(doc)}
    docker.live.live_button.click()
    return out


def film_case(krita, server):
    """An animated source: the live dream follows the frame the timeline shows."""
    from animation_cases import H, W, animated_source

    docker = live_docker(krita, server)
    quick_knobs(docker, 9)
    doc = krita.createDocument(W, H, "live film", "RGBA", "U8", "", 72.0)
    window = krita.activeWindow()
    window.showView(window.addView(doc))
    doc.waitForDone()
    source = yield from animated_source(krita, doc)
    doc.setCurrentTime(0)
    doc.waitForDone()
    docker.live.live_button.click()
    offers = yield from wait_live(0, "the live dream of frame 0")
    live = live_layer(doc)
    at_zero = bytes(live.pixelData(0, 0, W, H))
    doc.setCurrentTime(3)
    doc.waitForDone()
    yield from wait_live(offers, "the live dream of frame 3")
    at_three = bytes(live.pixelData(0, 0, W, H))
    alpha = [bytes(source.pixelDataAtTime(0, 0, W, H, t))[3::4] for t in (0, 3)]
    docker.live.live_button.click()
    return {"alpha_follows": [at_zero[3::4] == alpha[0], at_three[3::4] == alpha[1]], "frames_differ": alpha[0] != alpha[1],
            "names": names(doc)}


def round_dab(layer, cx, cy, radius, bgr):
    """A round dab of colour, painted into the layer by script as a brush leaves it."""
    size = 2 * radius
    x0, y0 = cx - radius, cy - radius
    pixels = bytearray(layer.pixelData(x0, y0, size, size))
    for y in range(size):
        for x in range(size):
            if (x - radius + 0.5) ** 2 + (y - radius + 0.5) ** 2 <= radius * radius:
                pixels[(y * size + x) * 4:(y * size + x + 1) * 4] = bytes((*bgr, 255))
    layer.setPixelData(bytes(pixels), x0, y0, size, size)


def gif_case(krita, server):
    """With DREAMLAYER_LIVE_GIF set: screenshots of Krita (the docker and the canvas) as Live is switched on over
    the cat and strokes are painted by script, each after the live layer has followed it; test_krita.py makes them
    a GIF."""
    if not os.environ.get("DREAMLAYER_LIVE_GIF"):
        return {"frames": []}
    docker = live_docker(krita, server)
    docker.panel.preset.setCurrentText("deep")
    docker.panel.knobs["seed"].widget.setValue(3)
    qwindow = krita.activeWindow().qwindow()
    qwindow.setGeometry(qwindow.screen().availableGeometry())
    doc = krita.openDocument(os.path.join(os.environ["DREAMLAYER_TEST_CASES"], "chelsea.png"))
    krita.activeWindow().showView(krita.activeWindow().addView(doc))
    doc.waitForDone()
    source = doc.rootNode().childNodes()[0]
    yield from select(doc, source)
    settle(1.0)
    frames = [screen_shot(qwindow, "live-0.png")]
    docker.live.live_button.click()
    offers = yield from wait_live(0, "the first live dream")
    yield
    settle(0.5)
    frames.append(screen_shot(qwindow, "live-1.png"))
    strokes = [((70, 70), (14, 5), (40, 200, 255)), ((300, 60), (10, 12), (255, 120, 30)),
               ((170, 210), (16, -3), (90, 230, 90)), ((330, 230), (-12, 6), (250, 250, 250))]
    for index, ((x, y), (dx, dy), colour) in enumerate(strokes):
        for step in range(6):  # a short stroke, dab by dab
            round_dab(source, x + step * dx, y + step * dy, 11, colour)
        doc.refreshProjection()
        offers = yield from wait_live(offers, "the stroke's live dream")
        settle(0.5)
        frames.append(screen_shot(qwindow, f"live-{index + 2}.png"))
    docker.live.live_button.click()
    return {"frames": frames}
