"""Dream the animation, inside real Krita, with the docker's own button: a 6-frame animated layer becomes a 6-frame
dreamed animated layer above it, keyed at the same times; then a clip range that starts later. Imported by
krita_cases.py; stdlib and Krita's Qt only."""

from batch_cases import pressed, quick_knobs
from docker_cases import connect_docker, select, wait_for_all

W, H, FRAMES = 96, 64, 6


def frame_pixels(index):
    """A square moving right on a transparent canvas, patterned, its colour shifting: B, G, R, A."""
    out = bytearray(W * H * 4)
    x0, y0 = 8 + index * 8, 16
    for y in range(y0, y0 + 30):
        for x in range(x0, x0 + 40):
            out[(y * W + x) * 4:(y * W + x + 1) * 4] = bytes((x * 9 % 256, y * 7 % 256, (index * 40 + x) % 256, 255))
    return bytes(out)


def animated_source(krita, doc):
    """An animated paint layer "Source" with a keyframe at each of 0..5, made as an animator might: a group of
    drawings turned into an animated layer with Krita's own action."""
    group = doc.createGroupLayer("Source")
    drawings = []
    for index in range(FRAMES):
        drawing = doc.createNode(f"Drawing {index + 1}", "paintlayer")
        drawing.setPixelData(frame_pixels(index), 0, 0, W, H)
        drawings.append(drawing)
    group.setChildNodes(drawings)
    doc.rootNode().addChildNode(group, None)
    yield from select(doc, group)
    krita.action("convert_group_to_animated").trigger()
    doc.waitForDone()
    yield  # the new layer into the UI
    source = next(node for node in doc.rootNode().childNodes() if node.animated())
    yield from select(doc, source)
    return source


def frames_at(layer, times):
    return [bytes(layer.pixelDataAtTime(0, 0, W, H, t)) for t in times]


def animation_case(krita, server):
    docker = connect_docker(krita, server)
    doc = krita.createDocument(W, H, "animation", "RGBA", "U8", "", 72.0)
    window = krita.activeWindow()
    window.showView(window.addView(doc))
    doc.waitForDone()
    doc.setFramesPerSecond(12)
    source = yield from animated_source(krita, doc)
    doc.setFullClipRangeStartTime(0)
    doc.setFullClipRangeEndTime(FRAMES - 1)
    before = frames_at(source, range(FRAMES))
    quick_knobs(docker, 9)
    docker.panel.video_knobs["steps_per_frame"].widget.setValue(1)
    task = pressed(docker, docker.animate_button)[0]
    wait_for_all(docker)
    if task.error:
        raise AssertionError(task.error)
    layer = task.new_layer
    names = [n.name() for n in doc.rootNode().childNodes()]
    dreamed = frames_at(layer, range(FRAMES))
    result = {
        "source_keys": [t for t in range(10) if source.hasKeyframeAtTime(t)],
        "name": layer.name(), "names": names, "animated": layer.animated(),
        "keys": [t for t in range(10) if layer.hasKeyframeAtTime(t)],
        "distinct": len(set(dreamed)), "all_dreamed": all(d != b for d, b in zip(dreamed, before)),
        "alpha_kept": all(d[3::4] == b[3::4] for d, b in zip(dreamed, before)),
        "source_unchanged": frames_at(source, range(FRAMES)) == before,
        "timing": [doc.framesPerSecond(), doc.fullClipRangeStartTime(), doc.fullClipRangeEndTime()],
        "message": docker.message.text(),
    }
    # A clip range that starts later: its drawings keep their times; before them the new layer shows nothing.
    yield from select(doc, source)
    doc.setFullClipRangeStartTime(2)
    later = pressed(docker, docker.animate_button)[0]
    wait_for_all(docker)
    if later.error:
        raise AssertionError(later.error)
    shown = frames_at(later.new_layer, range(FRAMES))
    result["later"] = {"keys": [t for t in range(10) if later.new_layer.hasKeyframeAtTime(t)],
                       "empty": [not any(frame) for frame in shown],
                       "alpha_kept": [shown[t][3::4] == before[t][3::4] for t in range(2, FRAMES)]}
    doc.setFullClipRangeStartTime(0)
    return result
