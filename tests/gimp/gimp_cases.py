"""Runs inside real GIMP 3 (gimp-console's python-fu-eval), against a real dream server; writes JSON for pytest.

Configured by DREAMLAYER_TEST_SERVER (URL), DREAMLAYER_TEST_TOKEN_SERVER and DREAMLAYER_TEST_TOKEN (a server that
wants that token) and DREAMLAYER_TEST_OUT (JSON path). The plug-in must already be installed in HOME's GIMP
plug-ins folder. The procedures are run as a script would run them: through the PDB, with their own arguments;
what ran is read back from the settings parasite on the new layer.

The managed-server cases give the plug-in a URL on this machine where nothing answers, so that it starts (and
looks after) its own `dreamlayer serve`, with the Python that `install-plugin` recorded.
"""

import json
import os
import re
import signal
import socket
import stat
import sys
import threading
import time
import traceback
import urllib.request

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

W, H = 96, 64
SERVER = os.environ["DREAMLAYER_TEST_SERVER"]
TOKEN_SERVER, TOKEN = os.environ["DREAMLAYER_TEST_TOKEN_SERVER"], os.environ["DREAMLAYER_TEST_TOKEN"]
PLUGIN = os.path.join(Gimp.directory(), "plug-ins", "dreamlayer")
PARASITE = "dreamlayer-settings"
SETTINGS = os.path.join(Gimp.directory(), "dreamlayer", "settings.json")
LOG = os.path.join(Gimp.directory(), "dreamlayer", "server.log")
IDLE_EXIT = 8  # seconds: the managed server's idle time for these cases (10 minutes for artists)
MANAGED_PORTS = []  # every port a managed server was started on, for pytest to see them all gone after GIMP


def pattern():
    out = bytearray()
    for y in range(H):
        for x in range(W):
            out += bytes((40 + x * 7 % 160, 60 + y * 5 % 150, 50 + (x + y) * 3 % 140, 255))
    return bytes(out)


def make_image(precision=None, base=Gimp.ImageBaseType.RGB):
    image = Gimp.Image.new_with_precision(W, H, base, precision) if precision is not None else Gimp.Image.new(W, H, base)
    kind = Gimp.ImageType.RGBA_IMAGE if base == Gimp.ImageBaseType.RGB else Gimp.ImageType.GRAYA_IMAGE
    layer = Gimp.Layer.new(image, "Source", W, H, kind, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    if base == Gimp.ImageBaseType.RGB:
        layer.get_buffer().set(Gegl.Rectangle.new(0, 0, W, H), "R'G'B'A u8", pattern())
        layer.get_buffer().flush()
    return image, layer


def run(name, image, layer, values):
    """Run procedure ``name`` non-interactively with ``values`` (argument name -> value); (status, error, result)."""
    procedure = Gimp.get_pdb().lookup_procedure(name)
    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    for key, value in {"server-url": SERVER, **values}.items():
        config.set_property(key, value)
    result = procedure.run(config)
    status = Gimp.PDBStatusType(result.index(0))  # GIMP 3.2 hands back a plain number
    error = Gimp.get_pdb().get_last_error() if status != Gimp.PDBStatusType.SUCCESS else None
    return status.value_nick, error, result


def run_dream(image, source, values):
    status, error, _ = run("python-fu-dreamlayer", image, source, values)
    return status, error


def read(layer, fmt="R'G'B'A u8"):
    return bytes(layer.get_buffer().get(Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height()), 1.0, fmt, Gegl.AbyssPolicy.CLAMP))


def recorded(item):
    parasite = item.get_parasite(PARASITE)
    return json.loads(bytes(parasite.get_data()).decode()) if parasite else None


def quick(**values):
    """Arguments that make a dream quick on two cores: one scale of a few steps."""
    return {"octaves": 1, "steps": 4, "step-size": 6.0, "seed": 3, **values}


def selection_case(precision, label):
    image, source = make_image(precision)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 24, 16, 48, 32)
    Gimp.Selection.feather(image, 8.0)
    _, _, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    before = read(source, "R'G'B'A float")
    status, error = run_dream(image, source, quick())
    layers = image.get_layers()
    names = [layer.get_name() for layer in layers]
    out = {"label": label, "status": status, "error": error, "names": names, "selection_bounds": [x1, y1, x2 - x1, y2 - y1]}
    if status == "success":
        new = layers[0]
        _, ox, oy = new.get_offsets()
        source_pixels, new_pixels = read(source), read(new)
        core_changed = sum(
            new_pixels[((y - oy) * new.get_width() + (x - ox)) * 4:((y - oy) * new.get_width() + (x - ox)) * 4 + 3]
            != source_pixels[(y * W + x) * 4:(y * W + x) * 4 + 3]
            for y in range(28, 36) for x in range(40, 56)
        )
        selection = bytes(image.get_selection().get_buffer().get(
            Gegl.Rectangle.new(ox, oy, new.get_width(), new.get_height()), 1.0, "Y u8", Gegl.AbyssPolicy.NONE))
        unselected = [(x, y) for y in range(new.get_height()) for x in range(new.get_width()) if selection[y * new.get_width() + x] == 0]
        untouched = all(
            new_pixels[(y * new.get_width() + x) * 4:(y * new.get_width() + x) * 4 + 4]
            in (source_pixels[((y + oy) * W + x + ox) * 4:((y + oy) * W + x + ox) * 4 + 4], bytes(4))
            for x, y in unselected
        )
        mask = new.get_mask()
        out.update({
            "mask_is_the_selection": mask is not None and read(mask, "Y u8") == selection,
            "no_rectangle_when_the_source_is_repainted": repainted_shows_no_rectangle(image, unselected, ox, oy),
            "unselected_pixels": len(unselected), "unselected_untouched_or_clear": untouched,
            "new_bounds": [ox, oy, new.get_width(), new.get_height()], "core_changed": core_changed / 128,
            "source_unchanged": read(source, "R'G'B'A float") == before,
            "new_precision": image.get_precision().value_nick,
            "recorded": recorded(new),
            # An open undo group left behind would make this succeed.
            "undo_group_left_open": bool(image.undo_group_end()),
        })
    image.delete()
    return out


def repainted_shows_no_rectangle(image, unselected, ox, oy):
    """The painter paints the whole source over later (in a copy of the image): where nothing was selected the
    image must show the new paint, not a rectangle of the old picture from the dream layer."""
    copy = image.duplicate()
    source = copy.get_layer_by_name("Source")
    paint = bytes((200, 30, 120, 255)) * (W * H)
    source.get_buffer().set(Gegl.Rectangle.new(0, 0, W, H), "R'G'B'A u8", paint)
    source.get_buffer().flush()
    painted = read(source)  # as the image's precision keeps it
    seen = read(copy.merge_visible_layers(Gimp.MergeType.CLIP_TO_IMAGE))
    copy.delete()
    at = [((y + oy) * W + x + ox) * 4 for x, y in unselected]
    # Within one 8-bit level: at 16 bits and in float, a feathered selection's "unselected" pixels (0 in 8 bits)
    # still hold a trace of less than half a level, which lets that trace of the dream through. A rectangle of
    # the old picture differs by tens of levels.
    return max(abs(a - b) for i in at for a, b in zip(seen[i:i + 4], painted[i:i + 4])) <= 1


def preset_case(preset, values=None):
    """A dream with ``preset`` and only ``values`` besides; what the new layer records."""
    image, source = make_image()
    status, error = run_dream(image, source, {"preset": preset, **(values or {})})
    layers = image.get_layers()
    out = {"status": status, "error": error, "names": [layer.get_name() for layer in layers]}
    if status == "success":
        out["recorded"] = recorded(layers[0])
    image.delete()
    return out


def replay_case():
    """A dream, then the same dream again from the first layer's recorded settings: the pixels must match."""
    sys.path.insert(0, PLUGIN)
    from procedure_forms import dream_form
    from dreamlayer_editor.description import Description

    form = dream_form(Description.load(PLUGIN, "gimp"))
    image, source = make_image()
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 10, 8, 60, 40)
    first = run_dream(image, source, {"preset": "gentle", "octaves": 2, "steps": 3})
    record = recorded(image.get_layers()[0])
    replayed = run_dream(image, source, {"preset": record["preset"], **form.arguments_for(record["settings"])})
    layers = image.get_layers()
    out = {"status": [first[0], replayed[0]], "error": [first[1], replayed[1]], "names": [l.get_name() for l in layers],
           "records": [recorded(l) for l in layers[:2]], "same_pixels": read(layers[0]) == read(layers[1]),
           "same_place": layers[0].get_offsets() == layers[1].get_offsets()}
    image.delete()
    return out


def zoom_case(from_noise):
    image, source = make_image()
    status, error, result = run("python-fu-dreamlayer-zoom", image, source,
                                {"frames": 4, "steps-per-frame": 2, "fps": 12.0, "seed": 2, "from-noise": from_noise})
    out = {"status": status, "error": error}
    if status == "success":
        film = result.index(1)
        layers = film.get_layers()
        pixels = [read(layer) for layer in layers]
        out.update({"size": [film.get_width(), film.get_height()], "names": [layer.get_name() for layer in layers],
                    "distinct": len(set(pixels)), "source_layers": len(image.get_layers()), "recorded": recorded(film)})
        film.delete()
    image.delete()
    return out


def zoom_no_room_case():
    """A zoom film the server's disk has no room for (100,000 frames of 4096²: about 6.7 TB) is refused by the
    plug-in, from the caps in the server's /v1/health, before anything is sent; no image is made."""
    image = Gimp.Image.new(4096, 4096, Gimp.ImageBaseType.RGB)
    layer = Gimp.Layer.new(image, "Source", 16, 16, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    images = len(Gimp.get_images())
    status, error, _ = run("python-fu-dreamlayer-zoom", image, layer,
                           {"frames": 100_000, "steps-per-frame": 1, "from-noise": True})
    out = {"status": status, "error": error, "images_added": len(Gimp.get_images()) - images}
    image.delete()
    return out


def error_case(image, source, values):
    status, error = run_dream(image, source, values)
    out = {"status": status, "error": error, "layers": len(image.get_layers())}
    image.delete()
    return out


def variations_case(values):
    """Three variations of the selection: a new group above the source, a layer per seed, in one undo group."""
    image, source = make_image()
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 8, 8, 48, 32)
    before = read(source)
    status, error = run_dream(image, source, quick(variations=3, **values))
    top = image.get_layers()
    out = {"status": status, "error": error, "names": [layer.get_name() for layer in top]}
    if status == "success":
        children = top[0].get_children() if top[0].is_group() else []
        out.update({
            "is_group": top[0].is_group(), "children": [layer.get_name() for layer in children],
            "visible": [layer.get_visible() for layer in children],
            "seeds": [recorded(layer)["settings"]["seed"] for layer in children],
            "distinct": len({read(layer) for layer in children}),
            "bounds": [[*layer.get_offsets()[1:], layer.get_width(), layer.get_height()] for layer in children],
            "source_unchanged": read(source) == before,
            "undo_group_left_open": bool(image.undo_group_end()),
        })
    image.delete()
    return out


def stripes():
    return bytes(v for y in range(H) for x in range(W) for v in ((255, 255, 255, 255) if (x // 4) % 2 else (0, 0, 0, 255)))


def guide_case():
    """The same dream with and without a guide layer: the guide changes it; neither the source nor the guide does."""
    image, source = make_image()
    guide = Gimp.Layer.new(image, "Guide", W, H, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(guide, None, 1)
    guide.get_buffer().set(Gegl.Rectangle.new(0, 0, W, H), "R'G'B'A u8", stripes())
    guide.get_buffer().flush()
    before = (read(source), read(guide))
    guided = run_dream(image, source, quick(guide=guide))
    plain = run_dream(image, source, quick())
    layers = image.get_layers()
    out = {"status": [guided[0], plain[0]], "error": [guided[1], plain[1]], "names": [l.get_name() for l in layers]}
    if out["status"] == ["success", "success"]:
        out.update({"guide_changed_the_dream": read(layers[0]) != read(layers[1]),
                    "unchanged": (read(source), read(guide)) == before})
    image.delete()
    return out


def mix_case():
    """A weighted mix of layers runs as given, and its recorded settings dream the same pixels again."""
    sys.path.insert(0, PLUGIN)
    from procedure_forms import dream_form
    from dreamlayer_editor.description import Description

    image, source = make_image()
    first = run_dream(image, source, quick(**{"layer-mix": "block5=0.5,block8"}))
    record = recorded(image.get_layers()[0])
    again = run_dream(image, source, {"preset": record["preset"],
                                      **dream_form(Description.load(PLUGIN, "gimp")).arguments_for(record["settings"])})
    layers = image.get_layers()
    out = {"status": [first[0], again[0]], "error": [first[1], again[1]], "recorded": record,
           "same_pixels": read(layers[0]) == read(layers[1])}
    image.delete()
    return out


def square_frame(index, w, h):
    """A light square on a dark ground, a little further right in each frame."""
    out = bytearray()
    for y in range(h):
        for x in range(w):
            inside = 8 + index * 4 <= x < 20 + index * 4 and 10 <= y < 22
            out += bytes((220, 200, 90, 255) if inside else (30 + x, 40 + y, 70, 255))
    return bytes(out)


def animation_case():
    """Six frame layers (delays in their names, one without) become six dreamed layers of a new image."""
    w, h = 48, 32
    image = Gimp.Image.new(w, h, Gimp.ImageBaseType.RGB)
    names = [f"Frame {n} (83ms)" for n in range(1, 6)] + ["Last frame"]
    for index, name in enumerate(names):
        layer = Gimp.Layer.new(image, name, w, h, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
        image.insert_layer(layer, None, 0)  # bottom to top, as GIMP plays them
        layer.get_buffer().set(Gegl.Rectangle.new(0, 0, w, h), "R'G'B'A u8", square_frame(index, w, h))
        layer.get_buffer().flush()
    before = [read(layer) for layer in image.get_layers()]
    status, error, result = run("python-fu-dreamlayer-animation", image, image.get_layers()[0],
                                {"octaves": 1, "steps": 3, "steps-per-frame": 2, "seed": 4})
    out = {"status": status, "error": error, "source_names": [l.get_name() for l in image.get_layers()],
           "source_unchanged": [read(layer) for layer in image.get_layers()] == before}
    if status == "success":
        film = result.index(1)
        layers = film.get_layers()
        out.update({"size": [film.get_width(), film.get_height()], "names": [l.get_name() for l in layers],
                    "distinct": len({read(l) for l in layers}),
                    "changed": sum(read(a) != b for a, b in zip(layers, before)), "recorded": recorded(film)})
        film.delete()
    image.delete()
    return out


def token_case():
    """A server that wants a token: refused without; given once, it is kept (readable by the user only) and used."""
    image, source = make_image()
    url = {"server-url": TOKEN_SERVER}
    out = {"refused": run_dream(image, source, quick(**url)), "layers_after_refusal": len(image.get_layers()),
           "given": run_dream(image, source, quick(token=TOKEN, **url)),
           "kept": run_dream(image, source, quick(**url))}
    with open(SETTINGS) as f:
        out["stored"] = json.load(f).get("tokens")
    out["mode"] = oct(stat.S_IMODE(os.stat(SETTINGS).st_mode))
    out["forgotten"] = run_dream(image, source, quick(token="forget", **url))
    image.delete()
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def server_starts():
    """The process ids of the managed servers started so far, from the lines their log begins with."""
    if not os.path.exists(LOG):
        return []
    return [int(pid) for pid in re.findall(r"serve, process (\d+)", open(LOG).read())]


def port_taken_case():
    """Another program listens on the server URL's port: a clear message naming it, and nothing changed."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        out = error_case(*make_image(), quick(**{"server-url": f"http://127.0.0.1:{port}"}))
    out["port"] = port
    return out


def start_failure_case():
    """A server's Python that fails to start: the message names the log and quotes it."""
    fake = os.path.join(os.path.dirname(os.environ["DREAMLAYER_TEST_OUT"]), "broken-python")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\necho 'this Python cannot run dreamlayer' >&2\nexit 3\n")
    os.chmod(fake, 0o755)
    out = error_case(*make_image(), quick(**{"server-url": f"http://127.0.0.1:{free_port()}", "server-python": fake}))
    with open(SETTINGS) as f:
        out["kept_python"] = json.load(f)["server_python"] == fake
    out["log"] = LOG
    return out


def managed_case(python):
    """No server on the port: the first call starts one, the second uses it, and it leaves once idle."""
    with open(SETTINGS) as f:
        settings = json.load(f)
    with open(SETTINGS, "w") as f:
        json.dump({**settings, "server_idle_exit": IDLE_EXIT}, f)
    port = free_port()
    MANAGED_PORTS.append(port)
    url = {"server-url": f"http://127.0.0.1:{port}", "server-python": python}
    starts = len(server_starts())
    image, source = make_image()
    out = {"first": run_dream(image, source, quick(**url)), "started": len(server_starts()) - starts,
           "answering": port_open(port)}
    began = time.monotonic()
    out["second"] = run_dream(image, source, quick(**{"server-url": url["server-url"]}))
    out.update({"second_seconds": time.monotonic() - began, "started_in_all": len(server_starts()) - starts,
                "layers": len(image.get_layers())})
    done = time.monotonic()
    while port_open(port) and time.monotonic() - done < 60:
        time.sleep(0.25)
    out.update({"exited_after": time.monotonic() - done, "idle_exit": IDLE_EXIT, "still_running": port_open(port)})
    image.delete()
    return out


def kill_when_dreaming(port, killed):
    """Kill the managed server (as a crash would) once a dream has made a step on it. Not as soon as it runs: the
    worker can start a job before the plug-in has read the answer to its submission, and a server killed then is
    one that never took the dream (an error to show, not a dream to send again)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not killed:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=1) as response:
                running = json.load(response)["queue"]["running"]
            if running:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/jobs/{running}", timeout=1) as response:
                    stepped = json.load(response)["progress"]["step"] >= 1
                if stepped:
                    killed.append(server_starts()[-1])
                    os.kill(killed[-1], signal.SIGKILL)
        except OSError:
            pass
        time.sleep(0.05)


def resend_case():
    """The managed server dies during the dream: the plug-in starts it again, sends the dream again, and says so."""
    port = free_port()
    MANAGED_PORTS.append(port)
    starts = len(server_starts())
    killed = []
    killer = threading.Thread(target=kill_when_dreaming, args=(port, killed), daemon=True)
    killer.start()
    image, source = make_image()
    status, error = run_dream(image, source, quick(steps=40, **{"server-url": f"http://127.0.0.1:{port}"}))  # long enough to be killed mid-way
    killer.join(1)
    out = {"status": status, "error": error, "killed": killed, "started": len(server_starts()) - starts,
           "names": [layer.get_name() for layer in image.get_layers()]}
    image.delete()
    return out


def procedures():
    out = {}
    for name in ("python-fu-dreamlayer", "python-fu-dreamlayer-zoom", "python-fu-dreamlayer-animation"):
        procedure = Gimp.get_pdb().lookup_procedure(name)
        out[name] = {"menu_label": procedure.get_menu_label(), "menu_paths": list(procedure.get_menu_paths()),
                     "arguments": [a.name for a in procedure.get_arguments()]}
    return out


results = {"gimp": Gimp.version()}
try:
    results["procedures"] = procedures()
    results["u8"] = selection_case(None, "u8")
    results["u16"] = selection_case(Gimp.Precision.U16_NON_LINEAR, "u16")
    results["float"] = selection_case(Gimp.Precision.FLOAT_LINEAR, "float")
    results["presets"] = {name: preset_case(name) for name in ("gentle", "classic", "deep")}
    results["changed"] = {
        "octaves": preset_case("gentle", {"octaves": 2}),
        "steps_at_the_model_default": preset_case("deep", {"steps": 10, "octaves": 1}),
        "keep_colours": preset_case("gentle", {"preserve-colors": "yes"}),
        "layer": preset_case("gentle", {"layer": "block3"}),
        "explicit_seed": preset_case("gentle", {"seed": 4711}),
    }
    results["replay"] = replay_case()
    results["zoom_noise"] = zoom_case(True)
    results["zoom_layer"] = zoom_case(False)
    results["zoom_no_room"] = zoom_no_room_case()
    # 127.0.0.2 is this machine too, but not an address the plug-in starts a server for: a shared server, down.
    results["server_down"] = error_case(*make_image(), quick(**{"server-url": "http://127.0.0.2:9"}))
    results["grey"] = error_case(*make_image(base=Gimp.ImageBaseType.GRAY), quick())
    results["foreign_layer"] = error_case(*make_image(), quick(layer="relu4_3"))
    results["variations"] = variations_case({})
    results["random_variations"] = variations_case({"seed": -1})  # the preset's seed: random
    results["guide"] = guide_case()
    results["channels"] = {"strongest": preset_case("classic", quick(channels="strongest:3")),
                           "listed": preset_case("classic", quick(channels="3,7"))}
    results["mix"] = mix_case()
    results["animation"] = animation_case()
    results["token"] = token_case()
    with open(SETTINGS) as f:
        recorded_python = json.load(f)["server_python"]  # what `dreamlayer install-plugin gimp` wrote
    results["port_taken"] = port_taken_case()
    results["start_failure"] = start_failure_case()
    results["managed"] = managed_case(recorded_python)
    results["resend"] = resend_case()
except Exception:
    results["crash"] = traceback.format_exc()
results["managed_ports"] = MANAGED_PORTS

with open(os.environ["DREAMLAYER_TEST_OUT"], "w") as f:
    json.dump(results, f, indent=1)
