"""The plugins' own settings file (``dreamlayer/settings.json`` in the editor's user folder, beside the plug-in
folder, so updates keep it): where the installer records which Python runs the server it came with, and where each
plugin keeps what it remembers (Krita: the docker's server, preset and knobs; GIMP: the managed server's options
and the tokens of shared servers).

One file for several writers: each reads it whole and writes back what it does not own untouched. It may hold
tokens, so it is written readable by its owner only, whatever it was before. A damaged or missing file reads as
empty, so it never stops a plugin.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("dreamlayer")
FOLDER = "dreamlayer"  # in the editor's user folder
NAME = "settings.json"
OWNER_ONLY = 0o600
SERVER_PYTHON = "server_python"  # the key the installer writes: the Python that runs the managed server


def read_settings_file(path: str | Path) -> dict[str, Any]:
    """What the file holds; empty when it is missing, unreadable or not a JSON object (said in the log)."""
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("dreamlayer: ignoring the unreadable settings file %s (%s)", path, exc)
        return {}
    if not isinstance(values, dict):
        log.warning("dreamlayer: ignoring the settings file %s: it holds no settings", path)
        return {}
    return values


def save_settings_file(path: str | Path, values: dict[str, Any]) -> None:
    """Write the file whole (a temporary file, then a rename), readable by its owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
    with os.fdopen(descriptor, "w", encoding="utf-8") as f:
        json.dump(values, f, indent=2, sort_keys=True)
    os.chmod(temporary, OWNER_ONLY)  # it may have existed with wider permissions
    os.replace(temporary, path)


def keep_owner_only(path: str | Path) -> None:
    """Narrow an existing file to its owner (a copy, such as GIMP 3.2's of 3.0's folder, may have lost the mode)."""
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, OWNER_ONLY)
    except OSError:
        pass  # not ours to change: it still works, and the next save writes a file of our own
