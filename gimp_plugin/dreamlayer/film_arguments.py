"""A film's own settings (a zoom's, a video's) as GIMP procedure arguments. They belong to no preset, so their
arguments are the setting itself, with its default; a number that can be left to the source (a video's frames per
second) reads the number below its range as that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from setting_arguments import Argument, Knob, Option


class FilmKnob(Knob):
    """A film's own setting: no preset, so its argument is the setting, with the setting's default. A number that
    can be left to the source (``none_means``) reaches one below its minimum, which means that."""

    def __init__(self, setting: dict[str, Any]):
        super().__init__(setting)
        self.none_means = setting.get("none_means")
        self.sentinel = math.floor(setting["minimum"]) - 1 if self.none_means else None

    def arguments(self) -> list[Argument]:
        s = self.setting
        if s.get("choices"):
            options = tuple(Option(c, c, "") for c in s["choices"])
            return [Argument(self.name, "choice", s["label"], s["help"], s["default"], options=options)]
        kind = {"integer": "int", "number": "double", "boolean": "boolean", "string": "string"}[s["type"]]
        if self.none_means:
            return [Argument(self.name, kind, s["label"], f"{s['help']} ({self.sentinel:g}: {self.none_means}.)",
                             self.sentinel if s["default"] is None else s["default"], self.sentinel, s["maximum"],
                             step=s.get("step"))]
        return [Argument(self.name, kind, s["label"], s["help"], s["default"], s.get("minimum"), s.get("maximum"),
                         step=s.get("step"))]

    def value(self, args: Mapping[str, Any], preset: Any) -> Any:
        if self.none_means and args[self.name] < self.setting["minimum"]:
            return None
        return args[self.name]

    def argument_values(self, value: Any) -> dict[str, Any]:
        return {self.name: self.sentinel if value is None else value}

    def is_from_preset(self, args: Mapping[str, Any]) -> bool:
        return False
