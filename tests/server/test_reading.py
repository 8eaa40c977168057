"""What every work request shares as it is read: a part named in its refusal, the settings checked against this
server (the precisions its device runs), and the pixel-steps a dream costs against the server's cap."""

from __future__ import annotations

import pytest
import requests

from ..live_server import assert_json_error, png_bytes, post_file
from .test_forms import error, image_part, post


def test_a_bad_mask_or_guide_names_its_part(server):
    broken = ("m.png", b"not a picture", "image/png")
    mask = error(post(server.url, [image_part(), ("mask", broken)]), 422)
    assert mask["message"].startswith("In the 'mask' part: ")
    guide = error(post(server.url, [image_part(), ("guide", broken)]), 422)
    assert guide["message"].startswith("In the 'guide' part: ")


def test_dream_over_the_cost_budget_is_refused(server):
    r = post_file(server.url, png_bytes(), fields={"scale": "0.05", "steps": "200", "octaves": "12"})
    assert_json_error(r, 422, "over_budget")
    assert "too big for this server" in r.json()["error"]["message"]


@pytest.mark.parametrize("route", ["dreams", "zooms"])
def test_a_precision_the_device_cannot_run_is_refused_before_the_job_is_queued(small_server, route):
    """The CPU has no fp16: refused as the request is read (422), not as a failed job, and /v1/health says which
    precisions the device runs, so a plugin can offer only those."""
    part = {"image": ("in.png", png_bytes(), "image/png")}
    r = requests.post(f"{small_server.url}/v1/{route}", files=part, data={"octaves": "1", "precision": "fp16"}, timeout=10)
    assert_json_error(r, 422, "invalid_parameter")
    assert "fp16 needs a GPU" in r.json()["error"]["message"]
    assert requests.get(f"{small_server.url}/v1/health", timeout=5).json()["limits"]["precisions"] == ["fp32", "bf16"]
