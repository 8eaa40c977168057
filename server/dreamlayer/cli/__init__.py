"""The ``dreamlayer`` command. Each subcommand lives in its own module and imports torch only when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from dreamlayer_editor.protocol import ClientError
from ..errors import DreamlayerError
from . import atlas_cmd, dream_cmd, models_cmd, plugin_cmd, serve_cmd, video_cmd, zoom_cmd

SUBCOMMANDS = (dream_cmd, zoom_cmd, video_cmd, atlas_cmd, models_cmd, serve_cmd, plugin_cmd)


class Parser(argparse.ArgumentParser):
    """argparse's own refusals (an unknown flag, a number outside its range) in one line like every other refusal,
    saying where to look rather than dumping the usage. Subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message.rstrip('.')}. `{self.prog} --help` lists what it takes.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="dreamlayer", description="DeepDream for artists.")
    parser.add_argument("--version", action="version", version=f"dreamlayer {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except (DreamlayerError, ClientError) as exc:
        print(f"dreamlayer: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except KeyboardInterrupt:
        print("dreamlayer: stopped.", file=sys.stderr)
        return 130
