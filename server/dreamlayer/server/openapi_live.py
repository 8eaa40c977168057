"""Live Dream's part of the OpenAPI description: ``POST`` and ``DELETE /v1/live/{lane}``.

The form is a dream's, with the live settings (``LiveSettings``) beside the dream settings; the answer is the
dreamed picture in the form of the upload, as a dream's result is, once it is made.
"""

from __future__ import annotations

from typing import Any

from ..params.live import LiveSettings

LANE = {"name": "lane", "in": "path", "required": True, "description": "one per document, chosen by the client",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}
RESULT_TYPES = ("application/octet-stream", "image/png", "image/jpeg", "image/webp", "image/tiff")


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def live_paths(field_schemas, dream_form: dict[str, Any], form, common: dict[str, Any]) -> dict[str, Any]:
    """``dream_form``: a dream's parts and fields (openapi.py's); ``form`` makes a multipart body of them."""
    fields = {**dream_form, **field_schemas(LiveSettings)}
    answer = {"description": "The live dream, in the form and depth of the upload, once it is made",
              "headers": {name: {"schema": {"type": "string"}} for name in
                          ("X-Dreamlayer-Seed", "X-Dreamlayer-Live-Seconds", "X-Dreamlayer-Live-Changed")},
              "content": {mime: {"schema": {"type": "string", "format": "binary"}} for mime in RESULT_TYPES}}
    return {"/v1/live/{lane}": {
        "parameters": [LANE],
        "post": {
            "summary": "Dream a picture live: latest wins in its lane, ahead of queued dreams and between a running one's steps",
            "description": "Answers when the live dream is made. A newer request in the same lane replaces this one "
                           "(409 superseded). An unchanged picture and settings are not dreamed again: the last live "
                           "dream comes back (X-Dreamlayer-Live-Changed: no).",
            "requestBody": {"required": True, "content": {"multipart/form-data": form(fields)}},
            "responses": {"200": answer, "404": _error("Not a lane's name (unknown_lane)"),
                          "400": _error("A malformed body, a field given twice or a second picture part"),
                          "409": _error("A newer live dream of this lane replaced it (superseded)"),
                          "413": _error("The upload is larger than this server accepts"),
                          "415": _error("Not the body this route takes"),
                          "422": _error("A setting or the picture is wrong, or the dream is over the server's caps"),
                          "503": _error("Stopping, or too busy to make it in time"), **common}},
        "delete": {"summary": "Forget a lane: what waits or runs in it stops, its last live dream is dropped",
                   "responses": {"204": {"description": "Forgotten"}, "404": _error("Not a lane's name (unknown_lane)"),
                                 **common}},
    }}
