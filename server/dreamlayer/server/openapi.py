"""The OpenAPI 3 description of the API, served at ``/v1/openapi.json``; the dream settings derive from DreamParams."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..engine.models import MODELS
from ..params import DreamParams
from ..presets import PRESETS
from .pixels import DTYPES, LAYOUTS, MASK_DEPTHS


def _param_schema(f) -> dict[str, Any]:
    kind = f.type.split()[0]
    schema: dict[str, Any] = {"type": {"int": "integer", "float": "number", "bool": "boolean"}.get(kind, "string"), "description": f.metadata["help"]}
    if f.metadata["min"] is not None and kind in ("int", "float"):
        schema["minimum"], schema["maximum"] = f.metadata["min"], f.metadata["max"]
    if f.metadata["choices"]:
        schema["enum"] = list(f.metadata["choices"])
    if f.name == "model":
        schema["enum"] = list(MODELS)
    return schema


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, ref: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


# waitress itself answers an over-large body with plain text, before the body is read and before Flask runs.
_TOO_LARGE = {"description": "The upload or picture is too large", "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}, "text/plain": {"schema": {"type": "string"}}}}
_COMMON = {"401": _error("Missing or wrong access token"), "403": _error("Refused: foreign Host or Origin")}
_JOB_ID = [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}]
_EXPIRED = _error("The result was dropped to stay within the server's memory budget for results")
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "string"}}}


def build_spec() -> dict[str, Any]:
    settings = {f.name: _param_schema(f) for f in DreamParams.fields()}
    upload_fields = {
        "image": {"type": "string", "format": "binary", "description": "PNG, JPEG, WebP or TIFF; or raw pixels sent as application/octet-stream"},
        "mask": {"type": "string", "format": "binary", "description": "selection: raw (mask_depth) or a grey picture"},
        "guide": {"type": "string", "format": "binary", "description": "a picture whose features the dream reaches for"},
        "width": {"type": "integer", "minimum": 1}, "height": {"type": "integer", "minimum": 1},
        "layout": {"type": "string", "enum": list(LAYOUTS)}, "depth": {"type": "string", "enum": list(DTYPES)},
        "mask_depth": {"type": "string", "enum": list(MASK_DEPTHS)},
        "preset": {"type": "string", "enum": list(PRESETS)},
        "lease": {"type": "number", "minimum": 0, "maximum": 3600,
                  "description": "cancel the job when nobody has asked about it for this many seconds (0: never)"},
    }
    zoom_fields = {
        "image": {"type": "string", "format": "binary", "description": "picture to start from; without it, noise"},
        "width": {"type": "integer", "minimum": 16, "maximum": 8192}, "height": {"type": "integer", "minimum": 16, "maximum": 8192},
        "frames": {"type": "integer", "minimum": 1, "maximum": 100000}, "zoom": {"type": "number", "minimum": 1.0, "maximum": 2.0},
        "rotate": {"type": "number", "minimum": -45, "maximum": 45}, "drift_x": {"type": "number", "minimum": -256, "maximum": 256},
        "drift_y": {"type": "number", "minimum": -256, "maximum": 256}, "steps_per_frame": {"type": "integer", "minimum": 1, "maximum": 200},
        "blend": {"type": "number", "minimum": 0, "maximum": 0.9}, "stabilize": {"type": "boolean"},
        "fps": {"type": "number", "minimum": 1, "maximum": 120}, "format": {"type": "string", "enum": ["mp4", "webm", "gif", "webp"]},
        "preset": {"type": "string", "enum": list(PRESETS)},
        "lease": {"type": "number", "minimum": 0, "maximum": 3600},
    }
    job_status = {
        "type": "object",
        "required": ["id", "kind", "state", "progress", "eta_seconds", "error", "queue_position"],
        "properties": {
            "id": {"type": "string"}, "kind": {"type": "string"},
            # expired: done, but the result was dropped to stay within the server's memory budget for results
            "state": {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled", "expired"]},
            "progress": {"type": "object", "required": ["step", "total", "octave", "octaves"], "properties": {
                k: {"type": "integer", "minimum": 0} for k in ("step", "total", "octave", "octaves")}},
            "eta_seconds": {"type": ["number", "null"]}, "queue_position": {"type": "integer", "minimum": 0},
            "error": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/ErrorBody"}]},
            "created": {"type": "number"}, "started": {"type": ["number", "null"]}, "finished": {"type": ["number", "null"]},
            "has_preview": {"type": "boolean"}, "frames_done": {"type": "integer", "minimum": 0},
            "urls": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "dreamlayer", "version": __version__, "description": "The local DeepDream server behind the Krita and GIMP plugins."},
        "paths": {
            "/v1/health": {"get": {"summary": "Version, device, loaded models, queue", "responses": {"200": _json("Server health", "Health"), **_COMMON}}},
            "/v1/models": {"get": {"summary": "Models, layers, presets and settings", "responses": {"200": _json("Models and presets", "Models"), **_COMMON}}},
            "/v1/dreams": {"post": {
                "summary": "Queue a dream",
                "requestBody": {"required": True, "content": {
                    "multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {**upload_fields, **settings}}},
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                }},
                "responses": {
                    "202": _json("Queued", "JobStatus"),
                    "400": _error("A malformed request"), "413": _TOO_LARGE, "415": _error("Neither multipart nor raw pixels"),
                    "422": _error("Bad settings or an unreadable picture"),
                    "503": {**_error("The queue is full or the server is stopping"), "headers": _RETRY_AFTER},
                    **_COMMON,
                },
            }},
            "/v1/zooms": {"post": {
                "summary": "Queue a zoom film (from a picture, or from noise of width × height)",
                "requestBody": {"required": True, "content": {
                    "multipart/form-data": {"schema": {"type": "object", "properties": {**zoom_fields, **settings}}},
                }},
                "responses": {
                    "202": _json("Queued", "JobStatus"), "400": _error("A malformed request"), "413": _TOO_LARGE,
                    "415": _error("Not multipart/form-data"), "422": _error("Bad settings or an unreadable picture"),
                    "503": {**_error("The queue is full or the server is stopping"), "headers": _RETRY_AFTER},
                    **_COMMON,
                },
            }},
            "/v1/jobs/{job_id}/frames/{index}": {
                "parameters": [*_JOB_ID, {"name": "index", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}],
                "get": {"summary": "One finished frame of a zoom, as PNG", "responses": {
                    "200": {"description": "PNG", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                    "404": _error("Unknown job, or that frame is not made yet"), "410": _EXPIRED, **_COMMON}},
            },
            "/v1/jobs/{job_id}": {
                "parameters": _JOB_ID,
                "get": {"summary": "A job's state and progress", "responses": {"200": _json("Status", "JobStatus"), "404": _error("Unknown or purged job"), **_COMMON}},
                "delete": {"summary": "Cancel a job", "responses": {"200": _json("Status after cancelling", "JobStatus"), "404": _error("Unknown or purged job"), **_COMMON}},
            },
            "/v1/jobs/{job_id}/events": {"parameters": _JOB_ID, "get": {"summary": "The job's status as Server-Sent Events", "responses": {
                "200": {"description": "event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                "404": _error("Unknown or purged job"),
                "503": {**_error("Too many event streams are open, or the server is stopping"), "headers": _RETRY_AFTER},
                **_COMMON}}},
            "/v1/jobs/{job_id}/preview": {"parameters": _JOB_ID, "get": {"summary": "The picture after the latest octave", "responses": {
                "200": {"description": "PNG", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                "404": _error("Unknown job, or no octave finished yet"), "410": _EXPIRED, **_COMMON}}},
            "/v1/jobs/{job_id}/result": {"parameters": _JOB_ID, "get": {"summary": "The result, in the form and depth of the upload", "responses": {
                "200": {"description": "raw pixels (X-Dreamlayer-* headers) or the upload's file format", "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    **{mime: {"schema": {"type": "string", "format": "binary"}} for mime in (
                        "image/png", "image/jpeg", "image/webp", "image/tiff", "image/gif", "video/mp4", "video/webm")}}},
                "404": _error("Unknown or purged job"), "409": _error("Not finished, failed or cancelled"), "410": _EXPIRED,
                **_COMMON}}},
            "/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}}, **_COMMON}}},
        },
        "components": {
            "schemas": {
                "ErrorBody": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"$ref": "#/components/schemas/ErrorBody"}}},
                "JobStatus": job_status,
                "Health": {"type": "object", "required": ["version", "device", "models_loaded", "queue"], "properties": {
                    "version": {"type": "string"}, "device": {"type": "string"}, "models_loaded": {"type": "array", "items": {"type": "string"}},
                    "queue": {"type": "object"}, "accepting": {"type": "boolean"},
                    "event_streams": {"type": "object", "properties": {
                        "open": {"type": "integer", "minimum": 0}, "limit": {"type": "integer", "minimum": 0}}}}},
                "Models": {"type": "object", "required": ["models", "presets", "defaults", "settings"], "properties": {
                    "models": {"type": "array", "items": {"type": "object"}}, "presets": {"type": "object"},
                    "defaults": {"type": "object"}, "settings": {"type": "object"}}},
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
    }
