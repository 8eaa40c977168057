"""Running the real editors: Krita 5 on this machine, Krita 6 and GIMP 3.x inside cached Debian chroots.

The chroots are built by ``.ci/chroots.sh``. In CI (``DREAMLAYER_REQUIRE_EDITORS=1``, set by ``.ci/run``) a missing
editor fails its tests; on a developer's machine without the editors they are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROOTS = Path(os.environ.get("DREAMLAYER_CHROOTS", "/var/cache/dreamlayer/chroots"))
REPO = Path(__file__).resolve().parents[1]
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
    """A scratch folder visible to the editor: (path here, path as the editor sees it). In a chroot, /proc and this
    machine's Python and checkout are mounted (so a plugin there can start a dream server)."""
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
    with _chroot_mounts(root):
        try:
            yield host, Path("/tmp") / name
        finally:
            shutil.rmtree(host, ignore_errors=True)


def host_paths() -> list[Path]:
    """What a dream server started from inside a chroot needs of this machine, seen at the same paths there: this
    checkout, and this Python: its installation folder (and its virtual environment's, if any) or, for a Python
    that lives in the system's own folders (Debian's /usr/bin/python3.11), just its standard library and binary,
    so the chroot's own /usr is never covered up."""
    system = {Path("/"), Path("/usr"), Path("/usr/local")}
    paths = {REPO}
    for prefix in {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}:
        if prefix in system:
            version = f"python{sys.version_info.major}.{sys.version_info.minor}"
            paths |= {prefix / "lib" / version, Path(os.path.realpath(sys._base_executable))}
        else:
            paths.add(prefix)
    return sorted(paths)


def mounted(path: Path) -> bool:
    """Whether something is mounted at ``path``. (os.path.ismount misses a bind mount from the same disk.)"""
    target = str(path)
    with open("/proc/self/mountinfo") as table:
        return any(line.split()[4] == target for line in table)


@contextlib.contextmanager
def _chroot_mounts(root: Path) -> Iterator[None]:
    """/proc, and this machine's Python and checkout (host_paths) read-only, mounted in the chroot while any test
    process uses it: each holds a shared lock, and the last one out (the one that can take it exclusively)
    unmounts them all. Read-only, so nothing done inside the chroot (or to it: deleting the chroot's folder while
    they are mounted) can touch this machine's own files."""
    binds = [root / path.relative_to("/") for path in host_paths()]
    with open(root / "tmp" / ".dreamlayer-proc.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not mounted(root / "proc"):
            subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
        for path, target in zip(host_paths(), binds):
            if not mounted(target):
                if path.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                else:  # a file is bound onto a file
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.touch()
                subprocess.run(["mount", "--bind", str(path), str(target)], check=True)
                subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
        fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            yield
        finally:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another run still uses them; the last one out unmounts
            # Lazily: a dream server the editor started may still be leaving (it sees its editor's exit within a
            # second); a lazy unmount detaches the mount at once and lets that process finish with its files.
            for target in [*reversed(binds), root / "proc"]:
                while mounted(target):
                    subprocess.run(["umount", "--lazy", str(target)], check=True)


def run_in(suite: str | None, argv: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """Run a command on this machine or inside a chroot, with exactly ``env`` (plus PATH)."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **env}
    if suite is None:
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    command = ["chroot", str(CHROOTS / suite), "env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def install_as_user(editor: str, home: Path) -> str:
    """`dreamlayer install-plugin EDITOR` with HOME set to a fresh folder, as a new user would run it, from the
    checkout under test (its server/ first on the path, whatever dreamlayer pip installed)."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "server")}
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "install-plugin", editor], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


def read_results(out: Path, editor: str, run: subprocess.CompletedProcess) -> dict:
    """The JSON the cases wrote inside the editor; the editor's output when there is none."""
    assert out.is_file(), f"{editor} wrote no results (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    results = json.loads(out.read_text())
    assert "crash" not in results, results["crash"]
    return results


def read_case_results(out: Path, editor: str, run: subprocess.CompletedProcess) -> dict:
    """Results written case by case; if the editor died mid-run, they say which case was running."""
    assert out.is_file(), f"{editor} wrote no results (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    results = json.loads(out.read_text())
    if not results["finished"]:
        results["died"] = (f"{editor} died (exit {run.returncode}) while running the case '{results['running']}':\n"
                           f"{run.stderr[-3000:]}")
    return results


def case_result(results: dict, name: str) -> dict:
    if name not in results["cases"]:
        pytest.fail(results.get("died") or f"the case '{name}' did not run")
    result = results["cases"][name]
    if "crash" in result:
        pytest.fail(f"the case '{name}' raised inside the editor:\n{result['crash']}")
    return result
