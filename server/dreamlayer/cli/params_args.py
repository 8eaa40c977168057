"""Command-line flags made from the parameter model, so every setting is described once (``dreamlayer.params``)."""

from __future__ import annotations

import argparse
from typing import Any

from ..params import DEFAULT_PRESET, PRESETS, DreamParams, Knobs
from .checks import add_overwrite_flag


def add_preset_flag(parser: argparse.ArgumentParser) -> None:
    # Choices are checked by the parameter model, not argparse: its one-line messages beat a usage dump.
    parser.add_argument("--preset", default=DEFAULT_PRESET, metavar="{" + ",".join(PRESETS) + "}",
                        help="starting point; every setting given overrides it (default: %(default)s)")


def add_film_flags(parser: argparse.ArgumentParser, film: type[Knobs], dream_group: str) -> None:
    """What a film command (zoom, video) takes beside its input and output: the device, --overwrite, the film's
    own settings, then a preset and each frame's dream settings on top of it."""
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    add_overwrite_flag(parser)
    add_knob_flags(parser, "film settings", film)
    add_preset_flag(parser)
    add_knob_flags(parser, dream_group, DreamParams)


def literal(text: str) -> str:
    """Help text shown as it is written: argparse reads ``%`` in help as a format ("5%" ends ``--help`` in a
    traceback), and the model's help is plain prose for every surface, so it is escaped here, where it meets argparse."""
    return text.replace("%", "%%")


def add_knob_flags(parser: argparse.ArgumentParser, group_name: str, knobs: type[Knobs]) -> None:
    """One flag per setting of ``knobs``: --step-size for step_size, --keep-colours/--no-... for yes/no settings."""
    group = parser.add_argument_group(group_name)
    for setting in knobs.settings():
        knob = setting.knob
        if not knob.cli:
            continue
        flag = "--" + setting.name.replace("_", "-")
        text = f"{knob.label.lower()}: {knob.help}"
        if setting.kind == "bool":
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                               help=literal(f"{text} (default: {'on' if setting.default else 'off'})"))
            continue
        if knob.none_means is not None and setting.kind != "str":
            shown = f" (default: {knob.none_means})"
        elif setting.default not in (None, ""):
            shown = f" (default: {setting.default})"
        else:
            shown = f" (default: {knob.none_means})" if knob.none_means else ""
        metavar = "{" + ",".join(knob.choices) + "}" if knob.choices else setting.name.upper()
        group.add_argument(flag, dest=setting.name, default=None, metavar=metavar, help=literal(text + shown))


def given(args: argparse.Namespace, knobs: type[Knobs]) -> dict[str, Any]:
    """The settings typed on the command line, still as text; ``knobs.from_mapping`` parses and checks them."""
    return {name: getattr(args, name) for name in knobs.names() if getattr(args, name, None) is not None}
