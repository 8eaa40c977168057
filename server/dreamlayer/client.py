"""The dreamlayer protocol client: submit a dream, follow it, cancel it, fetch the result.

Standard library only (urllib, json, struct, zlib), because the Krita and GIMP plugins run it inside the editor's
embedded Python, which has no requests, numpy or Pillow. The plugins ship a copy of this very file, unchanged;
``dreamlayer dream --server URL`` uses it too. It talks to the server described in the README and in
``/v1/openapi.json``.
"""

from __future__ import annotations

import enum
import http.client
import json
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from typing import Any, Callable, Iterator, NamedTuple

DEFAULT_PORT = 37326  # D-R-E-A-M on a phone keypad; clear of ComfyUI (8188), A1111 (7860) and Ollama (11434)
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
BYTES_PER_CHANNEL = {"u8": 1, "u16": 2, "f16": 2, "f32": 4}
# A film's disk on the server, per frame, in bytes per pixel: the frame as an 8-bit RGB PNG (at most its raw bytes:
# level-1 zlib barely grows incompressible rows) and its share of the film (a GIF frame is about a byte a pixel;
# MP4, WebM and WebP far less). An upper estimate: what is checked before a film is taken.
FILM_BYTES_PER_PIXEL = 3 + 1
FILM_BYTES_PER_FRAME = 4096  # each file's headers, and each row's PNG filter byte, rounded up


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

    @property
    def fraction(self) -> float:
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
            Progress(p.get("step", 0), p.get("total", 0), p.get("octave", 0), p.get("octaves", 0)),
            FrameProgress(f.get("done", 0), f.get("total", 0)), data.get("queue_position", 0), data.get("eta_seconds"),
            ErrorInfo(error["code"], error["message"]) if error else None,
            data.get("preset"), data.get("settings"), data.get("film"),
            data.get("created", 0.0), data.get("started"), data.get("finished"),
        )


class JobResult(NamedTuple):
    image: RawImage | bytes  # raw pixels for a raw upload, else the encoded file (a picture, or a zoom's film)
    seed: int | None  # the seed that ran


class DreamClient:
    """One server, addressed by its base URL, with an optional bearer token."""

    def __init__(self, url: str = DEFAULT_URL, token: str | None = None, timeout: float = 30.0):
        self.url = normalize_url(url)
        self.token = token or None
        self.timeout = timeout

    # -- the API ---------------------------------------------------------------------------------------------
    def health(self) -> dict:
        return self._json("GET", "/v1/health")

    def models(self) -> dict:
        """The models and their layers (with the settings and presets, as ``settings()``)."""
        return self._json("GET", "/v1/models")

    def settings(self) -> dict:
        """Every setting (type, default, range or choices, label, help) and every preset, to build knobs from."""
        return self._json("GET", "/v1/settings")

    def submit(
        self,
        image: RawImage | bytes,
        params: dict[str, Any] | None = None,
        mask: RawMask | bytes | None = None,
        guide: bytes | None = None,
        filename: str = "image.png",
        document: tuple[int, int] | None = None,
        position: tuple[int, int] | None = None,
    ) -> JobStatus:
        """Queue a dream. ``image`` is raw pixels or an encoded picture file; ``guide`` an encoded picture.

        An editor dreaming part of a document says the document's size (``document``, so the server picks the
        feature size for the whole document) and where the part sits in it (``position``, so a selection's edge is
        softened inside the document but not along its border).
        """
        fields: dict[str, Any] = {k: _field(v) for k, v in (params or {}).items() if v is not None}
        if document is not None:
            fields.update(document_width=document[0], document_height=document[1])
        if position is not None:
            fields.update(region_x=position[0], region_y=position[1])
        files = []
        if isinstance(image, RawImage):
            if len(image.data) != image.expected_size():
                raise ClientError(f"Raw image is {len(image.data)} bytes; {image.width}×{image.height} {image.layout} {image.depth} needs {image.expected_size()}.")
            fields.update(width=image.width, height=image.height, layout=image.layout, depth=image.depth)
            files.append(("image", "image.raw", "application/octet-stream", image.data))
        else:
            files.append(("image", filename, "application/octet-stream" if filename.endswith(".raw") else _mime(filename), image))
        if isinstance(mask, RawMask):
            fields["mask_depth"] = mask.depth
            files.append(("mask", "mask.raw", "application/octet-stream", mask.data))
        elif mask is not None:
            files.append(("mask", "mask.png", "image/png", mask))
        if guide is not None:
            files.append(("guide", "guide.png", _mime("guide.png"), guide))
        body, content_type = _multipart(fields, files)
        return JobStatus.from_json(self._json("POST", "/v1/dreams", body, {"Content-Type": content_type}))

    def submit_zoom(self, params: dict[str, Any], start_png: bytes | None = None, width: int = 512, height: int = 512) -> JobStatus:
        """Queue a zoom film from a picture (PNG bytes) or from noise of width × height. ``params`` holds the zoom
        fields (frames, zoom, rotate, steps_per_frame, format...) and any dream settings."""
        fields: dict[str, Any] = {k: _field(v) for k, v in params.items() if v is not None}
        files = []
        if start_png is not None:
            files.append(("image", "start.png", "image/png", start_png))
        else:
            fields.update(width=width, height=height)
        body, content_type = _multipart(fields, files)
        return JobStatus.from_json(self._json("POST", "/v1/zooms", body, {"Content-Type": content_type}))

    def submit_video(self, frames: list[bytes], params: dict[str, Any] | None = None) -> JobStatus:
        """Queue a video: ``frames`` are encoded pictures (PNG...), in order, all one size. ``params`` holds the video
        fields (steps_per_frame, blend, follow_motion, format...) and any dream settings."""
        fields: dict[str, Any] = {k: _field(v) for k, v in (params or {}).items() if v is not None}
        files = [("frame", f"frame_{i:05d}.png", "image/png", data) for i, data in enumerate(frames)]
        body, content_type = _multipart(fields, files)
        return JobStatus.from_json(self._json("POST", "/v1/videos", body, {"Content-Type": content_type}))

    def check_film(self, what: str, frames: int | None, width: int, height: int, upload_bytes: int = 0) -> None:
        """Before sending a film (``what``: "zoom film" or "animation"; ``frames`` None: a zoom's default): refuse,
        saying what to change, one that this server's caps (``limits`` in ``GET /v1/health``) would refuse. A server
        that states no caps passes."""
        if frames is None:
            frames = next(s["default"] for s in self.settings()["zoom"] if s["name"] == "frames")
        problem = film_problem(self.health().get("limits") or {}, what, frames, width, height, upload_bytes)
        if problem:
            raise ClientError(problem, "film_too_big")

    def frame(self, job_id: str, index: int) -> bytes | None:
        """Frame ``index`` (from 0) of a zoom or video as PNG bytes, or None if it is not made yet."""
        try:
            return self._request("GET", f"/v1/jobs/{_quote(job_id)}/frames/{int(index)}")[0]
        except ClientError as exc:
            if exc.code == "frame_not_ready":
                return None
            raise

    def status(self, job_id: str) -> JobStatus:
        return JobStatus.from_json(self._json("GET", f"/v1/jobs/{_quote(job_id)}"))

    def cancel(self, job_id: str) -> JobStatus:
        """Stop the job; it stays, so its status says it was cancelled."""
        return JobStatus.from_json(self._json("POST", f"/v1/jobs/{_quote(job_id)}/cancel", b""))

    def delete(self, job_id: str) -> None:
        """Cancel the job if it has not ended and have the server forget it, freeing its memory and film folder
        now rather than when its time is up. A job already gone is fine."""
        try:
            self._request("DELETE", f"/v1/jobs/{_quote(job_id)}")
        except ClientError as exc:
            if exc.code != "unknown_job":
                raise

    def preview(self, job_id: str) -> bytes | None:
        """The latest octave's picture as PNG bytes, or None before the first octave is done."""
        try:
            return self._request("GET", f"/v1/jobs/{_quote(job_id)}/preview")[0]
        except ClientError as exc:
            if exc.code == "preview_not_ready":
                return None
            raise

    def result(self, job_id: str, forget: bool = False) -> JobResult:
        """The result in the form of the upload (RawImage for raw pixels, else the file's bytes) and its seed;
        with ``forget``, the server then lets the job go (``delete``)."""
        body, headers = self._request("GET", f"/v1/jobs/{_quote(job_id)}/result")
        if forget:
            self.delete(job_id)
        seed = int(headers["X-Dreamlayer-Seed"]) if headers.get("X-Dreamlayer-Seed", "").isdigit() else None
        if headers.get("Content-Type", "").startswith("application/octet-stream"):
            return JobResult(RawImage(
                int(headers["X-Dreamlayer-Width"]), int(headers["X-Dreamlayer-Height"]), body,
                headers["X-Dreamlayer-Layout"], headers["X-Dreamlayer-Depth"],
            ), seed)
        return JobResult(body, seed)

    def events(self, job_id: str) -> Iterator[JobStatus]:
        """Follow a job through Server-Sent Events until it ends."""
        request = self._build("GET", f"/v1/jobs/{_quote(job_id)}/events", None, {"Accept": "text/event-stream"})
        with self._open(request) as response:
            data = []
            for raw_line in response:
                line = raw_line.decode("utf-8").rstrip("\r\n")
                if line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    status = JobStatus.from_json(json.loads("\n".join(data)))
                    data = []
                    yield status
                    if status.finished:
                        return

    def wait(
        self,
        job_id: str,
        on_progress: Callable[[JobStatus], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        poll_seconds: float = 0.25,
    ) -> JobStatus:
        """Poll until the job ends; cancels it if ``should_cancel()`` turns true. Raises JobFailed unless done, and
        JobLost if the server forgot the job (restarted, or its result expired) or stopped answering mid-way."""
        while True:
            try:
                status = self.status(job_id)
            except ServerUnavailable as exc:
                raise JobLost(f"The dream server stopped answering during the dream ({exc}).", "server_restarted") from None
            except ClientError as exc:
                if exc.code in ("unknown_job", "expired"):
                    raise JobLost(str(exc), exc.code) from None
                raise
            if on_progress is not None:
                on_progress(status)
            if status.finished:
                break
            if should_cancel is not None and should_cancel():
                self.cancel(job_id)
            time.sleep(poll_seconds)
        if status.state == JobState.EXPIRED:
            raise JobLost("The server let the result go before it was fetched.", "expired")
        if status.state != JobState.DONE:
            error = status.error or ErrorInfo(status.state.value, "The dream was cancelled.")
            raise JobFailed(error.message, error.code)
        return status

    # -- HTTP plumbing ---------------------------------------------------------------------------------------
    def _build(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> urllib.request.Request:
        headers = dict(headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return urllib.request.Request(self.url + path, data=body, headers=headers, method=method)

    def _open(self, request: urllib.request.Request):
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            raise _error_from_response(exc) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: Exception) -> ServerUnavailable:
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        return ServerUnavailable(
            f"Can't reach the dreamlayer server at {self.url} ({reason}). Is `dreamlayer serve` running?",
            "server_unavailable",
        )

    def _request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[bytes, dict[str, str]]:
        with self._open(self._build(method, path, body, headers or {})) as response:
            try:
                return response.read(), dict(response.headers.items())
            except (OSError, http.client.HTTPException) as exc:  # the server went away mid-answer
                raise self._unavailable(exc) from None

    def _json(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> dict:
        data, _ = self._request(method, path, body, headers)
        return json.loads(data.decode("utf-8"))


def film_disk_bytes(frames: int, width: int, height: int, received: int = 0) -> int:
    """The disk a zoom or video of ``frames`` frames of width × height needs on the server, about: each frame as
    PNG, the film, and the ``received`` bytes of the frames sent. The one estimate, for the server and the plugins."""
    return frames * (width * height * FILM_BYTES_PER_PIXEL + FILM_BYTES_PER_FRAME) + received


def too_little_disk(what: str, frames: int, width: int, height: int, needed: int, free: int) -> str:
    return (f"This {what} ({frames} frames of {width}×{height}) needs about {_amount(needed)} of disk on the dream "
            f"server, which has {_amount(free)} free for films. Make fewer frames or a smaller picture, or free disk "
            "space there (whoever runs it can also give it another folder with `dreamlayer serve --film-folder`).")


def film_problem(limits: dict[str, Any], what: str, frames: int, width: int, height: int, upload_bytes: int = 0) -> str | None:
    """What in a film stops the server described by ``limits`` (health's) from taking it, with what to change;
    None when nothing does. Caps the server does not state are not checked."""
    max_pixels, max_frames = limits.get("max_pixels"), limits.get("max_video_frames")
    max_upload, free = limits.get("max_video_upload_bytes"), limits.get("film_disk_free_bytes")
    if max_pixels and width * height > max_pixels:
        return (f"The {what}'s frames are {width}×{height}, more than the {max_pixels:,} pixels a frame may have on "
                "this server. Scale the image down or crop it.")
    if what == "animation" and max_frames and frames > max_frames:
        return f"The animation has {frames} frames; this server takes at most {max_frames}. Dream a shorter clip."
    if what == "animation" and max_upload and upload_bytes > max_upload:
        return (f"The animation's {frames} frames come to {_amount(upload_bytes)}; this server takes at most "
                f"{_amount(max_upload)} in one upload. Dream a shorter clip or a smaller canvas.")
    needed = film_disk_bytes(frames, width, height, upload_bytes)
    if free is not None and needed > free:
        return too_little_disk(what, frames, width, height, needed, free)
    return None


def _amount(size: int) -> str:
    """Bytes as an artist reads them: 1.2 GB, 340 MB."""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


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


def _error_from_response(exc: urllib.error.HTTPError) -> ClientError:
    try:
        error = json.loads(exc.read().decode("utf-8"))["error"]
        return ClientError(error["message"], error["code"], exc.code)
    except (ValueError, KeyError, TypeError):
        return ClientError(f"The server answered {exc.code} {exc.reason}.", "http_error", exc.code)


def _quote(job_id: str) -> str:
    return urllib.parse.quote(job_id, safe="")


def _field(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _mime(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()
    return {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "tif": "image/tiff", "tiff": "image/tiff"}.get(ext, "application/octet-stream")


def _multipart(fields: dict[str, Any], files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "dreamlayer-" + uuid.uuid4().hex
    chunks = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, mime, data in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'
        chunks += [head.encode(), data, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """An 8-bit RGBA PNG from raw bytes, for sending a guide picture from an editor without Pillow."""
    stride = width * 4
    rows = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(height))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")
