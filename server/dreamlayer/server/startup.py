"""Checks made before the server loads anything heavy: where it may listen, and whether its token is private.

Standard library only, so ``dreamlayer serve`` refuses a bad start in a fraction of a second, before torch loads.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from pathlib import Path

from ..errors import DreamlayerError, InvalidParameter


class InsecureBind(DreamlayerError):
    code = "insecure_bind"


class InsecureTokenFile(DreamlayerError):
    code = "insecure_token_file"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise InsecureBind(
            f"Refusing to listen on {host} without an access token: anyone on the network could use this machine. "
            "Add --token-file FILE (or --token T), or stay on 127.0.0.1."
        )


def read_token_file(path: str) -> str:
    """The token in ``path``, refused if other users of this computer could read or change it."""
    try:
        mode = os.stat(path).st_mode
        token = Path(path).read_text().strip()
    except OSError as exc:
        raise InvalidParameter(f"Can't read the token file '{path}': {exc.strerror}.") from None
    # Windows has no such mode bits (its files are guarded by ACLs), so the check is for POSIX systems only.
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureTokenFile(
            f"The token file '{path}' can be read or changed by other users of this computer; "
            f"run `chmod 600 {path}` and start again.")
    if not token:
        raise InvalidParameter(f"The token file '{path}' is empty.")
    return token
