"""What every work request shares as it is read: a part named in its refusal, the settings checked against this
server (the precisions its device runs), and the pixel-steps a dream costs against the server's cap."""

from __future__ import annotations

import pytest
import requests

from dreamlayer.errors import InvalidParameter, OverBudget, ImageReadError
from dreamlayer.params import DreamUpload, preset_params
from dreamlayer.server.films import FilmFolder
from dreamlayer.server.limits import Limits
from dreamlayer.server.reading import check_cost, dream_params, read_part, split_fields

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


def test_the_requests_own_fields_are_split_from_the_settings():
    own, settings = split_fields({"width": "64", "lease": "5", "steps": "3", "nonsense": "1"}, DreamUpload)
    assert own == {"width": "64", "lease": "5"}
    assert settings == {"steps": "3", "nonsense": "1"}  # the parameter model refuses what it does not know


def test_a_part_that_cannot_be_read_is_named_and_keeps_its_kind_of_error():
    assert read_part("the 'mask' part", lambda: 7) == 7

    def unreadable():
        raise ImageReadError("not a picture")

    with pytest.raises(ImageReadError, match="^In the 'mask' part: not a picture$"):
        read_part("the 'mask' part", unreadable)
    with pytest.raises(ZeroDivisionError):  # only the dream's own errors are reworded; a bug stays a bug
        read_part("frame 1", lambda: 1 / 0)


def test_the_cost_may_reach_the_cap_but_not_pass_it(tmp_path):
    limits = Limits(max_pixels=100, max_cost=1000, films=FilmFolder(tmp_path))
    check_cost("dream", 1000, limits, "Use fewer steps.")
    with pytest.raises(OverBudget, match=r"This zoom is too big for this server \(1,001 pixel-steps; the limit is 1,000\)\. Use fewer steps\."):
        check_cost("zoom", 1001, limits, "Use fewer steps.")


def test_the_settings_are_checked_against_this_servers_device(tmp_path):
    cpu = Limits(max_pixels=100, max_cost=1000, films=FilmFolder(tmp_path))
    assert dream_params({"steps": "3"}, "gentle", cpu).steps == 3
    assert dream_params({}, "deep", cpu) == preset_params("deep")
    with pytest.raises(InvalidParameter, match="fp16 needs a GPU"):
        dream_params({"precision": "fp16"}, "classic", cpu)
    gpu = Limits(max_pixels=100, max_cost=1000, films=FilmFolder(tmp_path), device_type="cuda")
    assert dream_params({"precision": "fp16"}, "classic", gpu).precision == "fp16"
