"""Installing and packaging the editor plugins, each with a copy of the editor core (``dreamlayer_editor``).

The plugins' sources are read from the checkout dreamlayer was installed from (``pip install -e .``): the
``krita_plugin/`` and ``gimp_plugin/`` folders beside ``server/``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import zipfile
from pathlib import Path

import dreamlayer_editor
from dreamlayer_editor.description import SETTINGS_FILE
from dreamlayer_editor.settings_file import FOLDER as SETTINGS_FOLDER
from dreamlayer_editor.settings_file import NAME as SETTINGS_NAME
from dreamlayer_editor.settings_file import SERVER_PYTHON, read_settings_file, save_settings_file

from .errors import DreamlayerError

REPO = Path(__file__).resolve().parents[2]
# What both plugins share, copied as a package: into GIMP's plug-in folder (on its sys.path), and into Krita's
# plugin package under lib/, which its __init__ puts on sys.path (Krita's "Import Python Plugin from File" keeps
# only the plugin's own folder, so the core travels inside it).
EDITOR_CORE = Path(dreamlayer_editor.__file__).parent
KRITA_LIB = "lib"
# The plugin's own settings file, in the editor's user folder beside its plug-in folder (Krita's data folder, or
# GIMP's GIMP/3.x folder): the installer records there which Python runs the server it came with. With --dest DIR,
# beside DIR: DIR is the pykrita or plug-ins folder of a Krita or GIMP the installer does not know (a portable one).
PLUGIN_SETTINGS = Path(SETTINGS_FOLDER) / SETTINGS_NAME


class PluginError(DreamlayerError):
    code = "plugin_error"


def _source(editor: str) -> Path:
    folder = REPO / f"{editor}_plugin"
    if not folder.is_dir():
        raise PluginError(f"The {editor} plugin's files are not here ({folder}). Install dreamlayer from its source folder with `pip install -e .`.")
    return folder


def _home() -> Path:
    return Path(os.path.expanduser("~"))


def krita_plugin_dirs() -> list[Path]:
    """Every pykrita folder of this user: the native Krita's, and Flatpak Krita's when it is installed."""
    if sys.platform == "win32":
        return [Path(os.environ.get("APPDATA", _home() / "AppData" / "Roaming")) / "krita" / "pykrita"]
    if sys.platform == "darwin":
        return [_home() / "Library" / "Application Support" / "krita" / "pykrita"]
    data = Path(os.environ.get("XDG_DATA_HOME") or _home() / ".local" / "share")
    folders = [data / "krita" / "pykrita"]
    flatpak = _home() / ".var" / "app" / "org.kde.krita"
    if flatpak.is_dir():
        folders.append(flatpak / "data" / "krita" / "pykrita")
    return folders


def gimp_plugin_dirs() -> list[Path]:
    """The plug-ins folder of every GIMP 3.x config present (3.0, 3.2, ...), or 3.0's when none exists yet.

    Each GIMP 3 minor version has its own config folder and copies the previous one only on its first start, so
    installing into all of them is what makes the plug-in appear in whichever GIMP 3 the user runs.
    """
    if sys.platform == "win32":
        bases = [Path(os.environ.get("APPDATA", _home() / "AppData" / "Roaming")) / "GIMP"]
    elif sys.platform == "darwin":
        bases = [_home() / "Library" / "Application Support" / "GIMP"]
    else:
        bases = [Path(os.environ.get("XDG_CONFIG_HOME") or _home() / ".config") / "GIMP"]
        flatpak = _home() / ".var" / "app" / "org.gimp.GIMP"
        if flatpak.is_dir():
            bases.append(flatpak / "config" / "GIMP")
    folders = [version / "plug-ins" for base in bases if base.is_dir() for version in sorted(base.glob("3.*")) if version.is_dir()]
    return folders or [bases[0] / "3.0" / "plug-ins"]


def _copy_krita(dest: Path) -> list[Path]:
    source = _source("krita")
    package = dest / "dreamlayer_krita"
    if package.exists():
        shutil.rmtree(package)
    shutil.copytree(source / "dreamlayer_krita", package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _add_shared(package, package / KRITA_LIB)
    shutil.copy2(source / "dreamlayer.desktop", dest / "dreamlayer.desktop")
    return [dest / "dreamlayer.desktop", package]


def _copy_gimp(dest: Path) -> list[Path]:
    source = _source("gimp") / "dreamlayer"
    folder = dest / "dreamlayer"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _add_shared(folder, folder)
    for script in folder.glob("dreamlayer*.py"):
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return [folder]


def _add_shared(folder: Path, core_parent: Path) -> None:
    """The editor core, as a package in ``core_parent``, and in the plugin's folder the settings and models this
    dreamlayer knows (``SETTINGS_FILE``): what the knobs fall back to while no server answers, and what GIMP builds
    its procedures' arguments from, since it asks before any server runs."""
    from . import __version__
    from .catalog import describe_models
    from .params import describe

    shutil.copytree(EDITOR_CORE, core_parent / EDITOR_CORE.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # The version too, for the plugins' diagnostics: which dreamlayer the plugin came with.
    description = {"version": __version__, "settings": describe(), "models": describe_models()}
    (folder / SETTINGS_FILE).write_text(json.dumps(description, indent=1))  # in the model's order


def record_server(plugin_folder: Path) -> Path:
    """Write into the plugin's settings (merging with what the artist set) how to start the server it came with:
    the Python that runs this installer. The plugins start their managed server with it, and let the artist
    change it."""
    path = plugin_folder.parent / PLUGIN_SETTINGS
    save_settings_file(path, {**read_settings_file(path), SERVER_PYTHON: sys.executable})
    return path


def install(editor: str, dest: str | Path | None = None, record: bool = True) -> list[Path]:
    """Copy the plugin into the editor's user plugin folder(s), or into ``dest``; returns what was written.

    Wherever it goes, the plugin's settings beside that folder also learn which Python runs the server
    (record_server), unless ``record`` is off (a package for another machine, whose Python this one's is not).
    """
    copy = {"krita": _copy_krita, "gimp": _copy_gimp}[editor]
    targets = [Path(dest)] if dest else (krita_plugin_dirs() if editor == "krita" else gimp_plugin_dirs())
    written = []
    for target in targets:
        try:
            target.mkdir(parents=True, exist_ok=True)
            written += copy(target)
            if record:
                written.append(record_server(target))
        except OSError as exc:
            raise PluginError(f"Can't install into '{target}': {exc.strerror or exc}.") from None
    return written


def package(editor: str, output: str | Path) -> Path:
    """A zip of the plugin: for Krita's Tools > Scripts > Import Python Plugin from File, or to unzip into GIMP's plug-ins."""
    import tempfile

    with tempfile.TemporaryDirectory() as staging:
        install(editor, staging, record=False)
        output = Path(output)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(staging).rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo.from_file(path, path.relative_to(staging).as_posix())
                    archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return output
