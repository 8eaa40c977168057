"""What the docker remembers between sessions: the server (managed or at a URL), the preset, each knob's value,
and how many variations Dream makes.

Saved as JSON in Krita's data folder, outside the plugin folder, so updates keep it; what others write into the
same file (``dreamlayer install-plugin`` records the Python that runs the server there) is kept as it is. The knob
values are a plain name -> value mapping; which names exist and what values they may take is the settings description's business
(``Description.checked``), so nothing here restates a setting. A broken file is logged and ignored.

Host-neutral (no Krita, no Qt), so it is tested on its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from typing import Any

from dreamlayer_editor.settings_file import read_settings_file, save_settings_file
from dreamlayer_editor.protocol import DEFAULT_PORT, DEFAULT_URL


log = logging.getLogger("dreamlayer_krita")
MANAGED, AT_URL = "managed", "url"  # where the server is: started by the plugin on this computer, or at a URL
DEVICES = ("auto", "cuda", "mps", "cpu")  # what `dreamlayer serve --device` takes
# Allowed values of the fields that have a fixed list of them; a stored value outside it falls back to the default.
CHOICES = {"server_mode": (MANAGED, AT_URL), "managed_device": DEVICES}


@dataclass
class DockerState:
    server_mode: str = MANAGED
    server_url: str = DEFAULT_URL  # a server at a URL: its address...
    token: str = ""  # ...and its bearer token, if it wants one (sent as "Authorization: Bearer", never logged)
    server_python: str = ""  # the managed server's Python: `dreamlayer install-plugin` records the one it ran with
    managed_port: int = DEFAULT_PORT
    managed_device: str = "auto"
    preset: str = ""  # empty until a description names its default preset
    values: dict[str, Any] = field(default_factory=dict)  # dream and zoom setting name -> the value its knob shows
    video_values: dict[str, Any] = field(default_factory=dict)  # the same for an animation's settings
    variations: int = 1  # how many dreams, with consecutive seeds, one press of Dream makes
    open_sections: list[str] = field(default_factory=list)  # the folding sections the artist left open
    preview_folded: bool = False  # the artist folded the preview away, for more room for the knobs
    others: dict[str, Any] = field(default_factory=dict)  # the file's other entries, written back untouched


def load(path: str) -> DockerState:
    state = DockerState()
    stored = read_settings_file(path)
    state.others = {name: value for name, value in stored.items() if name not in _own_names()}
    for name in _own_names():
        default = getattr(state, name)
        value = stored.get(name, default)
        if _fits(value, default) and value in CHOICES.get(name, (value,)):
            setattr(state, name, value)
        else:
            shown = "(hidden)" if name == "token" else repr(value)  # the token is never written to a log
            log.warning("dreamlayer: ignoring %s=%s in %s", name, shown, path)
    return state


def _own_names() -> list[str]:
    return [f.name for f in fields(DockerState) if f.name != "others"]


def _fits(value: Any, default: Any) -> bool:
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool) and value > 0  # a port, a count
    return isinstance(value, type(default))


def save(state: DockerState, path: str) -> None:
    """Readable by its owner only: it may hold a token."""
    save_settings_file(path, {**state.others, **{name: getattr(state, name) for name in _own_names()}})
