"""Every error leaves the server as JSON: ``{"error": {"code": ..., "message": ...}}`` with a 4xx status."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from ..errors import DreamlayerError, ImageTooLarge

log = logging.getLogger("dreamlayer.server")


class ApiError(Exception):
    """An HTTP-level refusal: wrong host, no token, unknown job, full queue..."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def shutting_down() -> ApiError:
    """What new work (a job, an event stream) gets once the server has begun to stop."""
    return ApiError(503, "shutting_down", "The dream server is shutting down.", {"Retry-After": "10"})


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _status_of(exc: DreamlayerError) -> int:
    """Too many pixels is 413; anything else wrong with what was sent (settings, picture bytes) is 422."""
    return 413 if isinstance(exc, ImageTooLarge) else 422


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.errorhandler(DreamlayerError)
    def dream_error(exc: DreamlayerError):
        return error_response(_status_of(exc), exc.code, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        message = {413: "The upload is larger than this server accepts."}.get(exc.code or 0, exc.description or exc.name)
        # A 405 must say which methods the URL takes (RFC 9110): werkzeug's own headers carry that Allow.
        allow = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
        return error_response(exc.code or 400, code, message, allow)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error")
        return error_response(500, "internal_error", "Something went wrong inside the dream server; see its log.")
