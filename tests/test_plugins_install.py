"""Installing and packaging the plugins, and the Krita plugin's host-neutral code, without any editor."""

from __future__ import annotations

import importlib
import json
import os
import socket
import sys
import types
import zipfile
from pathlib import Path

import pytest

from dreamlayer import __version__, plugins
from dreamlayer.catalog import MODELS
from dreamlayer.cli import main


EDITOR_CORE = ("protocol", "client", "launcher", "films", "wire", "description", "layers", "follow", "shorthand", "settings_file",
               "records")


def installed_editor_core(lib: Path, monkeypatch) -> types.SimpleNamespace:
    """The editor core as a plugin installed it in ``lib`` (put on sys.path first, as the plugin does), in place of
    the checkout's."""
    monkeypatch.syspath_prepend(str(lib))
    for name in [name for name in sys.modules if name == "dreamlayer_editor" or name.startswith("dreamlayer_editor.")]:
        monkeypatch.delitem(sys.modules, name)
    core = types.SimpleNamespace(**{name: importlib.import_module(f"dreamlayer_editor.{name}") for name in EDITOR_CORE})
    assert Path(core.client.__file__).parent == lib / "dreamlayer_editor"
    return core


@pytest.fixture
def krita_modules(tmp_path, monkeypatch):
    """The installed plugin's pure-Python modules, imported without running its Krita-only __init__."""
    plugins.install("krita", tmp_path)
    core = installed_editor_core(tmp_path / "dreamlayer_krita" / "lib", monkeypatch)
    package = types.ModuleType("dreamlayer_krita")
    package.__path__ = [str(tmp_path / "dreamlayer_krita")]
    monkeypatch.setitem(sys.modules, "dreamlayer_krita", package)
    names = ("regions", "state", "records", "health", "server_link", "diagnostics", "progress_words")
    for name in names:
        monkeypatch.delitem(sys.modules, f"dreamlayer_krita.{name}", raising=False)
    krita = {name: importlib.import_module(f"dreamlayer_krita.{name}") for name in names}
    return types.SimpleNamespace(**{**vars(core), "records_core": core.records, **krita})


def shipped_core(folder: Path) -> dict[str, bytes]:
    """The editor core a plugin was installed with, module by module."""
    return {path.name: path.read_bytes() for path in (folder / "dreamlayer_editor").glob("*.py")}


CHECKOUT_CORE = shipped_core(plugins.EDITOR_CORE.parent)


def test_install_krita_into_the_user_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    (tmp_path / ".var" / "app" / "org.kde.krita").mkdir(parents=True)  # a Flatpak Krita is installed too
    assert main(["install-plugin", "krita"]) == 0
    for pykrita in (tmp_path / ".local/share/krita/pykrita", tmp_path / ".var/app/org.kde.krita/data/krita/pykrita"):
        assert (pykrita / "dreamlayer.desktop").is_file()
        assert (pykrita / "dreamlayer_krita" / "dreamlayer.action").is_file()
        # The editor core, as a package, unchanged
        assert shipped_core(pykrita / "dreamlayer_krita" / "lib") == CHECKOUT_CORE
    assert "Python Plugin Manager" in capsys.readouterr().out


def test_install_krita_with_dest_and_reinstall_replaces(tmp_path):
    plugins.install("krita", tmp_path)
    (tmp_path / "dreamlayer_krita" / "stale.py").write_text("old")
    plugins.install("krita", tmp_path)
    assert not (tmp_path / "dreamlayer_krita" / "stale.py").exists()


def test_krita_folders_per_platform(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    monkeypatch.setattr(sys, "platform", "win32")
    assert plugins.krita_plugin_dirs() == [tmp_path / "Roaming" / "krita" / "pykrita"]
    monkeypatch.setattr(sys, "platform", "darwin")
    assert plugins.krita_plugin_dirs() == [tmp_path / "Library/Application Support/krita/pykrita"]


def test_package_krita_zip_has_what_the_importer_needs(tmp_path):
    out = tmp_path / "dreamlayer-krita.zip"
    assert main(["package-plugin", "krita", "--output", str(out)]) == 0
    names = set(zipfile.ZipFile(out).namelist())
    assert {"dreamlayer.desktop", "dreamlayer_krita/__init__.py", "dreamlayer_krita/lib/dreamlayer_editor/client.py",
            "dreamlayer_krita/dreamlayer.action"} <= names
    # Krita's importer keeps the folder the .desktop file names, and that file: everything else is inside it.
    assert all(name == "dreamlayer.desktop" or name.startswith("dreamlayer_krita/") for name in names)
    desktop = zipfile.ZipFile(out).read("dreamlayer.desktop").decode()
    assert "X-KDE-Library=dreamlayer_krita" in desktop and "ServiceTypes=Krita/PythonPlugin" in desktop


def test_plugin_code_never_imports_torch_numpy_or_pillow():
    root = Path(plugins.REPO)
    for path in list((root / "krita_plugin").rglob("*.py")) + list((root / "gimp_plugin").rglob("*.py")):
        text = path.read_text()
        for banned in ("import torch", "import numpy", "from PIL", "import PIL", "import requests"):
            assert banned not in text, f"{path} has '{banned}'"


def test_region_is_the_selection_box_on_the_canvas(krita_modules):
    B = krita_modules.regions.Bounds
    assert krita_modules.regions.region_to_dream(B(0, 0, 100, 80), B(-10, -10, 200, 200), B(90, 70, 30, 30)) == B(90, 70, 10, 10)
    assert krita_modules.regions.region_to_dream(B(0, 0, 100, 80), B(5, 5, 20, 20), None) == B(5, 5, 20, 20)
    with pytest.raises(krita_modules.regions.UnsupportedDocument, match="nothing to dream"):
        krita_modules.regions.region_to_dream(B(0, 0, 100, 80), B(0, 0, 0, 0), None)


def test_pixel_formats_and_colour_models(krita_modules):
    regions = krita_modules.regions
    assert regions.raw_format("RGBA", "U8") == ("BGRA", "u8")
    assert regions.raw_format("RGBA", "U16") == ("BGRA", "u16")
    assert regions.raw_format("RGBA", "F16") == ("RGBA", "f16")
    assert regions.raw_format("RGBA", "F32") == ("RGBA", "f32")
    with pytest.raises(regions.UnsupportedDocument, match="CMYKA"):
        regions.raw_format("CMYKA", "U8")
    taken = {"Dream 4711 · deep", "Dream 4711 · deep #2"}
    assert krita_modules.layers.dream_layer_name("4711 · deep", taken) == "Dream 4711 · deep #3"
    assert krita_modules.layers.dream_layer_name("5 · classic", set(), "zoom") == "Zoom 5 · classic"


def test_zoom_frames_widen_to_every_depth_and_back(krita_modules):
    """Decoded frames (8-bit B, G, R, A) written in Krita's layout and depth, exactly undone by to_rgba8."""
    import struct

    regions = krita_modules.regions
    bgra = bytes(range(256)) * 4
    rgba = b"".join(bgra[i:i + 4][2::-1] + bgra[i + 3:i + 4] for i in range(0, len(bgra), 4))
    for depth in ("U8", "U16", "F16", "F32"):
        layout, raw_depth = regions.raw_format("RGBA", depth)
        assert regions.to_rgba8(regions.from_bgra8(bgra, layout, raw_depth), layout, raw_depth) == rgba, depth
    assert regions.from_bgra8(bytes([1, 2, 3, 255]), "BGRA", "u16") == struct.pack("<4H", 257, 514, 771, 65535)
    assert struct.unpack("<4f", regions.from_bgra8(bytes([0, 51, 255, 255]), "RGBA", "f32")) == pytest.approx((1, 0.2, 0, 1))


def test_the_installed_description_is_the_models(krita_modules, tmp_path):
    """The plugin's fallback knobs are the parameter model's, with every preset's values."""
    from dreamlayer.params import DreamParams, ZoomSettings, preset_params

    description = krita_modules.description.Description.load(str(tmp_path / "dreamlayer_krita"), "krita")
    assert [s["name"] for s in description.dream] == DreamParams.names()
    assert [s["name"] for s in description.zoom] == ZoomSettings.names()
    assert description.preset_values("deep") == preset_params("deep").to_dict()
    assert description.model("lite0")["default_layer"] == "block10"


def test_knob_values_are_checked_against_the_description(krita_modules, tmp_path, caplog):
    description = krita_modules.description.Description.load(str(tmp_path / "dreamlayer_krita"), "krita")
    stored = {"steps": 12, "octaves": 0, "step_size": 2, "seed": None, "scale": "big", "precision": "int4",
              "preserve_colors": 1, "colour": "red", "frames": 30}
    checked = description.checked(stored, "deep")
    assert (checked["steps"], checked["step_size"], checked["seed"], checked["frames"]) == (12, 2, None, 30)
    deep = description.preset_values("deep")
    assert (checked["octaves"], checked["scale"], checked["precision"], checked["preserve_colors"]) == (
        deep["octaves"], None, "fp32", False)  # bad values fall back to the preset's
    assert checked["layer"] == "block12" and checked["zoom"] == next(s for s in description.zoom if s["name"] == "zoom")["default"]
    assert "colour" not in checked and "colour" in caplog.text and "octaves=0" in caplog.text
    with pytest.raises(krita_modules.description.DescriptionError, match="malformed"):
        krita_modules.description.Description.from_json({"settings": {"dream": []}})


def test_docker_state_persists_and_a_broken_file_is_ignored(krita_modules, tmp_path, caplog):
    store = krita_modules.state
    path = str(tmp_path / "dreamlayer" / "settings.json")
    state = store.load(path)
    state.preset, state.values, state.open_sections = "deep", {"steps": 12, "seed": None}, ["more"]
    store.save(state, path)
    assert store.load(path) == state
    assert Path(path).stat().st_mode & 0o777 == 0o600  # it may hold a server's token
    Path(path).write_text(json.dumps({"preset": 3, "values": {"steps": 5}, "open_sections": [1], "server_python": "/py"}))
    broken = store.load(path)
    assert (broken.preset, broken.values, broken.open_sections) == ("", {"steps": 5}, [])
    assert "preset=3" in caplog.text
    store.save(broken, path)
    assert json.loads(Path(path).read_text())["server_python"] == "/py"  # what the installer recorded stays
    Path(path).write_text("{not json")
    assert store.load(path) == store.DockerState()


def test_the_installer_records_its_python_and_keeps_what_the_artist_set(tmp_path):
    plugin = tmp_path / "pykrita" / "dreamlayer_krita"
    settings = tmp_path / "pykrita" / "dreamlayer" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"token": "kept", "server_python": "/old/python"}))
    assert plugins.record_server(plugin) == settings
    assert json.loads(settings.read_text()) == {"token": "kept", "server_python": sys.executable}
    assert settings.stat().st_mode & 0o777 == 0o600
    settings.write_text("[1, 2]")  # JSON, but not settings
    plugins.record_server(plugin)
    assert json.loads(settings.read_text()) == {"server_python": sys.executable}


@pytest.mark.parametrize("editor, settings", [("krita", "dreamlayer/settings.json"), ("gimp", "dreamlayer/settings.json")])
def test_install_with_dest_records_the_python_beside_it(tmp_path, capsys, editor, settings):
    """--dest DIR is an editor's plug-in folder the installer does not know (a portable or Flatpak one): the Python
    is recorded beside it, where that editor's plugin reads its settings (DIR/../dreamlayer/settings.json)."""
    dest = tmp_path / "editor" / ("pykrita" if editor == "krita" else "plug-ins")
    assert main(["install-plugin", editor, "--dest", str(dest)]) == 0
    recorded = tmp_path / "editor" / settings
    assert json.loads(recorded.read_text()) == {"server_python": sys.executable}
    assert f"installed {recorded}" in capsys.readouterr().out


def test_a_server_started_by_hand_is_used_when_no_python_is_recorded(krita_modules, gimp, server, tmp_path):
    """Both plugins look before refusing: a dreamlayer server answering on the port needs no Python; only a port
    where nothing answers asks for one, saying how to get a server."""
    link = krita_modules.server_link.ServerLink(str(tmp_path / "server.log"), os.getpid())
    link.configure(krita_modules.server_link.ServerChoice(True, "", "", "", server.port, "cpu"))
    assert link.ready().health()["version"] == __version__ and link.started_here() is None
    settings = gimp.plugin_settings.PluginSettings(str(tmp_path / "gimp"))
    assert settings.server_python == ""
    gimp.server_connection.Connection(server.url, settings).ensure_server()  # no error: it answers
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        nothing = free.getsockname()[1]
    with pytest.raises(gimp.plugin_errors.DreamError, match=f"No dreamlayer server answers on port {nothing}, and no "
                       "Python is set to start one. Start `dreamlayer serve` yourself"):
        gimp.server_connection.Connection(f"http://127.0.0.1:{nothing}", settings).ensure_server()


def test_the_docker_state_keeps_the_server_choice_and_refuses_odd_values(krita_modules, tmp_path):
    store = krita_modules.state
    path = str(tmp_path / "dreamlayer" / "settings.json")
    fresh = store.load(path)
    assert (fresh.server_mode, fresh.managed_port, fresh.managed_device, fresh.variations) == ("managed", 37326, "auto", 1)
    Path(path).parent.mkdir(parents=True)
    Path(path).write_text(json.dumps({"server_mode": "url", "managed_port": 4000, "managed_device": "cuda",
                                      "variations": 4, "server_python": "/py", "video_values": {"blend": 0.5}}))
    kept = store.load(path)
    assert (kept.server_mode, kept.managed_port, kept.managed_device, kept.variations, kept.server_python) == (
        "url", 4000, "cuda", 4, "/py")
    assert kept.video_values == {"blend": 0.5}
    Path(path).write_text(json.dumps({"server_mode": "cloud", "managed_port": True, "managed_device": "tpu", "variations": 0}))
    odd = store.load(path)
    assert (odd.server_mode, odd.managed_port, odd.managed_device, odd.variations) == ("managed", 37326, "auto", 1)


def test_an_animations_settings_are_checked_apart_from_a_zooms(krita_modules, tmp_path):
    """A video shares names with a zoom (steps_per_frame, fps, blend...): its values are a group of their own."""
    from dreamlayer.params import VideoSettings

    description = krita_modules.description.Description.load(str(tmp_path / "dreamlayer_krita"), "krita")
    assert [s["name"] for s in description.video] == VideoSettings.names()
    checked = description.checked({"blend": 0.3, "steps_per_frame": 500, "zoom": 1.1}, group="video")
    assert checked == {**VideoSettings().to_dict(), "blend": 0.3}  # a bad value and a zoom's name left out
    assert krita_modules.description.installed_version(str(tmp_path / "dreamlayer_krita")) == __version__


def test_the_health_watch_says_when_a_server_comes_goes_or_restarts(krita_modules):
    tracker, url = krita_modules.health.HealthTracker(), "http://127.0.0.1:37326"
    first = {"version": "0.1.0", "device": "cpu", "started": 1000.0}
    assert tracker.saw(url, None, "Can't reach it.") == ("not connected", "Can't reach it.", False)
    assert tracker.saw(url, None, "Can't reach it.") is None  # nothing new
    came = tracker.saw(url, first)
    assert came.state == "connected" and "answers again" in came.text and "dreamlayer 0.1.0 on cpu" in came.text
    assert tracker.saw(url, first) is None
    restarted = tracker.saw(url, {**first, "started": 2000.0})  # never seen gone, yet another server
    assert restarted.restarted and f"The dream server at {url} restarted." in restarted.text
    gone = tracker.saw(url, None, "refused", managed=True)
    assert gone.state == "not connected" and gone.text.endswith("stopped answering. Dream starts it again.")
    tracker.forget()
    assert tracker.saw(url, first).text.startswith(f"Connected to {url}.")


def test_the_managed_server_choice_reports_a_start_that_fails_readably(krita_modules, tmp_path):
    link_module, reports = krita_modules.server_link, []
    link = link_module.ServerLink(str(tmp_path / "server.log"), os.getpid(), report=lambda *said: reports.append(said))
    with pytest.raises(krita_modules.protocol.ClientError, match="No dream server is chosen"):
        link.ready()
    link.configure(link_module.ServerChoice(True, "", "", "", 1, "cpu"))  # a plugin not installed by install-plugin
    with pytest.raises(krita_modules.protocol.ClientError, match="no Python is set to start one. Start `dreamlayer serve`"):
        link.ready()
    choice = link_module.ServerChoice(True, "", "", str(tmp_path / "no-python"), 1, "cpu")
    link.configure(choice)
    assert link.client().url == "http://127.0.0.1:1" and link.client().token is None
    with pytest.raises(krita_modules.protocol.ClientError, match="The Python that runs the dream server is not there"):
        link.ready()
    assert reports[-1][0] == "not connected" and link.started_here() is None
    link.configure(choice._replace(managed=False, url="http://127.0.0.1:9", token="secret"))
    assert link.client().url == "http://127.0.0.1:9" and link.client().token == "secret"  # a token at a URL only


def test_diagnostics_name_the_server_and_the_last_errors_but_never_the_token(krita_modules):
    diagnostics = krita_modules.diagnostics
    errors = diagnostics.LastErrors()
    for message in ("Port 37326 is used by another program.", "Port 37326 is used by another program.", "Lost."):
        errors.add(message)
    assert [line.split(" ", 1)[1] for line in errors.lines()] == ["Port 37326 is used by another program.", "Lost."]
    choice = krita_modules.server_link.ServerChoice(False, "http://host:1", "hush-secret", "/py", 37326, "auto")
    text = diagnostics.report({"Krita": "5.1.5"}, choice, "connected", {"version": "0.1.0", "device": "cuda:0"},
                              "/data/server.log", errors.lines())
    assert "Krita: 5.1.5" in text and "Server: at http://host:1, with a token" in text and "on cuda:0" in text
    assert "Lost." in text and "hush-secret" not in text


def test_an_animations_drawings_keep_their_times_and_alpha(krita_modules):
    regions = krita_modules.regions
    assert regions.timeline([0, 1, 2], "abc") == ["a", "b", "c"]
    assert regions.timeline([2, 3, 5], "abc") == [None, None, "a", "b", "b", "c"]  # a later start, a held drawing
    bgra = bytes([1, 2, 3, 200, 4, 5, 6, 0])
    assert regions.alpha8(bgra, "BGRA", "u8") == bytes([200, 0])
    for depth in ("U16", "F16", "F32"):
        layout, raw_depth = regions.raw_format("RGBA", depth)
        assert regions.alpha8(regions.from_bgra8(bgra, layout, raw_depth), layout, raw_depth) == bytes([200, 0]), depth


class _FakeNode:
    def __init__(self, uid: str, children=()):
        self.uid, self.children = uid, list(children)

    def uniqueId(self):
        return types.SimpleNamespace(toString=lambda: self.uid)

    def childNodes(self):
        return self.children

    def name(self):
        return self.uid


class _FakeDocument:
    """Krita's Document as far as the dream records use it: annotations and the layer tree."""

    def __init__(self, root):
        self.root, self.annotations = root, {}

    def rootNode(self):
        return self.root

    def annotation(self, kind):
        return self.annotations.get(kind, b"")

    def setAnnotation(self, kind, description, data):
        self.annotations[kind] = bytes(data)


def test_dream_records_are_kept_per_layer_in_the_document(krita_modules):
    records = krita_modules.records
    source, dream = _FakeNode("{source}"), _FakeNode("{dream}")
    document = _FakeDocument(_FakeNode("{root}", [_FakeNode("{group}", [source]), dream]))
    record = krita_modules.records_core.LayerRecord({"seed": 4711, "steps": 16}, "deep", source="{source}")
    records.remember(document, dream, record)
    assert records.recall(document, dream) == record and record.seed == 4711
    assert records.recall(document, source) is None
    assert records.find_node(document, "{source}") is source and records.find_node(document, "{gone}") is None
    assert krita_modules.layers.layer_label("deep", 4711) == "4711 · deep"
    # A record kept before the one shape (no version, every field named) is read as it was written.
    document.annotations[records.ANNOTATION] = json.dumps({"{dream}": {
        "kind": "zoom", "preset": "deep", "settings": {"seed": 7}, "source": None, "film": {"frames": 3}}}).encode()
    assert records.recall(document, dream) == krita_modules.records_core.LayerRecord({"seed": 7}, "deep", "zoom", {"frames": 3})
    document.annotations[records.ANNOTATION] = b"not json"
    assert records.recall(document, dream) is None


def test_one_record_shape_reads_the_command_lines_and_the_plugins_older_ones(krita_modules):
    LayerRecord, RecordError = krita_modules.records_core.LayerRecord, krita_modules.records_core.RecordError
    cli = {"version": "0.1.0", "params": {"seed": 3}, "guide": None, "mask": {"width": 2, "height": 1, "sha256": "ab"}}
    assert LayerRecord.from_json(cli) == LayerRecord({"seed": 3}, mask={"width": 2, "height": 1, "sha256": "ab"}, version="0.1.0")
    gimp = {"preset": "deep", "settings": {"seed": 4}, "film": {"fps": 24}}
    assert LayerRecord.from_json(gimp) == LayerRecord({"seed": 4}, "deep", film={"fps": 24})
    record = LayerRecord({"seed": 5}, "classic", "video", {"fps": 12}, "{id}")
    assert LayerRecord.from_bytes(record.to_bytes()) == record
    for broken in ([], {"preset": "deep"}, {"settings": {}, "kind": "sculpture"}):
        with pytest.raises(RecordError):
            LayerRecord.from_json(broken)
    with pytest.raises(RecordError, match="unreadable"):
        LayerRecord.from_bytes(b"\xff")


GIMP_MODULES = ("plugin_errors", "plugin_settings", "server_connection", "film_arguments",
                "setting_arguments", "mnemonics", "procedure_forms", "pictures")


@pytest.fixture
def gimp(tmp_path, monkeypatch):
    """The GIMP plug-in's plain-Python modules (everything but its GIMP adapters), as installed."""
    plugins.install("gimp", tmp_path)
    core = installed_editor_core(tmp_path / "dreamlayer", monkeypatch)
    for name in GIMP_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    modules = types.SimpleNamespace(**{name: module for name, module in vars(core).items() if name != "description"},
                                    description_module=core.description,
                                    **{name: importlib.import_module(name) for name in GIMP_MODULES})
    modules.folder = tmp_path / "dreamlayer"
    modules.description = modules.description_module.Description.load(str(modules.folder), "gimp")
    return modules


def test_install_gimp_into_every_gimp3_config(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for version in ("2.10", "3.0", "3.2"):
        (tmp_path / ".config" / "GIMP" / version).mkdir(parents=True)
    assert main(["install-plugin", "gimp"]) == 0
    for version in ("3.0", "3.2"):
        script = tmp_path / ".config" / "GIMP" / version / "plug-ins" / "dreamlayer" / "dreamlayer.py"
        assert script.is_file() and os.access(script, os.X_OK)
        assert shipped_core(script.parent) == CHECKOUT_CORE
    assert not (tmp_path / ".config" / "GIMP" / "2.10" / "plug-ins").exists()
    assert "Filters > Artistic > DeepDream" in capsys.readouterr().out


def test_install_gimp_without_any_config_goes_to_30_and_flatpak_gets_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    plugins.install("gimp")  # GIMP never started yet: 3.0's folder, which 3.2 copies on its first start
    assert (tmp_path / ".config/GIMP/3.0/plug-ins/dreamlayer/dreamlayer.py").is_file()
    flatpak = tmp_path / ".var/app/org.gimp.GIMP/config/GIMP/3.2"
    flatpak.mkdir(parents=True)
    plugins.install("gimp")
    assert (flatpak / "plug-ins/dreamlayer/dreamlayer.py").is_file()


def test_gimp_picture_helpers(gimp):
    pictures = gimp.pictures
    assert pictures.pixel_format("U8_NON_LINEAR") == ("R'G'B'A u8", "RGBA", "u8")
    assert pictures.pixel_format("U16_LINEAR") == ("R'G'B'A u16", "RGBA", "u16")
    assert pictures.pixel_format("FLOAT_NON_LINEAR") == ("R'G'B'A float", "RGBA", "f32")
    assert pictures.pixel_format("HALF_PERCEPTUAL")[2] == "f32"
    pictures.check_base_type("RGB")
    with pytest.raises(gimp.plugin_errors.DreamError, match="indexed"):
        pictures.check_base_type("INDEXED")
    assert gimp.layers.dream_layer_name(gimp.layers.layer_label("deep", 4711), {"Dream 4711 · deep"}) == "Dream 4711 · deep #2"
    assert pictures.frame_layer_name(0, 25.0) == "Frame 1 (40ms)"
    assert pictures.with_delay("Frame 1 (83ms) (replace)", 40) == "Frame 1 (40ms) (replace)"
    assert pictures.with_delay("Background", 40) == "Background (40ms)"
    assert gimp.layers.variations_group_name("deep", [7, 8, 9]) == "Variations 7–9 · deep"
    record = gimp.records.LayerRecord({"seed": 4711, "octaves": 5}, "deep").to_bytes()
    assert json.loads(record) == {"kind": "dream", "preset": "deep", "settings": {"seed": 4711, "octaves": 5}}
    assert gimp.records.LayerRecord.from_bytes(record).seed == 4711


def test_gimp_arguments_are_the_installed_description(gimp):
    """One argument per dream setting (two for a number that can be random or automatic), each left "from the
    preset" by default; nothing the description does not say."""
    from dreamlayer.params import DreamParams

    form = gimp.procedure_forms.dream_form(gimp.description)
    arguments = {a.name: a for a in form.arguments}
    described = {s.name.replace("_", "-") for s in DreamParams.settings()}
    assert set(arguments) == described | {"preset", "variations", "guide", "layer-mix", "server-url", "token",
                                          "server-python", "random-seed", "automatic-scale", "automatic-edge-softness"}
    assert [a.name for a in form.arguments][:3] == ["preset", "variations", "guide"]
    assert [a.name for a in form.arguments][-3:] == ["server-url", "token", "server-python"]
    octaves = next(s for s in DreamParams.settings() if s.name == "octaves")
    assert (arguments["octaves"].minimum, arguments["octaves"].maximum, arguments["octaves"].default) == (octaves.knob.lo - 1, octaves.knob.hi, octaves.knob.lo - 1)
    assert octaves.knob.help in arguments["octaves"].blurb and "from the preset" in arguments["octaves"].blurb
    assert arguments["preserve-colors"].default == "from-preset" and [o.nick for o in arguments["preserve-colors"].options] == ["from-preset", "yes", "no"]
    assert [o.nick for o in arguments["preset"].options] == list(gimp.description.presets)
    layers = [o.label for o in arguments["layer"].options]
    # Each layer says what it dreams (the first network's words, where several networks have that layer).
    assert f"block10 · {MODELS['lite0'].layers['block10'].dreams} — EfficientNet-Lite0" in layers
    assert f"relu4_3 · {MODELS['vgg16'].layers['relu4_3'].dreams} — VGG-16, VGG-19" in layers
    assert arguments["channels"].default == "" and arguments["seed"].minimum == -1


def test_gimp_arguments_follow_a_changed_description(gimp):
    data = json.loads((gimp.folder / "dreamlayer_settings.json").read_text())
    octaves = next(s for s in data["settings"]["dream"] if s["name"] == "octaves")
    octaves.update(label="Sizes", maximum=20)
    data["settings"]["dream"].append({"name": "glow", "type": "number", "default": 0.5, "label": "Glow", "help": "Shine.",
                                      "section": "more", "minimum": 0.0, "maximum": 1.0})
    for preset in data["settings"]["presets"].values():
        preset["values"]["glow"] = 0.5
    (gimp.folder / "dreamlayer_settings.json").write_text(json.dumps(data))
    form = gimp.procedure_forms.dream_form(gimp.description_module.Description.load(str(gimp.folder), "gimp"))
    arguments = {a.name: a for a in form.arguments}
    assert arguments["octaves"].maximum == 20 and arguments["octaves"].label.replace("_", "") == "Sizes"
    assert arguments["glow"].default == -1 and form.dream_settings({**_defaults(form), "glow": 0.25})[1]["glow"] == 0.25


def _defaults(form):
    return {a.name: a.default for a in form.arguments}


def test_gimp_runs_the_preset_with_what_was_changed(gimp):
    form = gimp.procedure_forms.dream_form(gimp.description)
    for name, preset in gimp.description.presets.items():
        assert form.dream_settings({**_defaults(form), "preset": name}) == (name, preset["values"])
    deep = gimp.description.presets["deep"]["values"]
    changed = {**_defaults(form), "preset": "deep", "steps": 10, "preserve-colors": "yes", "channels": "strongest:3"}
    assert form.dream_settings(changed)[1] == {**deep, "steps": 10, "preserve_colors": True, "channels": "strongest:3"}
    random = form.dream_settings({**_defaults(form), "seed": 7, "random-seed": True})[1]
    assert random["seed"] is None and form.dream_settings({**_defaults(form), "seed": 7})[1]["seed"] == 7
    assert form.dream_settings({**_defaults(form), "channels": "all"})[1]["channels"] == ""
    # A preset's layer belongs to its network; another network dreams with its own default layer...
    assert form.dream_settings({**_defaults(form), "preset": "deep", "model": "googlenet"})[1]["layer"] == ""
    # ... but a layer chosen for a network that lacks it is refused before anything is sent.
    with pytest.raises(gimp.description_module.DescriptionError, match="'googlenet' has no layer 'block3'"):
        form.dream_settings({**_defaults(form), "model": "googlenet", "layer": "block3"})


class CachedConfig:
    """A procedure's config as GIMP hands it over in a session after the first, when the procedures come from its
    cache (pluginrc): the text arguments a script left out are None, not their empty defaults."""

    def __init__(self, form, given):
        self.values = {a.name: (None if a.kind == "string" else a.default) for a in form.arguments} | given

    def get_property(self, name):
        return self.values[name]


@pytest.mark.parametrize("make_form", ["dream_form", "zoom_form", "animation_form"])
def test_gimp_an_argument_given_back_as_none_is_its_default(gimp, make_form):
    form = getattr(gimp.procedure_forms, make_form)(gimp.description)
    config = CachedConfig(form, {"preset": "deep", "server-url": "http://127.0.0.1:37326"})
    assert {"token", "server-python", "layer-mix", "channels"} & {n for n, v in config.values.items() if v is None}
    values = form.values(config)
    assert values == {**_defaults(form), "preset": "deep", "server-url": "http://127.0.0.1:37326"}
    assert form.dream_settings(values) == ("deep", gimp.description.presets["deep"]["values"])


def test_gimp_dialog_values_show_a_preset_and_replay_a_record(gimp):
    form = gimp.procedure_forms.dream_form(gimp.description)
    shown = form.preset_arguments("deep")
    assert "from-preset" not in shown.values() and shown["random-seed"] is True and shown["layer"] == "block12"
    assert form.dream_settings({**_defaults(form), **shown, "preset": "deep"})[1] == gimp.description.presets["deep"]["values"]
    record = {**gimp.description.presets["gentle"]["values"], "seed": 4711, "scale": 0.75, "edge_softness": 4.0}
    replay = {**_defaults(form), **form.arguments_for(record), "preset": "classic"}
    assert form.dream_settings(replay)[1] == record  # whatever the preset
    unset = form.unset_arguments({**_defaults(form), "preset": "gentle", "octaves": 2})
    assert "octaves" not in unset and unset["steps"] == gimp.description.presets["gentle"]["values"]["steps"]


def test_gimp_zoom_takes_the_films_settings_and_steps_per_frame(gimp):
    form = gimp.procedure_forms.zoom_form(gimp.description)
    names = [a.name for a in form.arguments]
    assert "steps" not in names and "steps-per-frame" in names and "format" not in names and "from-noise" in names
    preset, settings = form.zoom_settings({**_defaults(form), "preset": "gentle", "frames": 10, "steps-per-frame": 3})
    assert preset == "gentle" and "steps" not in settings and settings["layer"] == "block7"
    assert (settings["frames"], settings["steps_per_frame"], settings["format"]) == (10, 3, "webp")


def test_gimp_layer_mix_takes_the_place_of_the_layer_choice_and_replays(gimp):
    form = gimp.procedure_forms.dream_form(gimp.description)
    mixed = form.dream_settings({**_defaults(form), "layer": "block3", "layer-mix": " block5=0.5,block8 "})[1]
    assert mixed["layer"] == "block5=0.5,block8"
    assert form.arguments_for({**mixed, "seed": 1})["layer-mix"] == "block5=0.5,block8"
    assert form.arguments_for({**mixed, "layer": "block3"})["layer-mix"] == ""
    with pytest.raises(gimp.description_module.DescriptionError, match="has no layer 'relu4_3'"):
        form.dream_settings({**_defaults(form), "layer-mix": "block5,relu4_3"})


def test_the_docker_says_the_time_left_in_words_and_never_0_s_while_running(krita_modules):
    time_left = krita_modules.progress_words.time_left
    assert time_left(None) == "timing the first steps"
    assert [time_left(s) for s in (0.01, 0.4, 1.2, 59.5, 61, 600)] == [
        "about 1 s left", "about 1 s left", "about 2 s left", "about 60 s left", "about 2 min left", "about 10 min left"]


def test_gimp_variations_have_consecutive_seeds(gimp):
    form = gimp.procedure_forms.dream_form(gimp.description)
    args = {**_defaults(form), "variations": 3}
    assert [s["seed"] for s in form.variation_settings({**args, "seed": 40}, None)[1]] == [40, 41, 42]
    # A random first seed is drawn below 100,000, as the server draws one: short enough to read in a layer name.
    assert [s["seed"] for s in form.variation_settings(args, lambda low, high: high)[1]] == [99_997, 99_998, 99_999]
    assert [s["seed"] for s in form.variation_settings({**args, "seed": 2**31 - 1}, None)[1]][-1] == 2**31 - 1
    single = form.variation_settings({**args, "variations": 1}, None)[1]
    assert len(single) == 1 and single[0]["seed"] is None  # a single random dream: the server picks the seed


def test_gimp_animation_takes_the_videos_settings_and_the_full_dream(gimp):
    form = gimp.procedure_forms.animation_form(gimp.description)
    names = [a.name for a in form.arguments]
    assert {"steps", "steps-per-frame", "blend", "follow-motion", "fps"} <= set(names)
    assert not {"format", "guide", "guide-weight", "variations"} & set(names)
    preset, settings = form.video_settings({**_defaults(form), "preset": "deep", "steps-per-frame": 3})
    assert preset == "deep" and settings["steps"] == gimp.description.presets["deep"]["values"]["steps"]
    assert (settings["steps_per_frame"], settings["fps"], settings["format"]) == (3, None, "webp")  # fps: the layers'
    assert form.video_settings({**_defaults(form), "fps": 25.0})[1]["fps"] == 25.0


def test_gimp_settings_file_survives_damage_and_keeps_tokens_for_the_user_only(gimp, tmp_path):
    folder = tmp_path / "GIMP" / "dreamlayer"
    folder.mkdir(parents=True)
    (folder / "settings.json").write_text("{not json")
    settings = gimp.plugin_settings.PluginSettings(str(folder))
    assert settings.values == {} and settings.server_python == "" and settings.idle_exit == 600
    settings.set_token("http://shared:37326", "s3cret")
    assert (folder / "settings.json").stat().st_mode & 0o777 == 0o600
    again = gimp.plugin_settings.PluginSettings(str(folder))
    assert again.token_for("http://shared:37326") == "s3cret" and again.token_for("http://other:37326") is None
    (folder / "settings.json").chmod(0o644)  # as a copy of the folder might leave it
    gimp.plugin_settings.PluginSettings(str(folder))
    assert (folder / "settings.json").stat().st_mode & 0o777 == 0o600
    again.set_token("http://shared:37326", None)
    assert gimp.plugin_settings.PluginSettings(str(folder)).token_for("http://shared:37326") is None


class LosingClient:
    """Stands in for DreamClient: every job is lost ``losses`` times, then done."""

    def __init__(self, protocol, losses):
        self.protocol, self.losses, self.submitted, self.cancelled = protocol, losses, 0, []

    def submit(self):
        self.submitted += 1
        return types.SimpleNamespace(id=f"job{self.submitted}")

    def wait(self, job_id, on_progress=None, poll_seconds=0):
        if self.losses:
            self.losses -= 1
            raise self.protocol.JobLost("The server no longer knows this job.", "unknown_job")
        return job_id

    def cancel(self, job_id):
        self.cancelled.append(job_id)


@pytest.mark.parametrize("losses", [1, 2])
def test_gimp_a_lost_dream_is_sent_again_once(gimp, tmp_path, losses):
    told = []
    settings = gimp.plugin_settings.PluginSettings(str(tmp_path))
    connection = gimp.server_connection.Connection("http://shared.example:37326", settings, tell=told.append)
    assert connection.launcher is None  # not this machine: never started from here
    connection.client = LosingClient(gimp.protocol, losses)
    run = lambda: connection.run_jobs([lambda client: client.submit()] * 2, lambda client, job: job, lambda *_: None)
    if losses == 1:
        assert run() == ["job3", "job4"]  # the lost one and the one after it, sent again
        assert told == ["The dream server restarted and forgot the dream: dreamlayer sends the 2 dreams left again, once."]
    else:
        with pytest.raises(gimp.plugin_errors.DreamError, match="again after dreamlayer had sent it a second time"):
            run()
        assert set(connection.client.cancelled) >= {"job3", "job4"}


def test_gimp_dialogs_give_each_shown_label_its_own_letter(gimp):
    forms = gimp.procedure_forms
    for form in (forms.dream_form(gimp.description), forms.zoom_form(gimp.description),
                 forms.animation_form(gimp.description)):
        shown = {name for section in form.sections for name in section.names}
        letters = [a.label[a.label.index("_") + 1].lower() for a in form.arguments if a.name in shown]
        assert len(letters) == len(shown) == len(set(letters))
        assert not set(letters) & gimp.mnemonics.DIALOG_BUTTON_LETTERS
        assert {"preset", "server-url", "layer", "octaves"} <= shown
    fit = gimp.mnemonics.fit
    seed, both = fit([("Seed",), ("Random seed", "Seed")], frozenset())  # letters move to make room
    assert len({label[label.index("_") + 1].lower() for label in seed + both}) == 3
    assert fit([("Ab",), ("Ba", "ab")], frozenset()) == [("_Ab",), None]  # a group is shown whole or not at all
    assert fit([("x_y",)], frozenset("x")) == [("x___y",)]  # the label's own underscore doubled


def test_gimp_without_its_description_says_how_to_reinstall(gimp):
    (gimp.folder / "dreamlayer_settings.json").unlink()
    with pytest.raises(gimp.description_module.DescriptionError, match="install-plugin gimp"):
        gimp.description_module.Description.load(str(gimp.folder), "gimp")


def test_package_gimp_zip(tmp_path):
    out = tmp_path / "g.zip"
    assert main(["package-plugin", "gimp", "--output", str(out)]) == 0
    archive = zipfile.ZipFile(out)
    assert {"dreamlayer/dreamlayer.py", "dreamlayer/dreamlayer_editor/client.py", "dreamlayer/dreamlayer_settings.json",
            "dreamlayer/help/en/gimp-help.xml", "dreamlayer/help/en/dreamlayer.html"} <= set(archive.namelist())
    assert (archive.getinfo("dreamlayer/dreamlayer.py").external_attr >> 16) & 0o111
