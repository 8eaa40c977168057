"""Where the atlas's pictures are kept: one PNG per channel, in a folder per model, layer, weights, size and method.

The folder's name carries a fingerprint of the weights file, so new weights (another torchvision release, a
fine-tuned file) never show the old pictures, and the method's version, so a better method makes them again.
Pictures are written to a temporary name and renamed, so a reader never sees half a file, and two servers (or a
server and the command line) may share the cache.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from ..catalog import get_model
from ..engine.feature_vis import METHOD_VERSION

CACHE_VARIABLE = "DREAMLAYER_CACHE"


def default_cache_folder() -> Path:
    """``$DREAMLAYER_CACHE``, or ``dreamlayer`` in the user's cache folder (``$XDG_CACHE_HOME``, ``~/.cache``)."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "dreamlayer"


@lru_cache(maxsize=16)
def _fingerprint(path: str, size: int, modified: float) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as weights:
        for block in iter(lambda: weights.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def weights_fingerprint(model: str) -> str:
    """The first 12 hex digits of the weights file's SHA-256 (read once per file and change)."""
    path = get_model(model).weights_path()
    stat = path.stat()
    return _fingerprint(str(path), stat.st_size, stat.st_mtime)


class AtlasCache:
    """The pictures of one model's layer at one size, under ``root``."""

    def __init__(self, root: Path, model: str, layer: str, size: int):
        self.model, self.layer, self.size = model, layer, size
        self.folder = Path(root) / "atlas" / model / f"{layer}-{size}px-v{METHOD_VERSION}-{weights_fingerprint(model)}"

    def path(self, channel: int) -> Path:
        return self.folder / f"{channel}.png"

    def made(self, channels: list[int]) -> set[int]:
        """Which of ``channels`` have a picture (one listing of the folder, however many channels)."""
        try:
            names = set(os.listdir(self.folder))
        except FileNotFoundError:
            return set()
        return {c for c in channels if f"{c}.png" in names}

    def read(self, channel: int) -> bytes | None:
        try:
            return self.path(channel).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, channel: int, picture: np.ndarray) -> None:
        """Keep a channel's picture ((H, W, 3) uint8)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        Image.fromarray(picture, "RGB").save(buffer, format="PNG")
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(buffer.getvalue())
        os.replace(temporary, self.path(channel))
