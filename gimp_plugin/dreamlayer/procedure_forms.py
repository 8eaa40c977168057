"""The two procedures' arguments, in the order their dialogs show them, and what runs for given argument values.

DeepDream... shows the preset first, then the basic settings, then "More settings" and "Server" folded away.
DeepDream Zoom... shows the preset, where to start, the film's settings and the basic dream settings, then the
other dream settings and the server folded away.

Every label a dialog shows has a mnemonic of its own (see ``mnemonics``), and there are fewer letters than
settings: each dialog shows the preset and the server first, then the settings in order of importance (the
basic ones before the others, each group in the parameter model's order) as long as letters last. A setting left
out of a dialog is still an argument, for scripts; in the dialog it keeps the preset's value.

What runs: the preset's values, with every argument that is not left at "from the preset" in place of its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from client import DEFAULT_URL
from mnemonics import fit
from setting_arguments import Argument, FilmKnob, Knob, Option, check_layer_fits_model, dream_knob
from settings_description import Description

PRESET, SERVER_URL, FROM_NOISE = "preset", "server-url", "from-noise"
NOT_SENT_FROM_GIMP = "guide_weight"  # the plug-in sends no guide picture, so a guide's strength does nothing
FILM_FORMAT = "format"  # the film comes back frame by frame as the new image's layers, never as a file
ZOOM_FILE_FORMAT = "webp"  # what the server writes meanwhile: the cheapest of its formats to encode
SECTIONS = (("main", None), ("more", "More settings"), ("server", "Server"))


class Section(NamedTuple):
    id: str
    title: str | None  # None: the dialog's main area; else a folded expander with this title
    names: tuple[str, ...]  # the arguments shown there


class Item(NamedTuple):
    """Arguments a dialog shows together, or not at all (a number and its "Random ..." toggle)."""

    section: str
    names: tuple[str, ...]


class Form(NamedTuple):
    description: Description
    arguments: list[Argument]  # in dialog order; the labels carry their mnemonics
    sections: list[Section]
    knobs: list[Knob]  # the dream settings' knobs
    film_knobs: list[Knob]  # a zoom's own settings' knobs (none for a dream)

    def dream_settings(self, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """(preset, every dream setting) that the argument values ``args`` ask for."""
        preset = args[PRESET]
        values = self.description.preset_values(preset)
        settings = dict(values)
        for knob in self.knobs:
            name = knob.setting["name"]
            settings[name] = knob.value(args, values[name])
        layer = next(k for k in self.knobs if k.setting["name"] == "layer")
        check_layer_fits_model(settings, layer.is_from_preset(args), self.description.model_layers())
        return preset, settings

    def zoom_settings(self, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """(preset, the dream settings a zoom takes and the film's own settings)."""
        preset, settings = self.dream_settings(args)
        for replaced in self.description.zoom_replaces:
            settings.pop(replaced, None)
        settings.update({k.setting["name"]: k.value(args, None) for k in self.film_knobs}, format=ZOOM_FILE_FORMAT)
        return preset, settings

    def preset_arguments(self, preset: str) -> dict[str, Any]:
        """The argument values that show every setting of ``preset``, as its dialog loads them."""
        return self.arguments_for(self.description.preset_values(preset))

    def arguments_for(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The argument values that run ``settings`` (such as a layer's recorded ones) whatever the preset."""
        return {k: v for knob in self.knobs for k, v in knob.argument_values(settings[knob.setting["name"]]).items()}

    def unset_arguments(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """For the settings in ``args`` still left "from the preset", the values that show the preset's."""
        values = self.description.preset_values(args[PRESET])
        return {k: v for knob in self.knobs if knob.is_from_preset(args)
                for k, v in knob.argument_values(values[knob.setting["name"]]).items()}


def dream_form(description: Description) -> Form:
    knobs = _dream_knobs(description)
    basic = [k for k in knobs if k.setting["section"] == "basic"]
    more = [k for k in knobs if k.setting["section"] != "basic"]
    arguments = [_preset_argument(description), *_arguments(basic), *_arguments(more), _server_argument()]
    priority = [Item("main", (PRESET,)), Item("server", (SERVER_URL,)), *_items("main", basic), *_items("more", more)]
    return _form(description, arguments, priority, knobs, [])


def zoom_form(description: Description) -> Form:
    replaced = set(description.zoom_replaces)
    knobs = [k for k in _dream_knobs(description) if k.setting["name"] not in replaced]
    basic = [k for k in knobs if k.setting["section"] == "basic"]
    more = [k for k in knobs if k.setting["section"] != "basic"]
    film = [FilmKnob(s) for s in description.zoom if s["name"] != FILM_FORMAT]
    noise = Argument(FROM_NOISE, "boolean", "Start from noise", "Ignore the layer and start from noise at the "
                     "image's size", False)
    arguments = [_preset_argument(description), noise, *_arguments(film), *_arguments(basic), *_arguments(more),
                 _server_argument()]
    priority = [Item("main", (PRESET,)), Item("server", (SERVER_URL,)), Item("main", (FROM_NOISE,)),
                *_items("main", film), *_items("main", basic), *_items("more", more)]
    return _form(description, arguments, priority, basic + more, film)


def _form(description: Description, arguments: list[Argument], priority: list[Item], knobs: list[Knob],
          film_knobs: list[Knob]) -> Form:
    """The form: what fits in the dialog, in ``priority`` order, shown with its mnemonics."""
    labels = {a.name: a.label for a in arguments}
    marked = fit([tuple(labels[name] for name in item.names) for item in priority])
    shown = {name: label for item, group in zip(priority, marked) if group for name, label in zip(item.names, group)}
    section_of = {name: item.section for item in priority for name in item.names}
    sections = [Section(id, title, tuple(a.name for a in arguments if a.name in shown and section_of[a.name] == id))
                for id, title in SECTIONS]
    arguments = [a._replace(label=shown.get(a.name, a.label)) for a in arguments]
    return Form(description, arguments, [s for s in sections if s.names], knobs, film_knobs)


def _dream_knobs(description: Description) -> list[Knob]:
    return [dream_knob(s, description.models) for s in description.dream if s["name"] != NOT_SENT_FROM_GIMP]


def _arguments(knobs: list[Knob]) -> list[Argument]:
    return [argument for knob in knobs for argument in knob.arguments()]


def _items(section: str, knobs: list[Knob]) -> list[Item]:
    return [Item(section, tuple(a.name for a in knob.arguments())) for knob in knobs]


def _preset_argument(description: Description) -> Argument:
    options = tuple(Option(name, name.capitalize(), p["description"]) for name, p in description.presets.items())
    return Argument(PRESET, "choice", "Preset", "The starting point: every setting left at \"from the preset\" "
                    "takes the preset's value.", description.default_preset, options=options)


def _server_argument() -> Argument:
    return Argument(SERVER_URL, "string", "Server URL", "Where `dreamlayer serve` listens", DEFAULT_URL)

