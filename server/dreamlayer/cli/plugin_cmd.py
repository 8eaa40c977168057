"""``dreamlayer install-plugin EDITOR`` and ``dreamlayer package-plugin EDITOR``."""

from __future__ import annotations

import argparse

EDITORS = ("krita", "gimp")
ENABLE_HINT = {
    "krita": "Restart Krita, enable 'dreamlayer' in Settings > Configure Krita > Python Plugin Manager, restart again, "
             "then open Settings > Dockers > dreamlayer.",
    "gimp": "Restart GIMP; the plug-in is in Filters > Artistic > DeepDream... (and Filters > Animation > DeepDream "
            "Zoom... and DeepDream Animation...). It starts the dream server itself, with this Python.",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    install = commands.add_parser("install-plugin", help="install the Krita or GIMP plugin for this user",
                                  description="Copy the plugin, with the shared client, into the editor's plugin folder(s).")
    install.add_argument("editor", choices=EDITORS)
    install.add_argument("--dest", metavar="DIR", help="install into DIR instead of the editor's user folder(s)")
    install.set_defaults(run=run_install)
    package = commands.add_parser("package-plugin", help="build a zip of the Krita or GIMP plugin",
                                  description="Build a zip: Krita imports it with Tools > Scripts > Import Python Plugin from File.")
    package.add_argument("editor", choices=EDITORS)
    package.add_argument("--output", metavar="ZIP", help="where to write the zip (default: dreamlayer-EDITOR.zip)")
    package.set_defaults(run=run_package)


def run_install(args: argparse.Namespace) -> int:
    from ..plugins import install

    for path in install(args.editor, args.dest):
        print(f"installed {path}")
    print(ENABLE_HINT[args.editor])
    return 0


def run_package(args: argparse.Namespace) -> int:
    from ..plugins import package

    print(f"wrote {package(args.editor, args.output or f'dreamlayer-{args.editor}.zip')}")
    return 0
