"""Checks made before the server loads anything heavy: where it may listen, whether its token is private, and how
many connections the process can hold.

Standard library only, so ``dreamlayer serve`` refuses a bad start in a fraction of a second, before torch loads.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from pathlib import Path

from ..errors import DreamlayerError, InvalidParameter


# Open files kept beyond the connection limit: model weights, the trigger pipe, temporary files, logs.
SPARE_FILES = 256
# select() on Windows takes at most 512 sockets (Python's FD_SETSIZE there), and waitress has no poll() there.
WINDOWS_CONNECTIONS = 500


class InsecureBind(DreamlayerError):
    code = "insecure_bind"


class InsecureTokenFile(DreamlayerError):
    code = "insecure_token_file"


class PortInUse(DreamlayerError):
    code = "port_in_use"


def check_port(host: str, port: int) -> None:
    """Refuse a port another program (or another dreamlayer server) already listens on, naming which and what to do."""
    import socket

    from dreamlayer_editor.launcher import probe

    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe_socket:
        if os.name == "posix":
            probe_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
        try:
            probe_socket.bind((host.strip("[]"), port))
            return
        except OSError:
            pass
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    if probe("127.0.0.1" if host in ("0.0.0.0", "::") else host.strip("[]"), port) == "dreamlayer":
        raise PortInUse(f"A dreamlayer server already runs at {address}; use that one (the plugins do), or stop it first.")
    raise PortInUse(f"Port {port} is used by another program. Close it, or start dreamlayer with --port N and "
                    "give the plugins that port.")


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


def connection_limit(wanted: int) -> int:
    """As many connections as ``wanted``, within the open files the process may have; on POSIX the soft limit
    is first raised towards the hard one (it is often 1024, below a thousand connections and the model's files)."""
    if os.name == "nt":
        return min(wanted, WINDOWS_CONNECTIONS)
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):  # macOS caps the soft limit below an infinite hard one
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(16, min(wanted, soft - SPARE_FILES))


def check_film_folder(path: str) -> None:
    """Refuse, before torch loads, a ``--film-folder`` where the server could not make its folder of films."""
    import tempfile

    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix="dreamlayer-check-", dir=path))
    except OSError as exc:
        raise InvalidParameter(f"Can't write films in '{path}' (--film-folder): {exc.strerror}.") from None
