"""``dreamlayer models``: list the networks and their layers; ``dreamlayer models pull NAME`` downloads one."""

from __future__ import annotations

import argparse


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("models", help="list models and layers, or pull one",
                                 description="List models and their layers, and whether each works offline.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    pull = actions.add_parser("pull", help="download a model's weights into the torch cache")
    pull.add_argument("name")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..catalog import MODELS, get_model

    if args.action == "pull":
        from ..engine import pull_model

        spec = get_model(args.name)
        path = pull_model(spec.name)
        print(f"{spec.name}: ready ({path})")
        return 0
    for spec in MODELS.values():
        state = "embedded" if spec.embedded else ("downloaded" if spec.available() else f"not downloaded: dreamlayer models pull {spec.name}")
        print(f"{spec.name:<13} {spec.title}  [{state}]")
        for info in spec.layers.values():
            marker = "*" if info.name == spec.default_layer else " "
            print(f"   {marker} {info.name:<12} {info.channels:>5} channels, 1/{info.stride} scale")
    print("\n* default layer")
    return 0
