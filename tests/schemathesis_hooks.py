"""Schemathesis hooks for fuzzing the live server (``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``).

- Picture parts are pictures. No JSON Schema says "a decodable PNG": left alone, schemathesis fills a binary value
  with arbitrary bytes, which the server rightly refuses. Every binary value of this API is a picture part, so the
  ``binary`` format draws real 8×8 pictures (all one size, so a mask, a guide and a video's frames always fit).
- An invalid request whose wire form is a valid one's is left out: a setting drawn as a list of none or one value
  goes out as no field, or as that one value.
- Two refusals depend on how the server was started, not on the request's shape, so JSON Schema cannot state them:
  a full queue (503 ``queue_full``) and a job over the server's caps (422 ``over_budget``; its pixel-steps and
  frames × pixels are products of several fields). Both are declared in the description. These two checks are
  schemathesis' own ``not_a_server_error`` and ``positive_data_acceptance``, except that they let those two
  declared refusals through; the run excludes the originals.
"""

from __future__ import annotations

import io
import json

import numpy as np
import schemathesis
from hypothesis import strategies as st
from PIL import Image
from schemathesis.checks import not_a_server_error, positive_data_acceptance
from schemathesis.transport.serialization import Binary

from dreamlayer.server.openapi import build_spec

PICTURE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/tiff": "TIFF"}
SIDE = 8


def _picture(fmt: str) -> bytes:
    rgb = np.random.default_rng(0).integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt)
    return buffer.getvalue()


# Every binary value is a picture part here (image, mask, guide, frame), so the ``binary`` format draws pictures.
schemathesis.openapi.format("binary", st.sampled_from([_picture(fmt) for fmt in PICTURE_FORMATS.values()]).map(Binary))


LIST_FIELDS = {name for path in build_spec()["paths"].values() for operation in path.values() if isinstance(operation, dict)
               for content in operation.get("requestBody", {}).get("content", {}).values()
               for name, field in content["schema"].get("properties", {}).items() if field.get("type") == "array"}


@schemathesis.hook
def filter_case(context, case):
    """Leave out invalid requests whose wire form is a valid one's: a setting as a list of fewer than two values
    goes out as no field, or as that one value."""
    fields = getattr(case.body, "body", case.body)
    if not isinstance(fields, dict) or case.meta is None or case.meta.generation.mode.is_positive:
        return True
    return not any(isinstance(value, list) and len(value) < 2 and name not in LIST_FIELDS for name, value in fields.items())


def _declared_refusal(response, status: int, code: str) -> bool:
    if response.status_code != status:
        return False
    try:
        return json.loads(response.content)["error"]["code"] == code
    except (ValueError, KeyError, TypeError):
        return False


@schemathesis.check
def not_a_server_error_but_a_full_queue(ctx, response, case):
    """``not_a_server_error``, but the declared 503 ``queue_full`` is the queue doing its job."""
    if _declared_refusal(response, 503, "queue_full"):
        return None
    return not_a_server_error(ctx, response, case)


@schemathesis.check
def positive_data_acceptance_within_the_caps(ctx, response, case):
    """``positive_data_acceptance``, but a job over this server's caps is refused as declared (422 over_budget)."""
    if _declared_refusal(response, 422, "over_budget"):
        return None
    return positive_data_acceptance(ctx, response, case)
