"""The three procedures' arguments, in the order their dialogs show them, and what runs for given argument values.

DeepDream... shows the preset first, then the variations, the guide layer and the basic settings, then "More
settings" and "Server" folded away. DeepDream Zoom... shows the preset, where to start, the film's settings and
the basic dream settings; DeepDream Animation... the preset, the video's settings and the basic dream settings;
both then the other dream settings and the server folded away.

"Server" holds the server URL, the token of a shared server and the Python that runs a local one
(``server_connection``). The token and the Python are kept in the plug-in's settings file, not in GIMP's last used
values: ``dreamlayer.py`` empties those two arguments once a run has read them.

Every label a dialog shows has a mnemonic of its own (see ``mnemonics``), and there are fewer letters than
settings: each dialog shows the preset and the server URL first, then the settings in order of importance (the
basic ones before the others, each group in the parameter model's order) as long as letters last. The token and
the server's Python come right after the URL in DeepDream..., and after the basic settings in the films' dialogs
(they are kept for all three procedures, so one dialog that shows them is enough). A setting left out of a
dialog is still an argument, for scripts; in the dialog it keeps the preset's value.

What runs: the preset's values, with every argument that is not left at "from the preset" in place of its value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from dreamlayer_editor.protocol import DEFAULT_URL
from mnemonics import fit
from server_connection import FORGET_TOKEN
from film_arguments import FilmKnob
from setting_arguments import LAYER_MIX, Argument, Knob, Option, dream_knob
from dreamlayer_editor.description import Description

PRESET, SERVER_URL, FROM_NOISE = "preset", "server-url", "from-noise"
TOKEN, SERVER_PYTHON = "token", "server-python"
VARIATIONS, GUIDE = "variations", "guide"
MAX_VARIATIONS = 8  # what a dreamlayer server queues by default (`serve --max-queued`)
GUIDE_STRENGTH = "guide_weight"  # only the dream takes a guide picture: a film's dreams have no use for its strength
FILM_FORMAT = "format"  # the film comes back frame by frame as the new image's layers, never as a file
FILM_FILE_FORMAT = "webp"  # what the server writes meanwhile: the cheapest of its formats to encode
SERVER_ITEMS = ((SERVER_URL,), (TOKEN,), (SERVER_PYTHON,))
SECTIONS = (("main", None), ("more", "More settings"), ("advanced", "Advanced"), ("server", "Server"))
FOLDED = ("more", "advanced")  # the model's sections that fold away; any other non-basic one folds under "more"


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
    film_knobs: list[Knob]  # a zoom's or a video's own settings' knobs (none for a dream)

    def values(self, config: Any) -> dict[str, Any]:
        """Every argument's value in a procedure's ``config`` (anything with GIMP's ``get_property``). One GIMP gives
        back as None is its default: after the first start GIMP loads the procedures from its cache (pluginrc),
        where a text argument's empty default comes back as None, so a script that leaves it out passes None."""
        values = {a.name: config.get_property(a.name) for a in self.arguments}
        return {a.name: a.default if values[a.name] is None else values[a.name] for a in self.arguments}

    def dream_settings(self, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """(preset, every dream setting) that the argument values ``args`` ask for."""
        preset = args[PRESET]
        values = self.description.preset_values(preset)
        settings = dict(values)
        for knob in self.knobs:
            name = knob.setting["name"]
            settings[name] = knob.value(args, values[name])
        layer = next(k for k in self.knobs if k.setting["name"] == "layer")
        self.description.fit_layer_to_model(settings, layer.is_from_preset(args))
        return preset, settings

    def variation_settings(self, args: Mapping[str, Any], choose: Callable[[int, int], int]) -> tuple[str, list[dict]]:
        """(preset, the settings of each variation): consecutive seeds from the seed, or, if it is random, from one
        that ``choose(lowest, highest)`` picks. A single dream leaves a random seed to the server."""
        preset, settings = self.dream_settings(args)
        count = args[VARIATIONS]
        if count <= 1:
            return preset, [settings]
        return preset, [{**settings, "seed": seed} for seed in self.description.variation_seeds(settings["seed"], count, choose)]

    def zoom_settings(self, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """(preset, the dream settings a zoom takes and the film's own settings)."""
        preset, settings = self.dream_settings(args)
        for replaced in self.description.zoom_replaces:
            settings.pop(replaced, None)
        return preset, self._with_film_settings(settings, args)

    def video_settings(self, args: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """(preset, the dream settings and the video's own settings)."""
        preset, settings = self.dream_settings(args)
        return preset, self._with_film_settings(settings, args)

    def _with_film_settings(self, settings: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
        settings.update({k.setting["name"]: k.value(args, None) for k in self.film_knobs}, format=FILM_FILE_FORMAT)
        return settings

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
    basic, more = _split(knobs)
    arguments = [_preset_argument(description), _variations_argument(), _guide_argument(), *_arguments(basic),
                 *_arguments(more), *_server_arguments()]
    priority = [Item("main", (PRESET,)), *_server_items(), Item("main", (VARIATIONS,)), Item("main", (GUIDE,)),
                *_items("main", basic), *_items("more", more)]
    return _form(description, arguments, priority, knobs, [])


def zoom_form(description: Description) -> Form:
    replaced = {*description.zoom_replaces, GUIDE_STRENGTH}
    basic, more = _split([k for k in _dream_knobs(description) if k.setting["name"] not in replaced])
    film = [FilmKnob(s) for s in description.zoom if s["name"] != FILM_FORMAT]
    noise = Argument(FROM_NOISE, "boolean", "Start from noise", "Ignore the layer and start from noise at the "
                     "image's size", False)
    arguments = [_preset_argument(description), noise, *_arguments(film), *_arguments(basic), *_arguments(more),
                 *_server_arguments()]
    priority = [Item("main", (PRESET,)), _server_items()[0], Item("main", (FROM_NOISE,)), *_items("main", film),
                *_items("main", basic), *_server_items()[1:], *_items("more", more)]
    return _form(description, arguments, priority, basic + more, film)


def animation_form(description: Description) -> Form:
    """The video's settings (its frames are the image's layers, and come back as a new image's layers: no file
    format), then the dream's (all of them: the first frame gets the full iterations, the others the video's)."""
    basic, more = _split([k for k in _dream_knobs(description) if k.setting["name"] != GUIDE_STRENGTH])
    video = [FilmKnob(s) for s in description.video if s["name"] != FILM_FORMAT]
    arguments = [_preset_argument(description), *_arguments(video), *_arguments(basic), *_arguments(more),
                 *_server_arguments()]
    priority = [Item("main", (PRESET,)), _server_items()[0], *_items("main", video), *_items("main", basic),
                *_server_items()[1:], *_items("more", more)]
    return _form(description, arguments, priority, basic + more, video)


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
    return [dream_knob(s, description.models) for s in description.dream]


def _split(knobs: list[Knob]) -> tuple[list[Knob], list[Knob]]:
    """(the basic knobs, the others), each in the model's order."""
    return ([k for k in knobs if k.setting["section"] == "basic"], [k for k in knobs if k.setting["section"] != "basic"])


def _arguments(knobs: list[Knob]) -> list[Argument]:
    return [argument for knob in knobs for argument in knob.arguments()]


def _items(section: str, knobs: list[Knob]) -> list[Item]:
    """Each knob's groups of arguments; the layer mix, though, is folded away with the finer settings, and a folded
    knob goes in its own fold (More settings, or Advanced for the engine's knobs)."""
    def where(knob: Knob, group: tuple[str, ...]) -> str:
        if group == (LAYER_MIX,):
            return "more"
        if section == "more":
            return knob.setting["section"] if knob.setting["section"] in FOLDED else "more"
        return section

    return [Item(where(knob, group), group) for knob in knobs for group in knob.groups()]


def _preset_argument(description: Description) -> Argument:
    options = tuple(Option(name, name.capitalize(), p["description"]) for name, p in description.presets.items())
    return Argument(PRESET, "choice", "Preset", "The starting point: every setting left at \"from the preset\" "
                    "takes the preset's value.", description.default_preset, options=options)


def _variations_argument() -> Argument:
    return Argument(VARIATIONS, "int", "Variations", "How many dreams to make, with consecutive seeds (from the seed, "
                    "or from a random one): more than one arrive as layers in a new group, each named with its seed.",
                    1, 1, MAX_VARIATIONS)


def _guide_argument() -> Argument:
    return Argument(GUIDE, "drawable", "Guide layer", "A layer (of any image) whose features the dream reaches for, "
                    "as strongly as the guide strength says. None: no guide.", None)


def _server_arguments() -> list[Argument]:
    return [
        Argument(SERVER_URL, "string", "Server URL", "Where the dream server listens. On this machine (127.0.0.1 or "
                 "localhost), the plug-in starts one there when none answers.", DEFAULT_URL),
        Argument(TOKEN, "string", "Token", "A shared server's access token. Kept for this server URL in the "
                 "plug-in's settings file (readable by you only), not in GIMP's last values. Empty: the kept one; "
                 f"\"{FORGET_TOKEN}\": forget it.", ""),
        Argument(SERVER_PYTHON, "string", "Server's Python", "The Python that runs a dream server the plug-in starts "
                 "on this machine. Kept in the plug-in's settings file. Empty: the one `dreamlayer install-plugin` "
                 "recorded there.", ""),
    ]


def _server_items() -> list[Item]:
    return [Item("server", names) for names in SERVER_ITEMS]
