"""Installing and packaging the plugins, and the Krita plugin's host-neutral code, without any editor."""

from __future__ import annotations

import importlib
import json
import os
import sys
import types
import zipfile
from pathlib import Path

import pytest

from dreamlayer import plugins
from dreamlayer.cli import main


@pytest.fixture
def krita_modules(tmp_path, monkeypatch):
    """The installed plugin's pure-Python modules, imported without running its Krita-only __init__."""
    plugins.install("krita", tmp_path)
    package = types.ModuleType("dreamlayer_krita")
    package.__path__ = [str(tmp_path / "dreamlayer_krita")]
    monkeypatch.setitem(sys.modules, "dreamlayer_krita", package)
    for name in ("client", "regions", "settings"):
        monkeypatch.delitem(sys.modules, f"dreamlayer_krita.{name}", raising=False)
    return types.SimpleNamespace(regions=importlib.import_module("dreamlayer_krita.regions"),
                                 settings=importlib.import_module("dreamlayer_krita.settings"))


def test_install_krita_into_the_user_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    (tmp_path / ".var" / "app" / "org.kde.krita").mkdir(parents=True)  # a Flatpak Krita is installed too
    assert main(["install-plugin", "krita"]) == 0
    for pykrita in (tmp_path / ".local/share/krita/pykrita", tmp_path / ".var/app/org.kde.krita/data/krita/pykrita"):
        assert (pykrita / "dreamlayer.desktop").is_file()
        assert (pykrita / "dreamlayer_krita" / "dreamlayer.action").is_file()
        shipped = (pykrita / "dreamlayer_krita" / "client.py").read_bytes()
        assert shipped == Path(plugins.CLIENT).read_bytes()  # the shared client, unchanged
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
    assert {"dreamlayer.desktop", "dreamlayer_krita/__init__.py", "dreamlayer_krita/client.py", "dreamlayer_krita/dreamlayer.action"} <= names
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
    assert regions.mask_is_everything(b"\xff" * 9) and not regions.mask_is_everything(b"\xff\x80")
    assert regions.layer_name("deep", {"Dream (deep)", "Dream (deep) 2"}) == "Dream (deep) 3"


def test_settings_persist_and_bad_values_fall_back(krita_modules, tmp_path, caplog):
    store = krita_modules.settings
    path = str(tmp_path / "dreamlayer" / "settings.json")
    s = store.load(path)
    s.steps, s.seed, s.strongest_channels = 12, 5, 3
    store.save(s, path)
    again = store.load(path)
    assert (again.steps, again.seed) == (12, 5)
    assert again.dream_params()["channels"] == "strongest:3" and again.dream_params()["seed"] == 5
    data = json.loads(Path(path).read_text())
    data.update(steps="lots", step_size=2)
    Path(path).write_text(json.dumps(data))
    broken = store.load(path)
    assert broken.steps == 10 and broken.step_size == 2.0
    assert "steps" in caplog.text
    Path(path).write_text("{not json")
    assert store.load(path) == store.Settings()
    assert os.path.basename(path) == "settings.json"
