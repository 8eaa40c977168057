"""What crosses between the front and a worker: the job's request on the way out, typed events on the way back.

A request is the one the front parsed (one parse of each request), sent as it is, but for its job folder: the
front's disk is not the worker's. A zoom's or video's folder is replaced by a ``WorkerFolder``, made on the worker
where its film is written; a video's received frames travel with it as Ray objects, fetched one at a time as the
film reaches them. The film comes back in chunks once made, each frame as it is made.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray

from ..engine import Progress
from ..errors import DreamlayerError

FILM_CHUNK = 8 * 2**20  # bytes of a film per event on its way back


class WorkerFolder:
    """A film job's folder on the worker: its received frames (fetched when asked for) and its film."""

    def __init__(self, sources: list[ray.ObjectRef]):
        self.sources = sources
        self._path: Path | None = None

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix="dreamlayer-worker-job-"))
        return self._path

    def source(self, index: int) -> Path:
        path = self.path / f"source_{index:05d}"
        path.write_bytes(ray.get(self.sources[index]))
        return path

    def done_with_source(self, index: int) -> None:
        (self.path / f"source_{index:05d}").unlink(missing_ok=True)

    def film_path(self, film_format: str) -> Path:
        return self.path / f"film.{film_format}"

    def remove(self) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)


def for_worker(request: Any) -> Any:
    """The request as a worker takes it: a film's job folder replaced by one of the worker's own."""
    store = getattr(request, "store", None)
    if store is None:
        return request
    count = getattr(request, "count", 0)  # a video's received frames; a zoom has none
    sources = [ray.put(store.source(index).read_bytes()) for index in range(count)]
    return dataclasses.replace(request, store=WorkerFolder(sources))


# -- events, worker to front -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Started:
    worker: str  # the worker's name, as /v1/health lists it


@dataclass(frozen=True)
class Stepped:
    progress: Progress


@dataclass(frozen=True)
class Previewed:
    png: bytes


@dataclass(frozen=True)
class FrameMade:
    png: bytes


@dataclass(frozen=True)
class FilmChunk:
    data: bytes


@dataclass(frozen=True)
class Finished:
    body: bytes
    mimetype: str
    headers: dict[str, str]
    film: bool  # the result is the film sent in chunks


@dataclass(frozen=True)
class Stopped:
    """The job saw its cancel at a step."""


@dataclass(frozen=True)
class Failed:
    code: str
    message: str


class WorkerJobError(DreamlayerError):
    """A job failed on its worker, with the worker's code and message (the front reports them as they are)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class WorkerLost(DreamlayerError):
    code = "worker_lost"
