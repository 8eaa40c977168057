"""Running the real editors: Krita 5 on this machine, Krita 6 and GIMP 3.x inside cached Debian chroots.

The chroots are built by ``.ci/chroots.sh``. In CI (``DREAMLAYER_REQUIRE_EDITORS=1``, set by ``.ci/run``) a missing
editor fails its tests; on a developer's machine without the editors they are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROOTS = Path(os.environ.get("DREAMLAYER_CHROOTS", "/var/cache/dreamlayer/chroots"))
REQUIRED = os.environ.get("DREAMLAYER_REQUIRE_EDITORS") == "1"


def require(available: bool, what: str) -> None:
    if available:
        return
    message = f"{what} is not installed here; `bash .ci/run` installs it."
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)


def chroot_ready(suite: str) -> bool:
    return (CHROOTS / suite / ".dreamlayer-ready").is_file()


@contextlib.contextmanager
def workspace(suite: str | None) -> Iterator[tuple[Path, Path]]:
    """A scratch folder visible to the editor: (path here, path as the editor sees it). Mounts /proc in a chroot."""
    name = f"dreamlayer-test-{uuid.uuid4().hex[:8]}"
    if suite is None:
        host = Path("/tmp") / name
        host.mkdir()
        try:
            yield host, host
        finally:
            shutil.rmtree(host, ignore_errors=True)
        return
    root = CHROOTS / suite
    host = root / "tmp" / name
    host.mkdir(parents=True)
    proc = root / "proc"
    mounted = not os.path.ismount(proc)
    if mounted:
        subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
    try:
        yield host, Path("/tmp") / name
    finally:
        if mounted:
            subprocess.run(["umount", str(proc)], check=False)
        shutil.rmtree(host, ignore_errors=True)


def run_in(suite: str | None, argv: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """Run a command on this machine or inside a chroot, with exactly ``env`` (plus PATH)."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **env}
    if suite is None:
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    command = ["chroot", str(CHROOTS / suite), "env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
