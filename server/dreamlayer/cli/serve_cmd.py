"""``dreamlayer serve``: the local dream server the editor plugins talk to."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..client import DEFAULT_PORT
from ..errors import InvalidParameter


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="run the local dream server for the Krita and GIMP plugins",
                                 description="Run the local dream server. It listens on 127.0.0.1 only, unless told otherwise.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s); any other needs a token")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)")
    token = parser.add_mutually_exclusive_group()
    token.add_argument("--token", help="require this bearer token (visible to other local users in the process list)")
    token.add_argument("--token-file", metavar="FILE", help="require the bearer token stored in FILE")
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    parser.add_argument("--max-queued", type=int, default=8, help="dreams that may wait (default: %(default)s)")
    parser.add_argument("--max-pixels", type=int, default=8192 * 8192, help="largest picture accepted, in pixels (default: %(default)s)")
    parser.set_defaults(run=run)


def read_token(args: argparse.Namespace) -> str | None:
    if args.token_file:
        try:
            token = Path(args.token_file).read_text().strip()
        except OSError as exc:
            raise InvalidParameter(f"Can't read the token file '{args.token_file}': {exc.strerror}.") from None
        if not token:
            raise InvalidParameter(f"The token file '{args.token_file}' is empty.")
        return token
    return args.token


def run(args: argparse.Namespace) -> int:
    from ..server import create_app
    from ..server.serve import check_bind, serve

    token = read_token(args)
    check_bind(args.host, token)  # before the model loads: fail fast
    app = create_app({"HOST": args.host, "PORT": args.port, "TOKEN": token, "DEVICE": args.device,
                      "MAX_QUEUED": args.max_queued, "MAX_PIXELS": args.max_pixels})
    return serve(app, args.host, args.port)
