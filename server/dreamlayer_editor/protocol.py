"""The protocol's words, as the client reads them: the default address, errors, job states, raw pictures and a
job's status. Standard library only, like the whole package.

The server's job states are these (``dreamlayer.server.job`` takes them from ``JobState``), so the two sides read
one list.
"""

from __future__ import annotations

import enum
import urllib.parse
from typing import Any, NamedTuple

DEFAULT_PORT = 37326  # D-R-E-A-M on a phone keypad; clear of ComfyUI (8188), A1111 (7860) and Ollama (11434)
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
BYTES_PER_CHANNEL = {"u8": 1, "u16": 2, "f16": 2, "f32": 4}


class ClientError(Exception):
    """Something went wrong talking to the server; ``str()`` is a message for the artist."""

    def __init__(self, message: str, code: str = "client_error", status: int = 0):
        super().__init__(message)
        self.code, self.status = code, status


class ServerUnavailable(ClientError):
    """The server could not be reached at all."""


class JobFailed(ClientError):
    """The dream ended in failure or was cancelled."""


class JobLost(ClientError):
    """The server no longer knows the job (it was restarted, or let the result go): submitting again is safe."""


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # finished, but its result had to be let go before anyone fetched it

    @property
    def final(self) -> bool:
        return self not in (JobState.QUEUED, JobState.RUNNING)


class RawImage(NamedTuple):
    """Uncompressed pixels, row by row, top to bottom, little-endian."""

    width: int
    height: int
    data: bytes
    layout: str = "RGBA"  # RGBA, BGRA or RGB
    depth: str = "u8"  # u8, u16, f16 or f32

    def expected_size(self) -> int:
        return self.width * self.height * len(self.layout) * BYTES_PER_CHANNEL[self.depth]


class RawMask(NamedTuple):
    """One value per pixel, 0 = leave alone, full = dream; ``u8`` (0..255) or ``f32`` (0..1)."""

    data: bytes
    depth: str = "u8"


class Progress(NamedTuple):
    """How far the dream is: steps over all its octaves (for a zoom, the current frame's dream)."""

    step: int
    total: int
    octave: int
    octaves: int
    work: float = 0.0  # the share done, steps weighted by their scale's pixels (0 from a server that doesn't say)

    @property
    def fraction(self) -> float:
        if self.work:
            return min(1.0, self.work)
        return self.step / self.total if self.total else 0.0


class FrameProgress(NamedTuple):
    """How many of a zoom's frames are made; 0 of 0 for a single dream."""

    done: int
    total: int


class ErrorInfo(NamedTuple):
    code: str
    message: str


class JobStatus(NamedTuple):
    id: str
    kind: str  # dream or zoom
    state: JobState
    progress: Progress
    frames: FrameProgress
    queue_position: int  # 1 = next; 0 when not waiting
    eta_seconds: float | None
    error: ErrorInfo | None
    preset: str | None
    settings: dict[str, Any] | None  # the dream settings that run, seed and feature scale resolved
    film: dict[str, Any] | None  # a zoom's film settings
    created: float  # seconds since the epoch, on the server's clock
    started: float | None
    ended: float | None

    @property
    def finished(self) -> bool:
        return self.state.final

    @property
    def fraction(self) -> float:
        """The share of the whole job done: of its frames for a zoom, of its steps for a dream."""
        if self.frames.total:
            return min(1.0, (self.frames.done + self.progress.fraction) / self.frames.total)
        return self.progress.fraction

    @classmethod
    def from_json(cls, data: dict) -> JobStatus:
        p, f, error = data.get("progress") or {}, data.get("frames") or {}, data.get("error")
        return cls(
            data["id"], data.get("kind", "dream"), JobState(data["state"]),
            Progress(p.get("step", 0), p.get("total", 0), p.get("octave", 0), p.get("octaves", 0), p.get("work", 0.0)),
            FrameProgress(f.get("done", 0), f.get("total", 0)), data.get("queue_position", 0), data.get("eta_seconds"),
            ErrorInfo(error["code"], error["message"]) if error else None,
            data.get("preset"), data.get("settings"), data.get("film"),
            data.get("created", 0.0), data.get("started"), data.get("finished"),
        )


class JobResult(NamedTuple):
    image: RawImage | bytes  # raw pixels for a raw upload, else the encoded file (a picture, or a zoom's film)
    seed: int | None  # the seed that ran


class LiveAnswer(NamedTuple):
    """A live dream as the server answered it (``DreamClient.live``)."""

    result: JobResult
    seconds: float  # the server's time for it
    changed: bool  # False: nothing had changed, nothing was dreamed, the last live dream came back


def normalize_url(url: str) -> str:
    """Accept ``host:port`` or a full URL; a wildcard bind address means this machine."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "[::]": "[::1]"}.get(parts.hostname or "", None)
    if host is not None:
        url = urllib.parse.urlunsplit(parts._replace(netloc=f"{host}:{parts.port or DEFAULT_PORT}"))
    return url
