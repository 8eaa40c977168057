"""The dreamlayer protocol client: submit a dream, a zoom or a video, follow it, cancel it, fetch the result;
ask for a layer's channel atlas and a picture's channel ranking.

It talks to the server described in the README and in ``/v1/openapi.json``; both plugins and
``dreamlayer dream --server URL`` use it.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Iterator

from .films import film_problem
from .follow import losses_as_lost_jobs
from .protocol import (
    DEFAULT_URL, ClientError, ErrorInfo, JobFailed, JobLost, JobResult, JobState, JobStatus, LiveAnswer, RawImage, RawMask,
    ServerUnavailable, normalize_url,
)
from .wire import Part, dream_form, event_data, form_fields, multipart, picture_parts, read_result


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
        return self._submit("dreams", *dream_form(image, params, mask, guide, filename, document, position))

    def live(self, lane: str, image: RawImage, params: dict[str, Any] | None = None, mask: RawMask | None = None,
             document: tuple[int, int] | None = None, position: tuple[int, int] | None = None) -> LiveAnswer:
        """Dream ``image`` live in ``lane`` (one per document; see dreamlayer_editor.live) and wait for it. A newer
        request in the lane replaces this one: it then raises ClientError with the code "superseded"."""
        body, content_type = multipart(*dream_form(image, params, mask, None, "image.raw", document, position))
        data, headers = self._request("POST", f"/v1/live/{_quote(lane)}", body, {"Content-Type": content_type})
        return LiveAnswer(read_result(data, headers), float(headers.get("X-Dreamlayer-Live-Seconds") or 0),
                          headers.get("X-Dreamlayer-Live-Changed") != "no")

    def forget_lane(self, lane: str) -> None:
        """The server lets the lane go: what waits or runs in it stops, its last live dream is dropped."""
        self._request("DELETE", f"/v1/live/{_quote(lane)}")

    def submit_zoom(self, params: dict[str, Any], start_png: bytes | None = None, width: int = 512, height: int = 512) -> JobStatus:
        """Queue a zoom film from a picture (PNG bytes) or from noise of width × height. ``params`` holds the zoom
        fields (frames, zoom, rotate, steps_per_frame, format...) and any dream settings."""
        fields, files = form_fields(params), []
        if start_png is not None:
            files.append(("image", "start.png", "image/png", start_png))
        else:
            fields.update(width=width, height=height)
        return self._submit("zooms", fields, files)

    def submit_video(self, frames: list[bytes], params: dict[str, Any] | None = None) -> JobStatus:
        """Queue a video: ``frames`` are encoded pictures (PNG...), in order, all one size. ``params`` holds the video
        fields (steps_per_frame, blend, follow_motion, format...) and any dream settings."""
        files = [("frame", f"frame_{i:05d}.png", "image/png", data) for i, data in enumerate(frames)]
        return self._submit("videos", form_fields(params), files)

    def atlas(self, model: str, layer: str) -> dict:
        """A layer's channel pictures, made (with URLs) or not yet; asking keeps the server making them."""
        return self._json("GET", f"/v1/models/{_quote(model)}/layers/{_quote(layer)}/atlas")

    def picture_at(self, url: str) -> bytes:
        return self._request("GET", url)[0]  # a URL the server gave: a channel's picture

    def rank(self, image: RawImage | bytes, mask: RawMask | bytes | None, model: str, layer: str) -> list[dict]:
        """The layer's channels, strongest on ``image`` (inside ``mask``) first, with their share."""
        fields, files = picture_parts(image, mask, None, "image.png")
        return self._submit_json("rankings", {**form_fields({"model": model, "layer": layer}), **fields}, files)["channels"]

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
        return self._picture_if_ready(f"/v1/jobs/{_quote(job_id)}/frames/{int(index)}", "frame_not_ready")

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
        return self._picture_if_ready(f"/v1/jobs/{_quote(job_id)}/preview", "preview_not_ready")

    def _picture_if_ready(self, path: str, not_ready: str) -> bytes | None:
        """A job's picture at ``path``, or None while the server answers with the code ``not_ready``."""
        try:
            return self._request("GET", path)[0]
        except ClientError as exc:
            if exc.code == not_ready:
                return None
            raise

    def result(self, job_id: str, forget: bool = False) -> JobResult:
        """The result in the form of the upload (RawImage for raw pixels, else the file's bytes) and its seed;
        with ``forget``, the server then lets the job go (``delete``)."""
        body, headers = self._request("GET", f"/v1/jobs/{_quote(job_id)}/result")
        if forget:
            self.delete(job_id)
        return read_result(body, headers)

    def events(self, job_id: str) -> Iterator[JobStatus]:
        """Follow a job through Server-Sent Events until it ends."""
        request = self._build("GET", f"/v1/jobs/{_quote(job_id)}/events", None, {"Accept": "text/event-stream"})
        with self._open(request) as response:
            for data in event_data(response):
                status = JobStatus.from_json(json.loads(data))
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
            with losses_as_lost_jobs():
                status = self.status(job_id)
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
    def _submit(self, route: str, fields: dict[str, Any], files: list[Part]) -> JobStatus:
        return JobStatus.from_json(self._submit_json(route, fields, files))

    def _submit_json(self, route: str, fields: dict[str, Any], files: list[Part]) -> dict:
        """POST a multipart form to ``/v1/<route>``: the one way pictures are sent."""
        body, content_type = multipart(fields, files)
        return self._json("POST", f"/v1/{route}", body, {"Content-Type": content_type})

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


def _error_from_response(exc: urllib.error.HTTPError) -> ClientError:
    try:
        error = json.loads(exc.read().decode("utf-8"))["error"]
        return ClientError(error["message"], error["code"], exc.code)
    except (ValueError, KeyError, TypeError):
        return ClientError(f"The server answered {exc.code} {exc.reason}.", "http_error", exc.code)


def _quote(job_id: str) -> str:
    return urllib.parse.quote(job_id, safe="")
