"""Films on disk: each zoom or video job has a folder of its own, where its frames (those received and those made)
and its film are written as they come, so how long a film may be is a question of disk, not of memory.

The server's folder (``FILM_FOLDER``, ``dreamlayer serve --film-folder``; by default a fresh folder in the system's
temp folder) holds one folder per film job. Only a job's newest frames stay in memory as well (``CACHE_FRAMES``:
clients fetch each frame as it is made); the others are read back from disk when asked for. Before a film is taken,
the room it needs (``client.film_disk_bytes``) is checked against the room there is: the disk's free space (within
``FILM_DISK``, when one is set), less what the films already taken will still write. A film that would not fit is
refused with 507 ``not_enough_disk``, saying how much it needs and how much is free. A job's folder goes when its
record is forgotten, when it is cancelled or fails, and when the server stops.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import BinaryIO

from dreamlayer_editor.films import film_disk_bytes, too_little_disk
from ..errors import DreamlayerError, InvalidParameter
from .errors import ApiError

# The newest frames of a running film kept in memory too: a client following the film fetches each as it is made.
CACHE_FRAMES = 2


class DiskFull(DreamlayerError):
    code = "disk_full"


class FilmFolder:
    """The server's folder of job folders, and the disk room its films may take."""

    def __init__(self, parent: str | os.PathLike | None = None, limit: int | None = None):
        base = Path(parent) if parent else Path(tempfile.gettempdir())
        try:
            base.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix="dreamlayer-films-", dir=base))
        except OSError as exc:
            raise InvalidParameter(f"Can't make a folder for films in '{base}': {exc.strerror}.") from None
        self.limit = limit  # the most bytes the job folders may hold together; None: what the disk has free
        self._stores: set[FrameStore] = set()
        self._lock = threading.Lock()
        # Also when the server is never stopped in order (an app made for a test, an interpreter leaving).
        self._remove = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def room(self) -> int:
        """Bytes a new film may still write here."""
        with self._lock:
            return self._room()

    def _room(self) -> int:
        stores = list(self._stores)
        try:
            free = shutil.disk_usage(self.path).free
        except OSError:
            free = 0  # the folder was taken away under the server: no film can be written
        if self.limit is not None:
            free = min(free, self.limit - sum(store.held for store in stores))
        return max(0, free - sum(store.outstanding for store in stores))

    def new_store(self, what: str, frames: int, width: int, height: int, received: int = 0) -> FrameStore:
        """A job folder for a film of ``frames`` frames of width × height (and ``received`` bytes of frames sent),
        or 507 ``not_enough_disk`` when they would not fit. The check and the reservation are one step, so two
        films cannot both count on the same free space."""
        needed = film_disk_bytes(frames, width, height, received)
        with self._lock:
            room = self._room()
            if needed > room:
                raise ApiError(507, "not_enough_disk", too_little_disk(what, frames, width, height, needed, room))
            store = FrameStore(Path(tempfile.mkdtemp(prefix="job-", dir=self.path)), needed, self._forget)
            self._stores.add(store)
        return store

    def _forget(self, store: FrameStore) -> None:
        with self._lock:
            self._stores.discard(store)

    def remove_all(self) -> None:
        """At shutdown: every job folder and the server's own."""
        with self._lock:
            stores, self._stores = list(self._stores), set()
        for store in stores:
            store.remove()
        self._remove()


class FrameStore:
    """One job's folder: the frames it received (``source_*``, read once and deleted), the frames it made
    (``frame_*.png``, the newest also in memory) and its film."""

    def __init__(self, path: Path, reserved: int, forget):
        self.path, self.reserved = path, reserved
        self.count = 0  # frames made
        self.sources = 0  # frames received
        self.held = 0  # bytes in the folder now
        self._written = 0  # bytes written so far, towards the reservation
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._finished = self.removed = False
        self._forget = forget
        self._lock = threading.Lock()

    @property
    def outstanding(self) -> int:
        """What the job may still write, of the room reserved for it."""
        return 0 if self._finished or self.removed else max(0, self.reserved - self._written)

    @property
    def cached_frames(self) -> int:
        return len(self._cache)

    @property
    def cached_bytes(self) -> int:
        with self._lock:
            return sum(len(png) for png in self._cache.values())

    def add_source(self, data: bytes) -> None:
        """A frame as it was received, kept for the job to read when its turn comes."""
        self._write(self._source_path(self.sources), data)
        self.sources += 1

    def source(self, index: int) -> Path:
        return self._source_path(index)

    def done_with_source(self, index: int) -> None:
        path = self._source_path(index)
        size = path.stat().st_size if path.exists() else 0
        path.unlink(missing_ok=True)
        with self._lock:
            self.held -= size

    def add_frame(self, png: bytes) -> None:
        """A frame made: to disk (whole, or not at all), and to the memory cache in place of the oldest there."""
        if self._write(self._frame_path(self.count), png):
            with self._lock:
                self._cache[self.count] = png
                while len(self._cache) > CACHE_FRAMES:
                    self._cache.popitem(last=False)
                self.count += 1

    def frame(self, index: int) -> BinaryIO | None:
        """Frame ``index``'s PNG from memory, or opened on disk; None if it is not made yet or no longer kept."""
        with self._lock:
            if index >= self.count or self.removed:
                return None
            cached = self._cache.get(index)
        if cached is not None:
            return io.BytesIO(cached)
        try:
            return open(self._frame_path(index), "rb")  # noqa: SIM115 - the response closes it once sent
        except OSError:
            return None  # removed meanwhile (cancelled, forgotten)

    def forget_frames(self) -> None:
        """The job starts again from the start (its cluster worker was lost): the frames it made, and its film, go."""
        with self._lock:
            self.count = 0
            self._cache.clear()
        for frame in self.path.glob("frame_*.png"):  # counted as written (_write); a film is counted when it ends
            size = frame.stat().st_size
            frame.unlink(missing_ok=True)
            with self._lock:
                self.held -= size
                self._written -= size
        for film in self.path.glob("film.*"):
            film.unlink(missing_ok=True)

    def film_path(self, film_format: str) -> Path:
        return self.path / f"film.{film_format}"

    def finish(self) -> None:
        """The job ended: what it wrote is counted as it is, its reservation is let go, and its memory cache too."""
        with self._lock:
            self._finished = True
            self._cache.clear()
            try:
                self.held = sum(f.stat().st_size for f in self.path.iterdir())
            except OSError:  # removed meanwhile (the server is stopping)
                self.held = 0

    def remove(self) -> None:
        with self._lock:
            self.removed = True
            self._cache.clear()
            self.held = 0
        shutil.rmtree(self.path, ignore_errors=True)
        self._forget(self)

    def _write(self, path: Path, data: bytes) -> bool:
        if self.removed:
            return False  # a cancelled job's last frame: its folder is gone
        partial = path.with_name(path.name + ".part")
        try:
            partial.write_bytes(data)
            os.replace(partial, path)  # a fetch never sees half a frame
        except OSError as exc:
            if self.removed:
                return False
            partial.unlink(missing_ok=True)
            raise DiskFull(f"The dream server could not write the film's frames ({exc.strerror}); free some disk "
                           "space there, or make a shorter film.") from None
        with self._lock:
            self.held += len(data)
            self._written += len(data)
        return True

    def _frame_path(self, index: int) -> Path:
        return self.path / f"frame_{index:05d}.png"

    def _source_path(self, index: int) -> Path:
        return self.path / f"source_{index:05d}"
