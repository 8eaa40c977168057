"""What the docker remembers between sessions: the server, the preset, and each knob's value.

Saved as JSON in Krita's data folder, outside the plugin folder, so updates keep it; what others write into the
same file (``dreamlayer install-plugin`` records the Python that runs the server there) is kept as it is. The knob
values are a plain name -> value mapping; which names exist and what values they may take is the settings description's business
(``Description.checked``), so nothing here restates a setting. A broken file is logged and ignored.

Host-neutral (no Krita, no Qt), so it is tested on its own.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field, fields
from typing import Any

from .client import DEFAULT_URL

log = logging.getLogger("dreamlayer_krita")


@dataclass
class DockerState:
    server_url: str = DEFAULT_URL
    token: str = ""
    preset: str = ""  # empty until a description names its default preset
    values: dict[str, Any] = field(default_factory=dict)  # setting name -> the value its knob shows
    open_sections: list[str] = field(default_factory=list)  # the folding sections the artist left open
    others: dict[str, Any] = field(default_factory=dict)  # the file's other entries, written back untouched


def load(path: str) -> DockerState:
    state = DockerState()
    try:
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
    except FileNotFoundError:
        return state
    except (OSError, ValueError) as exc:
        log.warning("dreamlayer: ignoring the unreadable settings file %s (%s)", path, exc)
        return state
    if not isinstance(stored, dict):
        log.warning("dreamlayer: ignoring the settings file %s: it holds no settings", path)
        return state
    state.others = {name: value for name, value in stored.items() if name not in _own_names()}
    for name in _own_names():
        default = getattr(state, name)
        value = stored.get(name, default)
        if _fits(value, default):
            setattr(state, name, value)
        else:
            log.warning("dreamlayer: ignoring %s=%r in %s", name, value, path)
    return state


def _own_names() -> list[str]:
    return [f.name for f in fields(DockerState) if f.name != "others"]


def _fits(value: Any, default: Any) -> bool:
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, type(default))


def save(state: DockerState, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump({**state.others, **{name: getattr(state, name) for name in _own_names()}}, f, indent=2, sort_keys=True)
    os.replace(temporary, path)
