"""Defences of a local server that any web page in the user's browser can try to reach.

- DNS rebinding: the Host header must be exactly a loopback name with our port (no suffixes, no patterns).
- CSRF from web pages: a foreign or ``null`` Origin, or ``Sec-Fetch-Site: cross-site``, is refused before any
  work is done. Plugins send no Origin. No CORS headers are ever sent, so browsers also block the answers.
- Off-loopback listening needs a bearer token, compared in constant time with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hmac

from flask import Flask, Response, current_app, request

from .errors import ApiError
from .startup import is_loopback

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def allowed_hosts(bind_host: str, port: int) -> set[str] | None:
    """Exact Host header values we answer to; None when listening off-loopback, where the token guards instead."""
    if not is_loopback(bind_host):
        return None
    return {f"{name}:{port}" for name in LOOPBACK_NAMES}


def _check_request() -> None:
    config = current_app.config
    host = request.headers.get("Host", "")
    hosts = allowed_hosts(config["HOST"], config["PORT"])
    if hosts is not None and host not in hosts:
        raise ApiError(403, "forbidden_host", "This server only answers to its loopback address.")
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"http://{host}":
        raise ApiError(403, "forbidden_origin", "Requests from web pages are not allowed.")
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise ApiError(403, "forbidden_origin", "Requests from other web sites are not allowed.")
    token = config.get("TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        scheme, _, value = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise ApiError(401, "unauthorized", "A valid access token is needed (Authorization: Bearer ...).",
                           {"WWW-Authenticate": 'Bearer realm="dreamlayer"'})


def _harden(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    for name in [h for h in response.headers.keys() if h.lower().startswith("access-control-")]:
        del response.headers[name]
    return response


def init_security(app: Flask) -> None:
    app.before_request(_check_request)
    app.after_request(_harden)
