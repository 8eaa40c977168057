"""Runs inside real Krita (started by the dreamlayer_krita_tests plugin), against a real dream server, with the
dreamlayer plugin installed and enabled as a user would; writes what it saw as JSON for pytest.

Stdlib only, like the plugin: Krita's Python has no numpy. Configured by environment variables:
DREAMLAYER_TEST_SERVER (URL) and DREAMLAYER_TEST_OUT (JSON path).
"""

import array
import json
import os
import struct
import sys
import traceback
import types

import animation_cases  # these, beside this file
import batch_cases
import docker_cases
import layout_cases
import live_bench_cases
import live_cases
import managed_cases
import picker_cases
import setup_cases

W, H = 96, 64
YIELD_MS = 100  # how long a case that yields leaves Krita's event loop to itself
SELECTION = (24, 16, 48, 32)  # x, y, w, h
FEATHER = 6


def encode(values, depth):
    """Floats in 0..1, channel-interleaved in Krita's order, to Krita's bytes for a depth."""
    if depth == "U8":
        return bytes(int(v * 255 + 0.5) for v in values)
    if depth == "U16":
        return array.array("H", (int(v * 65535 + 0.5) for v in values)).tobytes()
    if depth == "F16":
        return struct.pack(f"<{len(values)}e", *values)
    return array.array("f", values).tobytes()


def source_pixels(depth):
    values = []
    for y in range(H):
        for x in range(W):
            r, g, b = (x * 7 % 64) / 80 + 0.1, (y * 5 % 48) / 70 + 0.2, ((x + y) % 32) / 50 + 0.15
            b_, g_, r_ = (b, g, r) if depth in ("U8", "U16") else (r, g, b)  # integer depths are B,G,R,A
            values += [b_, g_, r_, 1.0]
    return encode(values, depth)


def feathered_mask():
    x0, y0, w, h = SELECTION
    out = bytearray(W * H)
    for y in range(H):
        for x in range(W):
            inside = min(x - x0, x0 + w - 1 - x, y - y0, y0 + h - 1 - y)
            if inside >= 0:
                out[y * W + x] = min(255, int(255 * (inside + 1) / FEATHER))
    return bytes(out)


def show(krita, doc):
    """Open a view on the document, as a user has: undo and animation import act on the active view."""
    window = krita.activeWindow()
    window.showView(window.addView(doc))
    doc.waitForDone()


def settle(doc):
    """Wait for the image, then let Krita's queued layer notifications through before the next step: the cases run
    inside one Qt event, where Krita holds those back, and an undo acting before them can crash Krita's layer list."""
    from dreamlayer_krita.qt import process_events

    doc.waitForDone()
    process_events()


def undo_redo(krita, doc):
    """Undo once and redo once: what the layer stack looks like after each."""
    krita.action("edit_undo").trigger()
    settle(doc)
    after_undo = [n.name() for n in doc.rootNode().childNodes()]
    krita.action("edit_redo").trigger()
    settle(doc)
    return after_undo, [n.name() for n in doc.rootNode().childNodes()]


def run_case(krita, dreamlayer_krita, depth, server):
    from krita import Selection

    doc = krita.createDocument(W, H, f"dream-{depth}", "RGBA", depth, "", 72.0)
    show(krita, doc)
    root = doc.rootNode()
    source = doc.createNode("Source", "paintlayer")
    root.addChildNode(source, None)
    pixel = {"U8": 4, "U16": 8, "F16": 8, "F32": 16}[depth]
    source.setPixelData(source_pixels(depth), 0, 0, W, H)
    selection = Selection()
    selection.setPixelData(feathered_mask(), 0, 0, W, H)
    doc.setSelection(selection)
    before = bytes(source.pixelData(0, 0, W, H))
    names_before = [n.name() for n in root.childNodes()]

    layer = dreamlayer_krita.dream(doc, source, server_url=server, octaves=1, steps=4, step_size=6, seed=3, preset="classic")

    after = bytes(source.pixelData(0, 0, W, H))
    names = [n.name() for n in root.childNodes()]
    new = bytes(layer.pixelData(0, 0, W, H))
    x0, y0, w, h = SELECTION
    mask = feathered_mask()

    def px(data, x, y):
        return data[(y * W + x) * pixel:(y * W + x + 1) * pixel]

    core = [(x, y) for y in range(y0 + FEATHER, y0 + h - FEATHER) for x in range(x0 + FEATHER, x0 + w - FEATHER)]
    outside_box = [(x, y) for y in range(H) for x in range(W) if not (x0 <= x < x0 + w and y0 <= y < y0 + h)]
    unselected_in_box = [(x, y) for y in range(y0, y0 + h) for x in range(x0, x0 + w) if mask[y * W + x] == 0]
    bounds = layer.bounds()
    alpha = slice(3 * pixel // 4, pixel)  # the alpha channel's bytes in a pixel, at any depth
    unselected = [(x, y) for y in range(H) for x in range(W) if mask[y * W + x] == 0]
    shown = bytes(layer.projectionPixelData(0, 0, W, H))  # the layer as it composites: its mask applied
    after_undo, after_redo = undo_redo(krita, doc)
    # The painter paints the whole source over later: outside the selection the dream must not show a rectangle.
    repainted = encode([0.3, 0.6, 0.9, 1.0] * (W * H), depth)
    source.setPixelData(repainted, 0, 0, W, H)
    settle(doc)
    doc.refreshProjection()
    seen = bytes(doc.pixelData(0, 0, W, H))
    source.setPixelData(before, 0, 0, W, H)
    return {
        "mask_children": [child.type() for child in layer.childNodes()],
        "transparent_where_unselected": all(px(shown, x, y)[alpha] == bytes(pixel // 4) for x, y in unselected),
        "no_rectangle_when_the_source_is_repainted": all(px(seen, x, y) == px(repainted, x, y) for x, y in unselected),
        "after_undo": after_undo, "after_redo": after_redo,
        "depth": depth, "layer_depth": layer.colorDepth(), "names_before": names_before, "names": names,
        "new_name": layer.name(), "new_index": names.index(layer.name()), "source_index": names.index("Source"),
        "bounds": [bounds.x(), bounds.y(), bounds.width(), bounds.height()],
        "source_unchanged": before == after,
        "core_changed": sum(px(new, x, y) != px(before, x, y) for x, y in core) / len(core),
        "outside_box_transparent": all(px(new, x, y) == bytes(pixel) for x, y in outside_box),
        "unselected_untouched_or_clear": all(px(new, x, y) in (px(before, x, y), bytes(pixel)) for x, y in unselected_in_box),
    }


def undo_until(krita, doc, names):
    """Undo until the layer stack is `names` again (at most 4 times), then redo as often: how many undos it took."""
    undos = None
    for steps in range(1, 5):
        krita.action("edit_undo").trigger()
        settle(doc)
        if [n.name() for n in doc.rootNode().childNodes()] == names:
            undos = steps
            break
    for _ in range(undos or 0):
        krita.action("edit_redo").trigger()
        settle(doc)
    return undos


def frames_of(doc, layer, times):
    frames = []
    for t in times:
        doc.setCurrentTime(t)
        doc.waitForDone()
        doc.refreshProjection()
        frames.append(bytes(layer.pixelData(0, 0, W, H)))
    return frames


def depth_checks(frames, depth):
    """Frames written in the document's depth: opaque, and 8-bit values widened exactly (v * 257 in U16)."""
    if depth == "U16":
        values = [array.array("H", f) for f in frames]
        return {"opaque": all(min(v[3::4]) == 65535 for v in values),
                "widened_from_8_bit": all(x % 257 == 0 for v in values for x in v)}
    if depth == "F32":
        values = [array.array("f", f) for f in frames]
        return {"opaque": all(min(v[3::4]) == 1.0 for v in values),
                "widened_from_8_bit": all(abs(x * 255 - round(x * 255)) < 1e-3 for v in values for x in v)}
    return {"opaque": all(min(f[3::4]) == 255 for f in frames), "widened_from_8_bit": True}


def run_zoom(krita, dreamlayer_krita, server, start, depth):
    """A zoom from noise or from a layer into a new animated layer, a frame per animation frame, in the document's
    depth; undone, then redone before its frames are read."""
    doc = krita.createDocument(W, H, f"zoom-{start}", "RGBA", depth, "", 72.0)
    show(krita, doc)
    source = None
    if start == "layer":
        source = doc.createNode("Source", "paintlayer")
        doc.rootNode().addChildNode(source, None)
        source.setPixelData(source_pixels(depth), 0, 0, W, H)
    names_before = [n.name() for n in doc.rootNode().childNodes()]
    layer = dreamlayer_krita.zoom(doc, source, server_url=server, frames=4, octaves=1, steps_per_frame=2, scale=1, fps=12)
    names = [n.name() for n in doc.rootNode().childNodes()]
    keyframes = [t for t in range(8) if layer.hasKeyframeAtTime(t)]
    timing = {"fps": doc.framesPerSecond(), "end": doc.fullClipRangeEndTime()}
    settle(doc)
    undos = undo_until(krita, doc, names_before)  # before the frames are looked at: switching time is undoable too
    after_redo = [n.name() for n in doc.rootNode().childNodes()]
    frames = frames_of(doc, layer, keyframes)
    return {"names": names, "name": layer.name(), "animated": layer.animated(), "keyframes": keyframes, **timing,
            "distinct_frames": len(set(frames)), "nonempty": any(any(f) for f in frames),
            "layer_depth": layer.colorDepth(), **depth_checks(frames, depth), "undo_steps": undos,
            "after_redo": after_redo, "end_after_redo": doc.fullClipRangeEndTime()}


def zoom_elsewhere_case(krita, server):
    """The artist opens another image while a zoom renders: the film still lands in the zoom's own document, and
    the other image stays in front."""
    import time

    from dreamlayer_krita.controller import controller
    from dreamlayer_krita.qt import process_events

    doc = krita.createDocument(W, H, "zoom-here", "RGBA", "U8", "", 72.0)
    show(krita, doc)
    task = controller().zoom(doc, None, {"preset": "classic", "frames": 3, "octaves": 1, "steps_per_frame": 2,
                                         "scale": 1, "fps": 8}, server)
    other = krita.createDocument(W, H, "elsewhere", "RGBA", "U8", "", 72.0)
    show(krita, other)
    started = time.monotonic()
    while not task.done and time.monotonic() - started < 120:
        process_events()
        time.sleep(0.01)
    front = krita.activeWindow().activeView().document()
    return {"error": task.error, "names": [n.name() for n in doc.rootNode().childNodes()],
            "other_names": [n.name() for n in other.rootNode().childNodes()],
            "keyframes": [t for t in range(6) if task.new_layer is not None and task.new_layer.hasKeyframeAtTime(t)],
            "other_in_front": front is not None and front.name() == "elsewhere"}


def zoom_no_room_case(krita, dreamlayer_krita, server):
    """A zoom film the server's disk has no room for (100,000 frames of 4096²: about 6.7 TB) is refused by the
    plugin, from the caps in the server's /v1/health, before anything is sent; nothing is added."""
    doc = krita.createDocument(4096, 4096, "no-room", "RGBA", "U8", "", 72.0)
    count = len(doc.rootNode().childNodes())
    try:
        dreamlayer_krita.zoom(doc, None, server_url=server, frames=100_000, octaves=1, steps_per_frame=1)
        return {"error": None}
    except dreamlayer_krita.DreamError as exc:
        return {"error": str(exc), "layers_added": len(doc.rootNode().childNodes()) - count}


def cancel_case(krita, server):
    """Start a long dream the way the Dream button does, cancel it once it runs: no layer, a clear message."""
    import time

    from dreamlayer_krita.controller import controller
    from dreamlayer_krita.qt import process_events

    doc = krita.createDocument(256, 256, "cancel", "RGBA", "U8", "", 72.0)
    show(krita, doc)
    layer = doc.createNode("Source", "paintlayer")
    doc.rootNode().addChildNode(layer, None)
    layer.setPixelData(bytes(range(256)) * (256 * 4), 0, 0, 256, 256)
    count = len(doc.rootNode().childNodes())
    seen = []
    task = controller().dream(doc, layer, {"preset": "classic", "octaves": 1, "steps": 200, "scale": 1}, server)
    task.progress.connect(lambda status: seen.append(status.state))
    started = time.monotonic()
    while "running" not in seen and time.monotonic() - started < 60:
        process_events()
        time.sleep(0.01)
    controller().cancel()
    while not task.done and time.monotonic() - started < 120:
        process_events()
        time.sleep(0.01)
    return {"saw_running": "running" in seen, "done": task.done, "error": task.error,
            "layers_added": len(doc.rootNode().childNodes()) - count, "seconds": time.monotonic() - started}


def server_down_case(krita, dreamlayer_krita, server):
    doc = krita.createDocument(W, H, "down", "RGBA", "U8", "", 72.0)
    layer = doc.createNode("Source", "paintlayer")
    doc.rootNode().addChildNode(layer, None)
    layer.setPixelData(source_pixels("U8"), 0, 0, W, H)
    count = len(doc.rootNode().childNodes())
    try:
        dreamlayer_krita.dream(doc, layer, server_url="http://127.0.0.1:9")
        return {"error": None}
    except dreamlayer_krita.DreamError as exc:
        return {"error": str(exc), "layers_added": len(doc.rootNode().childNodes()) - count}


def grey_case(krita, dreamlayer_krita, server):
    grey = krita.createDocument(W, H, "grey", "GRAYA", "U8", "", 72.0)
    grey_layer = grey.createNode("Grey", "paintlayer")
    grey.rootNode().addChildNode(grey_layer, None)
    try:
        dreamlayer_krita.dream(grey, grey_layer, server_url=server)
        return {"error": None}
    except dreamlayer_krita.DreamError as exc:
        return {"error": str(exc), "layers": len(grey.rootNode().childNodes())}


def setup_case(krita, dreamlayer_krita, server):
    """Which Krita, Qt and plugin file are running, and what the plugin registered."""
    from dreamlayer_krita import qt

    return {"python": sys.version.split()[0], "krita": krita.version(), "qt6": qt.QT6,
            "plugin_file": dreamlayer_krita.__file__,
            "actions": {name: krita.action(name) is not None for name in
                        ("dreamlayer_dream", "dreamlayer_dream_again", "dreamlayer_vary", "dreamlayer_zoom",
                         "dreamlayer_zoom_noise", "dreamlayer_dream_animation", "dreamlayer_cancel", "dreamlayer_live")},
            "dockers": [d.windowTitle() for d in krita.dockers()]}


def docker_case(function):
    """A case of the docker's (it needs Krita and the server's URL only)."""
    return lambda krita, dreamlayer_krita, server: function(krita, server)


def depth_case(depth):
    return lambda krita, dreamlayer_krita, server: run_case(krita, dreamlayer_krita, depth, server)


def zoom_case(start, depth):
    return lambda krita, dreamlayer_krita, server: run_zoom(krita, dreamlayer_krita, server, start, depth)


# Cases run in groups, each group in its own Krita: animation (the timeline) apart from still pictures, so a crash
# in one group cannot lose the other's results; test_krita.py says which server each group's docker starts with.
GROUPS = {
    "still": {
        "setup": setup_case,
        **{f"dream_{depth}": depth_case(depth) for depth in ("U8", "U16", "F16", "F32")},
        "server_down": server_down_case,
        "docker_state": lambda krita, dreamlayer_krita, server: docker_cases.docker_state_case(krita, server),
        "presets": lambda krita, dreamlayer_krita, server: docker_cases.presets_case(krita, server),
        "again_and_vary": lambda krita, dreamlayer_krita, server: docker_cases.again_and_vary_case(krita, server),
        "cancel": lambda krita, dreamlayer_krita, server: cancel_case(krita, server),
        "grey": grey_case,
        "variations": docker_case(batch_cases.variations_case),
        "queue": docker_case(batch_cases.queue_case),
        "guide_channels_layers": docker_case(batch_cases.guide_channels_layers_case),
        "token": docker_case(batch_cases.token_case),
        "documents": docker_case(batch_cases.documents_case),
    },
    # Krita maximised on a 1600×1000 screen (test_krita.py starts its Xvfb so): the docker beside the default ones.
    "screen": {
        "setup": setup_case,
        "fits_the_screen": lambda krita, dreamlayer_krita, server: docker_cases.fits_the_screen_case(krita, server),
    },
    # Krita maximised on 1600×1000 and on 1366×768: the docker's knobs in view, none clipped, all in reach.
    "layout": {"setup": setup_case, "layout": docker_case(layout_cases.layout_case)},
    "small_screen": {"setup": setup_case, "layout": docker_case(layout_cases.layout_case)},
    # The channel picker, maximised on 1600×1000, against a server of its own whose atlas cache is pre-filled.
    "picker": {"setup": setup_case, "picker": docker_case(picker_cases.picker_case)},
    "animation": {
        "setup": setup_case,
        "zoom_noise": zoom_case("noise", "U8"),
        "zoom_layer": zoom_case("layer", "U16"),
        "zoom_float": zoom_case("noise", "F32"),
        "zoom_elsewhere": lambda krita, dreamlayer_krita, server: zoom_elsewhere_case(krita, server),
        "zoom_no_room": zoom_no_room_case,
        "animation": docker_case(animation_cases.animation_case),
    },
    # The managed server (its port first held by another program); Krita then quits with File > Quit.
    "managed": {
        "setup": setup_case,
        "port_taken": docker_case(managed_cases.port_taken_case),
        "managed_dream": docker_case(managed_cases.managed_dream_case),
        "restart": docker_case(managed_cases.restart_case),
        "hand_started": docker_case(managed_cases.hand_started_case),
        "diagnostics": docker_case(managed_cases.diagnostics_case),
    },
    # Live Dream (issue 23): the docker's Live switch and Keep, the Live action, the live layer; on 1600×1000 for the GIF.
    "live": {
        "setup": setup_case,
        "gif": docker_case(live_cases.gif_case),  # first, so only its picture is open in the screenshots
        "live": docker_case(live_cases.live_case),
        "supersede": docker_case(live_cases.supersede_case),
        "follow": docker_case(live_cases.follow_case),
        "film": docker_case(live_cases.film_case),
        "unreachable": docker_case(live_cases.unreachable_case),
    },
    # bench/bench_live.py's strokes (and its quick mode, in test_krita_live_bench.py).
    "live_bench": {"strokes": docker_case(live_bench_cases.strokes_case)},
    # Installed with --dest, the docker on the managed port where a server started by hand answers.
    "setups": {
        "setup": setup_case,
        "by_hand": docker_case(setup_cases.by_hand_case),
    },
}


def write_json(path, data):
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(temporary, path)


def run_all(finished):
    """Run DREAMLAYER_TEST_GROUP's cases, writing the results after each one (and, before it, which case runs), so
    that if Krita dies, pytest can say in which case and still judge the cases that finished; then ``finished()``.

    A case may be a generator: each ``yield`` hands control back to Krita's own event loop for a moment before the
    case goes on. Krita 5 brings layers added from Python into its UI (the Layers docker, the active layer) only
    from its outermost event loop, never from a nested processEvents(), so a case that selects a layer it has just
    added yields first.
    """
    server, out = os.environ["DREAMLAYER_TEST_SERVER"], os.environ["DREAMLAYER_TEST_OUT"]
    results = {"cases": {}, "running": None, "finished": False}
    from krita import Krita

    import dreamlayer_krita  # already loaded by Krita itself, from the user's pykrita folder
    from dreamlayer_krita.qt import QtCore

    krita = Krita.instance()
    pending = list(GROUPS[os.environ["DREAMLAYER_TEST_GROUP"]].items())

    def step(name, case):
        """Start or continue a case; True once it has ended (its result or its crash recorded)."""
        try:
            if not isinstance(case, types.GeneratorType):
                results["running"] = name
                write_json(out, results)
                case = case(krita, dreamlayer_krita, server)
                if not isinstance(case, types.GeneratorType):
                    results["cases"][name] = case
                    return True
            next(case)
        except StopIteration as stop:
            results["cases"][name] = stop.value
            return True
        except Exception:  # report to pytest rather than die inside Krita
            results["cases"][name] = {"crash": traceback.format_exc()}
            return True
        QtCore.QTimer.singleShot(YIELD_MS, lambda: run_from(name, case))
        return False

    def run_from(name=None, case=None):
        try:
            if case is not None and not step(name, case):
                return
            while pending:
                if not step(*pending.pop(0)):
                    return
            results["running"], results["finished"] = None, True
            write_json(out, results)
        except BaseException:  # an exception escaping a Qt timer would abort Krita: end the run instead
            traceback.print_exc()
        finished()

    run_from()
