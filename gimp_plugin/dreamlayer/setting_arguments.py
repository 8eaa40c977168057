"""How each described setting becomes GIMP procedure arguments, and how argument values become the setting again.

A dream setting's arguments can say "from the preset", and that is their default, so a script that sets only the
preset runs the preset, and one that sets one more argument runs the preset with that change:

- a number: the range reaches one below its minimum (rounded down to a whole number), and any value below the
  minimum takes the preset's value; the blurb says which number that is;
- a yes/no setting: a choice of "From the preset", "Yes" and "No";
- a setting with a fixed list (model, precision), and the network layer: a choice that starts with "From the
  preset"; the layer also has a "layer mix" text (several layers with weights, ``block5=0.5,block10``) that, when
  not empty, takes the place of the choice;
- a text setting (channels): empty takes the preset's value, and the word for nothing ("all") means nothing.

A number that can also be left to chance or to the server (seed: random; feature size: automatic) has a yes/no
argument before it ("Random seed"): when on, the number is not used.

A film's own settings (a zoom's, a video's) belong to no preset: film_arguments.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple


FROM_PRESET = "from-preset"  # the choice that takes the preset's value
NETWORK_DEFAULT = "network-default"  # the layer choice that takes the network's own default layer
LAYER_MIX = "layer-mix"  # the layer's second argument: a weighted mix of layers, in the setting's own syntax


class Option(NamedTuple):
    nick: str  # the value a script passes
    label: str
    help: str


class Argument(NamedTuple):
    """One argument of a GIMP procedure: what ``Gimp.Procedure.add_<kind>_argument`` needs."""

    name: str  # GIMP's spelling: step-size
    kind: str  # int, double, boolean, string, choice or drawable
    label: str
    blurb: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[Option, ...] = ()
    step: float | None = None  # a number's increment in the dialog (GIMP guesses when None)


def argument_name(setting_name: str) -> str:
    return setting_name.replace("_", "-")


class Knob:
    """One described setting as arguments. ``value`` reads the setting back from argument values (``preset`` is
    the preset's value of it); ``argument_values`` is the inverse, to show a value in a dialog or to replay one."""

    def __init__(self, setting: dict[str, Any]):
        self.setting = setting
        self.name = argument_name(setting["name"])

    def arguments(self) -> list[Argument]:
        raise NotImplementedError

    def value(self, args: Mapping[str, Any], preset: Any) -> Any:
        raise NotImplementedError

    def argument_values(self, value: Any) -> dict[str, Any]:
        raise NotImplementedError

    def is_from_preset(self, args: Mapping[str, Any]) -> bool:
        return args[self.name] == FROM_PRESET

    def groups(self) -> list[tuple[str, ...]]:
        """The arguments a dialog shows together or not at all."""
        return [tuple(a.name for a in self.arguments())]


class NumberKnob(Knob):
    def __init__(self, setting: dict[str, Any]):
        super().__init__(setting)
        self.minimum = setting["minimum"]
        self.sentinel = math.floor(self.minimum) - 1
        self.none_means = setting.get("none_means")
        self.toggle = f"{self.none_means}-{self.name}".replace(" ", "-") if self.none_means else None

    def arguments(self) -> list[Argument]:
        s = self.setting
        kind = "int" if s["type"] == "integer" else "double"
        number = Argument(self.name, kind, s["label"], f"{s['help']} ({self.sentinel:g}: from the preset.)",
                          self.sentinel, self.sentinel, s["maximum"], step=s.get("step"))
        if not self.toggle:
            return [number]
        label = s["label"].lower()
        toggle = Argument(self.toggle, "boolean", f"{self.none_means.capitalize()} {label}",
                          f"On: the {label} is {self.none_means}. Off: the {label} below.", False)
        return [toggle, number]

    def value(self, args: Mapping[str, Any], preset: Any) -> Any:
        if self.toggle and args[self.toggle]:
            return None
        number = args[self.name]
        if number < self.minimum:
            return preset
        return int(number) if self.setting["type"] == "integer" else float(number)

    def argument_values(self, value: Any) -> dict[str, Any]:
        if value is None:  # only a number with a toggle can be nothing
            return {self.toggle: True, self.name: self.minimum}
        return {**({self.toggle: False} if self.toggle else {}), self.name: value}

    def is_from_preset(self, args: Mapping[str, Any]) -> bool:
        return args[self.name] < self.minimum and not (self.toggle and args[self.toggle])


class ChoiceKnob(Knob):
    """A setting with a fixed list of values, a yes/no setting, or the network layer: a choice."""

    def __init__(self, setting: dict[str, Any], options: list[Option]):
        super().__init__(setting)
        self.options = tuple(options)

    def arguments(self) -> list[Argument]:
        s = self.setting
        first = Option(FROM_PRESET, "From the preset", "Whatever the chosen preset says")
        return [Argument(self.name, "choice", s["label"], s["help"], FROM_PRESET, options=(first, *self.options))]

    def value(self, args: Mapping[str, Any], preset: Any) -> Any:
        nick = args[self.name]
        return preset if nick == FROM_PRESET else self.from_nick(nick)

    def argument_values(self, value: Any) -> dict[str, Any]:
        nick = self.to_nick(value)  # a value no option shows (a script's mix of layers) is left to the preset
        return {self.name: nick if nick in {o.nick for o in self.options} else FROM_PRESET}

    def from_nick(self, nick: str) -> Any:
        return nick

    def to_nick(self, value: Any) -> str:
        return value


class YesNoKnob(ChoiceKnob):
    def __init__(self, setting: dict[str, Any]):
        super().__init__(setting, [Option("yes", "Yes", setting["help"]), Option("no", "No", "")])

    def from_nick(self, nick: str) -> bool:
        return nick == "yes"

    def to_nick(self, value: Any) -> str:
        return "yes" if value else "no"


class LayerKnob(ChoiceKnob):
    """Every model's layers in one choice (GIMP's choices are fixed when it starts); each says its models. Beside it,
    the layer mix: when not empty, it is the setting (``block5=0.5,block10``), whatever the choice says."""

    def __init__(self, setting: dict[str, Any], models: list[dict[str, Any]]):
        titles: dict[str, list[str]] = {}
        dreams: dict[str, str] = {}
        for model in models:
            for layer in model["layers"]:
                titles.setdefault(layer["name"], []).append(short_title(model))
                dreams.setdefault(layer["name"], layer.get("dreams", ""))
        default = Option(NETWORK_DEFAULT, setting["none_means"].capitalize(), "The layer each network dreams best with")
        layers = [Option(name, f"{name} · {dreams[name]} — {', '.join(found)}" if dreams[name] else f"{name} — {', '.join(found)}",
                         f"A layer of {', '.join(found)}") for name, found in titles.items()]
        super().__init__(setting, [default, *layers])

    def arguments(self) -> list[Argument]:
        mix = Argument(LAYER_MIX, "string", "Layer mix", "Several layers at once, each with its weight, as "
                       "block5=0.5,block10 (a layer without a weight weighs 1). When not empty, it takes the place of "
                       f"\"{self.setting['label']}\".", "")
        return [*super().arguments(), mix]

    def groups(self) -> list[tuple[str, ...]]:
        return [(self.name,), (LAYER_MIX,)]  # the mix can stay out of a dialog short of letters

    def value(self, args: Mapping[str, Any], preset: Any) -> Any:
        return args[LAYER_MIX].strip() or super().value(args, preset)

    def argument_values(self, value: Any) -> dict[str, Any]:
        nick = self.to_nick(value)
        if nick in {o.nick for o in self.options}:
            return {self.name: nick, LAYER_MIX: ""}
        return {self.name: FROM_PRESET, LAYER_MIX: value}

    def is_from_preset(self, args: Mapping[str, Any]) -> bool:
        return not args[LAYER_MIX].strip() and super().is_from_preset(args)

    def from_nick(self, nick: str) -> str:
        return "" if nick == NETWORK_DEFAULT else nick

    def to_nick(self, value: Any) -> str:
        return value or NETWORK_DEFAULT


class TextKnob(Knob):
    def arguments(self) -> list[Argument]:
        s = self.setting
        nothing = f' "{s["none_means"]}": {s["none_means"]}.' if s.get("none_means") else ""
        return [Argument(self.name, "string", s["label"], f"{s['help']} Empty: from the preset.{nothing}", "")]

    def value(self, args: Mapping[str, Any], preset: Any) -> Any:
        text = args[self.name].strip()
        if not text:
            return preset
        return "" if text == self.setting.get("none_means") else text

    def argument_values(self, value: Any) -> dict[str, Any]:
        return {self.name: value or self.setting.get("none_means", "")}

    def is_from_preset(self, args: Mapping[str, Any]) -> bool:
        return not args[self.name].strip()


def dream_knob(setting: dict[str, Any], models: list[dict[str, Any]]) -> Knob:
    """The knob for a dream setting, by what the description says of it."""
    if setting["name"] == "layer":  # its values are the models' layers, listed with the models
        return LayerKnob(setting, models)
    if setting["type"] == "boolean":
        return YesNoKnob(setting)
    if setting.get("choices"):
        titles = {m["name"]: short_title(m) for m in models}
        return ChoiceKnob(setting, [Option(c, titles.get(c, c), "") for c in setting["choices"]])
    if setting["type"] == "string":
        return TextKnob(setting)
    return NumberKnob(setting)


def short_title(model: dict[str, Any]) -> str:
    """'EfficientNet-Lite0 (embedded, offline)' -> 'EfficientNet-Lite0': short enough for a list of layers."""
    return model["title"].split(" (")[0]
