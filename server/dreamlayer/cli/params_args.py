"""Command-line flags derived from DreamParams, so every knob has exactly one definition."""

from __future__ import annotations

import argparse
from typing import Any

from ..params import DreamParams
from ..presets import DEFAULT_PRESET, PRESETS


def add_param_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("dream settings (each overrides the preset)")
    group.add_argument("--preset", choices=list(PRESETS), default=DEFAULT_PRESET, help="starting point (default: %(default)s)")
    for f in DreamParams.fields():
        flag = "--" + f.name.replace("_", "-")
        default = getattr(DreamParams(), f.name)
        if f.type == "bool":
            group.add_argument(flag, action="store_true", default=None, help=f.metadata["help"])
            continue
        shown = f" (default: {default})" if default not in (None, "", 0) else ""
        metavar = f.name.upper() if not f.metadata["choices"] else None
        group.add_argument(flag, default=None, metavar=metavar, choices=f.metadata["choices"] or None,
                           help=f.metadata["help"] + shown)


def given_params(args: argparse.Namespace) -> dict[str, Any]:
    """The settings typed on the command line, still as strings; DreamParams.from_mapping parses and checks them."""
    return {f.name: getattr(args, f.name) for f in DreamParams.fields() if getattr(args, f.name) is not None}
