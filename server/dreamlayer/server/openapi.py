"""The OpenAPI 3 description of the API, served at ``/v1/openapi.json``.

Every field of a request is a setting of ``dreamlayer.params``, so the request schemas are made from it; only the
shapes of the answers are written out here.
"""

from __future__ import annotations

import re
from typing import Any

from .. import __version__
from ..catalog import MODELS, get_model
from ..params import DreamParams, DreamUpload, Knobs, VideoSettings, VideoUpload, ZoomSettings, ZoomUpload
from ..params.dream import PRECISIONS
from .job import STATES
from .limits import STATED_CAPS
from .openapi_atlas import atlas_paths, atlas_schemas
from .openapi_live import live_paths

_SCHEMA_KEYS = {"type": "type", "minimum": "minimum", "maximum": "maximum", "choices": "enum", "default": "default"}
_BINARY = {"type": "string", "format": "binary"}
PICTURE_TYPES = "image/png, image/jpeg, image/webp, image/tiff"  # what a picture part may be
# Described here: pictures as files, and fields as text spelled as JSON Schema values are (true/false; a setting
# left to the server left out). Not described, because an OpenAPI operation cannot make a body's length depend on
# its fields: raw pixels, as an application/octet-stream part or a bare body of /v1/dreams with its fields as
# query parameters (README: the plugins send those), and raw masks.


def field_schemas(knobs: type[Knobs]) -> dict[str, dict[str, Any]]:
    """Each setting as a JSON Schema: type, range or choices, default, and its help as the description."""
    schemas = {}
    for described in knobs.describe():
        schema = {_SCHEMA_KEYS[k]: v for k, v in described.items() if k in _SCHEMA_KEYS and v is not None}
        schema["description"] = f"{described['label']}: {described['help']}"
        schemas[described["name"]] = schema
    return schemas


def _model_fields(fields: dict[str, dict[str, Any]], precisions: tuple[str, ...]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The dream fields with model, layer, channels and precision as this server takes them, and the rules tying
    a layer to its model: the downloaded models only; a layer of the model chosen (without one, of the default
    model); channel numbers that every such layer has (0 to 9: every layer has more than ten); the precisions the
    server's device runs."""
    names = [name for name in MODELS if get_model(name).available()] or list(MODELS)
    fields = dict(fields)
    fields["model"] = {**fields["model"], "enum": names}
    fields["precision"] = {**fields["precision"], "enum": list(precisions)}
    fields["channels"] = {**fields["channels"], "pattern": r"^(all|strongest(:[1-9])?|[0-9](,[0-9])*)?$"}
    if len(names) == 1:
        fields["layer"] = {**fields["layer"], "pattern": _layer_pattern(names[0])}
        return fields, []
    default = fields["model"]["default"]
    rules = [{"if": {"required": ["model"], "properties": {"model": {"const": name}}},
              "then": {"properties": {"layer": {"pattern": _layer_pattern(name)}}}} for name in names]
    rules.append({"if": {"not": {"required": ["model"]}}, "then": {"properties": {"layer": {"pattern": _layer_pattern(default)}}}})
    return fields, rules


def _layer_pattern(model: str) -> str:
    """NAME or NAME=WEIGHT, comma-separated, of the model's layers; empty for its default layer."""
    one = f"({'|'.join(re.escape(layer) for layer in get_model(model).layers)})(=-?[0-9]+(\\.[0-9]+)?)?"
    return f"^({one}(,{one})*)?$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description: str, ref: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(ref)}}}


def _binary(description: str, *mimetypes: str) -> dict[str, Any]:
    return {"description": description, "content": {mime: {"schema": _BINARY} for mime in mimetypes}}


# waitress itself answers an over-large body with plain text, before the body is read and before Flask runs.
_TOO_LARGE = {"description": "The upload or picture is too large", "content": {
    "application/json": {"schema": _ref("Error")}, "text/plain": {"schema": {"type": "string"}}}}
_COMMON = {"401": _error("Missing or wrong access token"), "403": _error("Refused: foreign Host or Origin")}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "string"}}}
_BUSY = {**_error("The queue is full (queue_full) or the server is stopping (shutting_down)"), "headers": _RETRY_AFTER}
_EXPIRED = _error("The result was dropped to stay within the server's memory budget for results")
_JOB_ID = [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}]


def _submit(summary: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"post": {"summary": summary, "requestBody": {"required": True, "content": content}, "responses": {
        "202": _json("Queued", "JobStatus"), "413": _TOO_LARGE,
        "400": _error("A malformed body, a field given twice or a second picture part"),
        "415": _error("Not the body this route takes"),
        "422": _error("Bad settings or an unreadable picture; over_budget: larger than this server's caps "
                      "on pixel-steps, which depend on how it was started"), "503": _BUSY,
        "507": _error("A film that needs more disk than the server has free for films"), **_COMMON}}}


def _form(properties: dict[str, Any], precisions: tuple[str, ...] | None, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A multipart body: these parts and fields and no others (the server refuses unknown names), each picture
    part a picture file. With ``precisions``, the dream settings' model, layer, channels and precision rules."""
    properties, rules = _model_fields(properties, precisions) if precisions is not None else (properties, [])
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    if rules:
        schema["allOf"] = rules
    pictures = [name for name, part in properties.items() if "binary" in (part.get("format"), part.get("items", {}).get("format"))]
    return {"schema": schema, "encoding": {name: {"contentType": PICTURE_TYPES} for name in pictures}}


# The status of a job, one Server-Sent Event per change: ``event: status`` and the JobStatus as JSON data. (The
# stream's first chunk, ``retry:`` and a comment, and its keepalive comments carry no data and so are no events.)
_STATUS_EVENT = {"type": "object", "required": ["event", "data"], "properties": {
    "event": {"const": "status"},
    "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": _ref("JobStatus")}}}


def _paths(precisions: tuple[str, ...]) -> dict[str, Any]:
    pictures = {"image": {**_BINARY, "description": "the picture"},
                "mask": {**_BINARY, "description": "the selection, as a grey picture of the same size (white: dream)"},
                "guide": {**_BINARY, "description": "a picture whose features the dream reaches for"}}
    dream_fields = {**field_schemas(DreamUpload), **field_schemas(DreamParams)}
    zoom_fields = {"image": {**_BINARY, "description": "picture to start from; without it, noise of width × height"},
                   **field_schemas(ZoomUpload), **field_schemas(ZoomSettings), **field_schemas(DreamParams)}
    del zoom_fields["steps"]  # a zoom's steps_per_frame takes its place
    video_fields = {"frame": {"type": "array", "items": _BINARY, "minItems": 1,
                              "description": "the frames in order, as PNG, JPEG, WebP or TIFF, all one size"},
                    **field_schemas(VideoUpload), **field_schemas(VideoSettings), **field_schemas(DreamParams)}
    job = {"parameters": _JOB_ID}
    return {
        "/v1/health": {"get": {"summary": "Version, device, loaded models, queue", "responses": {"200": _json("Server health", "Health"), **_COMMON}}},
        "/v1/models": {"get": {"summary": "Models and their layers, with presets and settings", "responses": {"200": _json("Models", "Models"), **_COMMON}}},
        "/v1/settings": {"get": {"summary": "Every setting (type, default, range, label, help) and every preset",
                                 "responses": {"200": _json("Settings", "Settings"), **_COMMON}}},
        "/v1/dreams": _submit("Queue a dream", {"multipart/form-data": _form({**pictures, **dream_fields}, precisions, ("image",))}),
        "/v1/zooms": _submit("Queue a zoom film (from a picture, or from noise of width × height)", {
            "multipart/form-data": _form(zoom_fields, precisions)}),
        "/v1/videos": _submit("Queue a video: frames dreamed in order, following the motion", {
            "multipart/form-data": _form(video_fields, precisions, ("frame",))}),
        "/v1/jobs/{job_id}": {**job,
            "get": {"summary": "A job's state, progress and settings", "responses": {"200": _json("Status", "JobStatus"), "404": _error("Unknown job"), **_COMMON}},
            "delete": {"summary": "Cancel the job if it has not ended, and forget it", "responses": {
                "204": {"description": "Forgotten: the job is unknown from now on"}, "404": _error("Unknown job"), **_COMMON}}},
        "/v1/jobs/{job_id}/cancel": {**job, "post": {"summary": "Cancel a job; it stays, with the state cancelled", "responses": {
            "200": _json("Status after cancelling (a running job stops within one step)", "JobStatus"),
            "404": _error("Unknown job"), **_COMMON}}},
        "/v1/jobs/{job_id}/events": {**job, "get": {"summary": "The job's status as Server-Sent Events", "responses": {
            "200": {"description": "one status event per change, until the job ends",
                    "content": {"text/event-stream": {"schema": _STATUS_EVENT}}},
            "404": _error("Unknown job"),
            "503": {**_error("Too many event streams are open, or the server is stopping"), "headers": _RETRY_AFTER}, **_COMMON}}},
        "/v1/jobs/{job_id}/preview": {**job, "get": {"summary": "The picture after the latest octave", "responses": {
            "200": _binary("PNG", "image/png"), "404": _error("Unknown job, or no octave finished yet"), "410": _EXPIRED, **_COMMON}}},
        "/v1/jobs/{job_id}/frames/{index}": {
            "parameters": [*_JOB_ID, {"name": "index", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}],
            "get": {"summary": "One finished frame of a zoom, as PNG", "responses": {
                "200": _binary("PNG", "image/png"), "404": _error("Unknown job, no such frame (no_such_frame), or not made yet (frame_not_ready)"),
                "409": _error("The film failed (job_failed) or was cancelled (job_cancelled)"), "410": _EXPIRED,
                **_COMMON}}},
        "/v1/jobs/{job_id}/result": {**job, "get": {"summary": "The result, in the form and depth of the upload", "responses": {
            "200": {**_binary("raw pixels (X-Dreamlayer-* headers) or the upload's file format", "application/octet-stream", "image/png",
                              "image/jpeg", "image/webp", "image/tiff", "image/gif", "video/mp4", "video/webm"),
                    "headers": {"X-Dreamlayer-Seed": {"schema": {"type": "string"}}}},
            "404": _error("Unknown job"), "409": _error("Not finished, failed or cancelled"), "410": _EXPIRED, **_COMMON}}},
        "/v1/openapi.json": {"get": {"summary": "This document", "responses": {
            "200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}}, **_COMMON}}},
        **atlas_paths(field_schemas, lambda fields, required: _form(fields, None, required), _COMMON),
        **live_paths(field_schemas, {**pictures, **dream_fields}, lambda fields: _form(fields, precisions, ("image",)), _COMMON),
    }


def _job_status() -> dict[str, Any]:
    counts = {"type": "integer", "minimum": 0}
    return {
        "type": "object",
        "required": ["id", "kind", "state", "progress", "frames", "eta_seconds", "error", "queue_position", "settings"],
        "properties": {
            "id": {"type": "string"}, "kind": {"type": "string", "enum": ["dream", "zoom", "video"]},
            "state": {"type": "string", "enum": list(STATES)},
            "progress": {"type": "object", "description": "within the dream (of the current frame, for a zoom)",
                         "required": ["step", "total", "octave", "octaves", "work"],
                         "properties": {**{k: counts for k in ("step", "total", "octave", "octaves")},
                                        "work": {"type": "number", "minimum": 0, "maximum": 1, "description":
                                                 "The share of the dream done: steps weighted by their scale's pixels"}}},
            "frames": {"type": "object", "required": ["done", "total"], "properties": {"done": counts, "total": counts}},
            "eta_seconds": {"type": ["number", "null"]}, "queue_position": counts,
            "error": {"oneOf": [{"type": "null"}, _ref("ErrorBody")]},
            "created": {"type": "number"}, "started": {"type": ["number", "null"]}, "finished": {"type": ["number", "null"]},
            "has_preview": {"type": "boolean"},
            "preset": {"type": ["string", "null"]},
            "settings": {"type": ["object", "null"], "description": "the dream settings that run, seed and scale resolved"},
            "film": {"type": ["object", "null"], "description": "a zoom's or a video's film settings"},
            "urls": {"type": "object", "additionalProperties": {"type": "string"}},
            "worker": {"type": ["string", "null"], "description": "on a cluster: the worker that runs it"},
            "retries": {**counts, "description": "on a cluster: times it ran again, from the start, after losing its worker"},
            "notice": {"type": ["string", "null"], "description": "why it ran again"},
        },
    }


def _components() -> dict[str, Any]:
    obj = {"type": "object"}
    return {
        "schemas": {
            "ErrorBody": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
            "Error": {"type": "object", "required": ["error"], "properties": {"error": _ref("ErrorBody")}},
            "JobStatus": _job_status(),
            "Health": {"type": "object", "required": ["version", "device", "models_loaded", "queue"], "properties": {
                "version": {"type": "string"}, "device": {"type": "string"},
                "started": {"type": "number", "description": "when the server started, in seconds since the epoch"},
                "models_loaded": {"type": "array", "items": {"type": "string"}},
                "queue": obj, "live": obj, "accepting": {"type": "boolean"},
                "cluster": {"type": "object", "description": "on a cluster (serve --cluster): its address and workers"},
                "limits": {"type": "object", "description": "every cap on what the server takes",
                           "properties": {**{name: {"type": "integer", "minimum": 0} for name in STATED_CAPS},
                                          "precisions": {"type": "array", "items": {"type": "string"},
                                                         "description": "the precisions the server's device runs"}}},
                "event_streams": {"type": "object", "properties": {
                    "open": {"type": "integer", "minimum": 0}, "limit": {"type": "integer", "minimum": 0}}}}},
            "Settings": {"type": "object", "required": ["dream", "zoom", "video", "presets", "default_preset"], "properties": {
                "dream": {"type": "array", "items": obj}, "zoom": {"type": "array", "items": obj},
                "video": {"type": "array", "items": obj}, "atlas": {"type": "array", "items": obj},
                "live": {"type": "array", "items": obj}, "presets": obj,
                "default_preset": {"type": "string"}}},
            "Models": {"type": "object", "required": ["models", "presets", "settings"], "properties": {
                "models": {"type": "array", "items": obj}, "presets": obj, "settings": _ref("Settings")}},
            **atlas_schemas(field_schemas),
        },
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    }


def build_spec(precisions: tuple[str, ...] = PRECISIONS) -> dict[str, Any]:
    """The description of a server whose device runs ``precisions``."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "dreamlayer", "version": __version__, "description": "The local DeepDream server behind the Krita and GIMP plugins."},
        "paths": _paths(precisions),
        "components": _components(),
        "security": [{}, {"bearer": []}],
    }
