"""What the editors' set-up tests share: the plugin installed with ``--dest``, a dream server started by hand, and
the local CLI's dream of the same picture with the same settings, to compare an editor's pixels with.

- ``install_with_dest``: ``dreamlayer install-plugin EDITOR --dest DIR`` as a user of an editor the installer
  does not know would run it (DIR: that editor's pykrita or plug-ins folder).
- ``served_by_hand``: a real ``dreamlayer serve`` process on a free port, as an artist starts one in a terminal.
- ``cli_dream``: ``dreamlayer dream IN OUT`` with a flag for every setting the editor's dream ran with (the
  settings its server reports, seed and feature size resolved), and ``--mask`` when the editor sent a selection.
- ``the_picture``: the picture both dream: the shipped cat, as an opaque RGBA PNG (8-bit, and the same values in
  16 bits, v × 257, for the deeper documents).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from dreamlayer.images import Picture, save_picture
from dreamlayer.images.deep import decode_16bit, png_bit_depth
from dreamlayer.images.samples import to_floats
from dreamlayer_editor.launcher import probe
from dreamlayer.params import DreamParams

from .conftest import cat_rgb
from .editors import REPO

# The server by hand and the CLI run this checkout with the same number of threads: the comparison is between two
# processes on one machine, and a CPU's float sums may be ordered by the thread count.
ENV = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "server"), "OMP_NUM_THREADS": "2"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def install_with_dest(editor: str, dest: Path, home: Path) -> str:
    """Install the plugin into ``dest`` with ``--dest``; the installer's output."""
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "install-plugin", editor, "--dest", str(dest)],
                         env={**ENV, "HOME": str(home)}, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


@contextlib.contextmanager
def served_by_hand(log: Path) -> Iterator[str]:
    """``dreamlayer serve`` on a free port, started as an artist starts it; its URL while it answers."""
    with serve_process(["--device", "cpu"], log, {**ENV, "HOME": os.environ.get("HOME", "/root")}) as url:
        yield url


@contextlib.contextmanager
def serve_process(arguments: list[str], log: Path, env: dict[str, str], ready_seconds: float = 180) -> Iterator[str]:
    """``dreamlayer serve ARGUMENTS`` on a free port, its output into ``log``; its URL while it answers."""
    port = free_port()
    with open(log, "ab") as out:
        server = subprocess.Popen([sys.executable, "-m", "dreamlayer", "serve", "--port", str(port), *arguments],
                                  env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + ready_seconds
        while probe("127.0.0.1", port, timeout=1.0) != "dreamlayer":
            assert server.poll() is None and time.monotonic() < deadline, f"dreamlayer serve did not start:\n{log.read_text()}"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()


def the_picture(folder: Path, width: int, height: int) -> dict[str, Path]:
    """The picture both sides dream, as files: 8-bit and 16-bit RGBA PNG (the same values), its raw bytes, and
    the float32 RGBA the CLI makes of the 8-bit PNG (in.f32: what an editor's float image is given)."""
    rgb8 = (cat_rgb(width, height) * 255 + 0.5).astype(np.uint8)
    rgba8 = np.dstack([rgb8, np.full((height, width), 255, np.uint8)])
    paths = {"png": folder / "in.png", "png16": folder / "in16.png", "bgra": folder / "in.bgra", "rgba": folder / "in.rgba",
             "f32": folder / "in.f32"}
    Image.fromarray(rgba8, "RGBA").save(paths["png"])
    save_picture(Picture(rgb8.astype(np.float32) / 255, np.ones((height, width), np.float32), bits=16), paths["png16"])
    paths["rgba"].write_bytes(rgba8.tobytes())
    paths["bgra"].write_bytes(rgba8[..., [2, 1, 0, 3]].tobytes())
    paths["f32"].write_bytes(to_floats(rgba8).tobytes())
    return paths


def the_mask(folder: Path, width: int, height: int) -> Path:
    """A selection that reaches every side of the picture (so the editor sends the whole layer, as the CLI dreams
    it) with a hole: an unselected ellipse, and a feathered ring around it; as raw u8 bytes (mask.u8). The editor
    may store it otherwise: the CLI gets the mask as the editor sent it (``sent_mask``)."""
    y, x = np.mgrid[0:height, 0:width]
    distance = np.hypot((x - width / 2) / (width / 4), (y - height / 2) / (height / 4))
    mask = (np.clip((distance - 1) * 2, 0, 1) * 255 + 0.5).astype(np.uint8)
    (folder / "mask.u8").write_bytes(mask.tobytes())
    return folder / "mask.u8"


def sent_mask(raw: Path, width: int, height: int, png: Path) -> Path:
    """The selection as the editor read it and sent it (u8 bytes), as a grey PNG for the CLI's ``--mask``; it must
    still be a selection of every side with a feathered hole."""
    sent = np.frombuffer(raw.read_bytes(), np.uint8).reshape(height, width)
    assert sent.min() == 0 and ((0 < sent) & (sent < 255)).any()  # a hole and a feathered ring...
    assert sent[[0, -1]].all() and sent[:, [0, -1]].all()  # ... in a selection that reaches every side
    Image.fromarray(sent, "L").save(png)
    return png


def cli_flags(settings: dict) -> list[str]:
    """A flag for every dream setting the command line takes, with the value the editor's dream ran with."""
    flags = []
    for setting in DreamParams.settings():
        if not setting.knob.cli or setting.name not in settings:
            continue
        flag, value = "--" + setting.name.replace("_", "-"), settings[setting.name]
        if setting.kind == "bool":
            flags.append(flag if value else "--no-" + flag[2:])
        elif value is not None:
            flags.append(f"{flag}={value}")
    return flags


def cli_dream(source: Path, out: Path, settings: dict, mask: Path | None = None) -> np.ndarray:
    """The local CLI's dream of ``source`` with ``settings`` (on the CPU, as the server by hand runs): its pixels."""
    command = [sys.executable, "-m", "dreamlayer", "dream", str(source), str(out), "--device", "cpu", *cli_flags(settings)]
    if mask is not None:
        command += ["--mask", str(mask)]
    run = subprocess.run(command, env={**ENV, "HOME": os.environ.get("HOME", "/root")}, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    return read_png(out)


def read_png(path: Path) -> np.ndarray:
    """A PNG's pixels as stored: uint8, or uint16 for a 16-bit one."""
    data = path.read_bytes()
    if png_bit_depth(data) == 16:
        return decode_16bit(data, "PNG", True)
    return np.asarray(Image.open(path).convert("RGBA"))


def difference(surface: str, got: np.ndarray, expected: np.ndarray) -> str | None:
    """None when the pixels are the same bits; else which surface differs, where, and by how much."""
    if got.shape != expected.shape:
        return f"{surface}: a {got.shape} picture where the CLI's is {expected.shape}"
    delta = np.abs(got.astype(np.int64) - expected.astype(np.int64))
    if not delta.any():
        return None
    return (f"{surface} differs from the local CLI in {int((delta.max(axis=-1) > 0).sum())} of "
            f"{delta.shape[0] * delta.shape[1]} pixels, by up to {int(delta.max())} levels")
