"""The plug-in's own settings file: how to start the managed dream server, and the tokens of shared servers.

It is ``dreamlayer/settings.json`` in GIMP's user folder (``Gimp.directory()``, e.g. ``~/.config/GIMP/3.0``), beside
the managed server's log (``dreamlayer/server.log``), so plug-in updates keep both. Its keys:

- ``server_python``: the Python that runs the managed server. `dreamlayer install-plugin gimp` records the one it
  ran with; the dialogs' *Server's Python* changes it.
- ``server_idle_exit``: seconds a managed server waits with nothing to do before it exits (10 minutes if absent).
- ``server_device``: the managed server's ``--device`` (``auto`` if absent).
- ``tokens``: each shared server's token, by its URL. The token is kept here rather than in GIMP's last used values
  (a plain-text file any process of the user's can read, also copied into XCF files as a parasite): this file is
  made readable by its owner only (mode 600) before a token is written to it.

Plain Python, no GIMP: a damaged or missing file reads as empty, so it never stops the plug-in.
"""

from __future__ import annotations

import os

from dreamlayer_editor.settings_file import FOLDER, NAME, SERVER_PYTHON, keep_owner_only, read_settings_file, save_settings_file

LOG_FILE = "server.log"
DEFAULT_IDLE_EXIT = 600.0  # long enough to keep the model loaded between an artist's tries, short enough to give memory back


class PluginSettings:
    """The settings file in ``folder`` (GIMP's user folder's ``dreamlayer``), read once, written on change."""

    def __init__(self, folder: str):
        self.folder = folder
        self.path = os.path.join(folder, NAME)
        self.log_file = os.path.join(folder, LOG_FILE)
        self.values = read_settings_file(self.path)
        if self.values.get("tokens"):
            keep_owner_only(self.path)  # a copy (GIMP 3.2 copies 3.0's folder on its first start) may have lost the mode

    @classmethod
    def in_gimp_folder(cls, gimp_folder: str) -> PluginSettings:
        return cls(os.path.join(gimp_folder, FOLDER))

    @property
    def server_python(self) -> str:
        return str(self.values.get(SERVER_PYTHON) or "")

    @property
    def idle_exit(self) -> float:
        value = self.values.get("server_idle_exit")
        return float(value) if isinstance(value, (int, float)) and value > 0 else DEFAULT_IDLE_EXIT

    @property
    def device(self) -> str:
        return str(self.values.get("server_device") or "auto")

    def token_for(self, url: str) -> str | None:
        tokens = self.values.get("tokens")
        return tokens.get(url) if isinstance(tokens, dict) else None

    def set_server_python(self, python: str) -> None:
        if python != self.server_python:
            self.values[SERVER_PYTHON] = python
            self.save()

    def set_token(self, url: str, token: str | None) -> None:
        """Keep ``token`` for the server at ``url``; None forgets it."""
        tokens = self.values.get("tokens") if isinstance(self.values.get("tokens"), dict) else {}
        if tokens.get(url) == token:
            return
        if token is None:
            tokens.pop(url, None)
        else:
            tokens[url] = token
        self.values["tokens"] = tokens
        self.save()

    def save(self) -> None:
        """Write the file readable by its owner only, whatever it held before (it may hold tokens)."""
        save_settings_file(self.path, self.values)

