"""The v1 HTTP API. Each view is short: it validates, then hands work to the job queue."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, send_file, stream_with_context, url_for

from .. import __version__
from ..catalog import describe_models
from ..engine.devices import precisions
from ..params import describe
from .errors import ApiError, shutting_down
from .job import CANCELLED, EXPIRED, FAILED, FINAL_STATES, Job, Result
from .limits import check_upload_size
from .openapi import build_spec
from .services import services
from .streams import follow
from .dream_requests import parse_dream_request
from .film_requests import parse_video_request, parse_zoom_request

v1 = Blueprint("v1", __name__, url_prefix="/v1")
# The only request bodies that start work, on every route. A web page can send a urlencoded or text/plain form to
# any server without a CORS preflight; refusing them everywhere leaves one shape to guard. (A page can also send
# multipart: the Origin and Sec-Fetch-Site checks in security.py refuse that.)
WORK_TYPES = ("multipart/form-data", "application/octet-stream")


def _status(job: Job) -> dict:
    body = services().queue.describe(job)
    body["urls"] = {name: url_for(f"v1.{view}", job_id=job.id) for name, view in
                    (("self", "job_status"), ("events", "job_events"), ("preview", "job_preview"), ("result", "job_result"))}
    return body


def _enqueue(parse, kind: str):
    """Refuse early while stopping, parse and validate the upload, queue it, answer 202."""
    s = services()
    if request.mimetype not in WORK_TYPES:
        raise ApiError(415, "unsupported_media_type", "Send the request as multipart/form-data (or raw pixels as application/octet-stream).")
    if not s.queue.accepting:
        raise shutting_down()
    check_upload_size(request, kind, s.limits)
    upload = parse(request, s.limits)
    job = s.queue.submit(upload, kind=kind, lease=upload.lease, settings=upload.job_settings(), store=upload.store)
    response = jsonify(_status(job))
    response.status_code = 202
    response.headers["Location"] = url_for("v1.job_status", job_id=job.id)
    return response


@v1.get("/health")
def health():
    """Version, device, loaded models, queue length, when the server started, and every cap on what it takes."""
    s = services()
    cluster = {"cluster": {"address": current_app.config["CLUSTER"], "workers": s.cluster.describe()}} if s.cluster else {}
    return jsonify(version=__version__, device=s.cluster.description if s.cluster else str(s.runner.device),
                   started=current_app.config["STARTED"], models_loaded=s.runner.loaded_models,
                   queue=s.queue.stats(), live=s.live.stats(), accepting=s.queue.accepting, limits=s.limits.describe(),
                   event_streams={"open": s.streams.open, "limit": s.streams.limit}, **cluster)


@v1.get("/models")
def models():
    """Models with their layers, and (as /v1/settings) every setting and preset, for filling a plugin's knobs."""
    settings = describe()
    return jsonify(models=describe_models(), presets=settings["presets"], settings=settings)


@v1.get("/settings")
def settings():
    """Every setting (type, default, range or choices, label, help) and every preset's values."""
    return jsonify(describe())


@v1.get("/openapi.json")
def openapi():
    """This API's OpenAPI 3 description."""
    return jsonify(build_spec(precisions(services().limits.device_type)))


@v1.post("/dreams")
def submit_dream():
    """Queue a dream; answers 202 with the job's id and URLs."""
    return _enqueue(parse_dream_request, "dream")


@v1.post("/zooms")
def submit_zoom():
    """Queue a zoom film; answers 202 with the job's id and URLs. Frames can be fetched while it runs."""
    return _enqueue(parse_zoom_request, "zoom")


@v1.post("/videos")
def submit_video():
    """Queue a video: its frames dreamed in order, each carrying the last one's dream along the motion. Frames can
    be fetched while it runs; the film is the result."""
    return _enqueue(parse_video_request, "video")


@v1.get("/jobs/<job_id>/frames/<int:index>")
def job_frame(job_id: str, index: int):
    """Frame ``index`` (from 0) of a zoom, as PNG, as soon as it is made."""
    job = _kept(services().queue.get(job_id))
    if job.state == FAILED:  # its job folder is gone
        raise ApiError(409, "job_failed", job.error["message"] if job.error else "The dream failed.")
    if job.state == CANCELLED:
        raise ApiError(409, "job_cancelled", "The dream was cancelled.")
    frame = job.store.frame(index) if job.store is not None else None  # from memory, or opened in the job folder
    if frame is None:
        done, total = (job.store.count if job.store is not None else 0), (job.settings.frames if job.settings else 0)
        if index >= total:
            numbers = f" (0 to {total - 1})" if total else ""
            raise ApiError(404, "no_such_frame", f"There is no frame {index}: this {job.kind} has {total} frames{numbers}.")
        if job.state in FINAL_STATES:
            raise ApiError(404, "no_such_frame", f"There is no frame {index}: this {job.kind} ended ({job.state}) "
                           f"after {done} of its {total} frames.")
        raise ApiError(404, "frame_not_ready", f"Frame {index} is not made yet ({done} of {total} so far).")
    return send_file(frame, mimetype="image/png")


@v1.get("/jobs/<job_id>")
def job_status(job_id: str):
    """A job's state, progress, ETA and error."""
    return jsonify(_status(services().queue.get(job_id)))


@v1.post("/jobs/<job_id>/cancel")
def cancel_job(job_id: str):
    """Cancel: a queued job never starts; a running one stops within one step. The job stays, to say so."""
    return jsonify(_status(services().queue.cancel(job_id)))


@v1.delete("/jobs/<job_id>")
def delete_job(job_id: str):
    """Cancel the job if it runs or waits, and forget it: from now on it is an unknown job."""
    services().queue.delete(job_id)
    return Response(status=204)


@v1.get("/jobs/<job_id>/events")
def job_events(job_id: str):
    """The job's status as Server-Sent Events, one per change, until it ends; 503 beyond the stream cap."""
    s = services()
    job = s.queue.get(job_id)
    if not s.queue.accepting:  # streams open now would be ended within seconds
        raise shutting_down()
    s.streams.admit()
    response = Response(stream_with_context(follow(job, s.queue, s.streams, _status)), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response.call_on_close(s.streams.release)  # waitress closes the response however the stream ends
    return response


@v1.get("/jobs/<job_id>/preview")
def job_preview(job_id: str):
    """The picture after the latest finished octave, as PNG."""
    preview = _kept(services().queue.get(job_id)).preview  # read once: the memory budget may drop it
    if preview is None:
        raise ApiError(404, "preview_not_ready", "No octave has finished yet.")
    return Response(preview, mimetype="image/png")


@v1.get("/jobs/<job_id>/result")
def job_result(job_id: str):
    """The dreamed picture, in the form and depth of the upload."""
    queue = services().queue
    job = queue.get(job_id)
    result = job.result  # read once: the memory budget may drop it at any moment
    if result is None:
        _kept(job)
        if job.error:
            raise ApiError(409, "job_failed", job.error["message"])
        code, message = ("job_cancelled", "The dream was cancelled.") if job.state == CANCELLED else ("not_finished", "The dream is not finished yet.")
        raise ApiError(409, code, message)
    queue.mark_fetched(job)
    return _send(result)


def _send(result: Result) -> Response:
    """A result from memory, or a film from its job folder."""
    if result.path is None:
        return Response(result.body, mimetype=result.mimetype, headers=result.headers)
    try:
        film = open(result.path, "rb")  # noqa: SIM115 - the response closes it once sent
    except OSError:  # its job folder went (the server is stopping) between the status and this
        raise ApiError(410, "expired", "This film is no longer kept.") from None
    response = send_file(film, mimetype=result.mimetype)
    response.headers.update(result.headers)
    return response


def _kept(job: Job) -> Job:
    """The job, unless its pictures were dropped to stay within the memory budget: then 410 ``expired``."""
    if job.state == EXPIRED:
        raise ApiError(410, "expired", job.error["message"] if job.error else "This result is no longer kept.")
    return job
