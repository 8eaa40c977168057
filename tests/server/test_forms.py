"""The server's smaller messages, over real HTTP: each names what is wrong, and nothing sent is silently ignored."""

from __future__ import annotations

import logging
import time

import requests

from ..live_server import TINY, png_bytes
from .test_jobs import submit, wait_for


def post(url: str, files: list, fields: dict | None = None) -> requests.Response:
    return requests.post(f"{url}/v1/dreams", files=files, data=fields or TINY, timeout=10)


def error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def image_part() -> tuple:
    return ("image", ("in.png", png_bytes(), "image/png"))


def test_a_lease_that_ran_out_says_so_in_the_error_and_the_log(held, caplog):
    caplog.set_level(logging.INFO, logger="dreamlayer.server")
    live, runner = held
    job = submit(live.url, {**TINY, "lease": "1"})
    assert runner.started.wait(10)
    time.sleep(3)  # nobody asks about it (asking would renew the lease)
    final = wait_for(live.url, job["id"], ("cancelled", "done", "failed"))
    assert final["state"] == "cancelled"
    assert final["error"]["code"] == "lease_expired" and "1 seconds (its lease)" in final["error"]["message"]
    assert f"job {job['id']} cancelled: its 1-second lease ran out" in caplog.text


def test_a_cancelled_job_without_a_lease_has_no_lease_error(held):
    live, _ = held
    job = submit(live.url, TINY)
    wait_for(live.url, job["id"], ("running",))
    requests.post(f"{live.url}/v1/jobs/{job['id']}/cancel", timeout=5)
    final = wait_for(live.url, job["id"], ("cancelled", "done", "failed"))
    assert final["state"] == "cancelled" and final["error"] is None


def test_a_bad_mask_or_guide_names_its_part(server):
    broken = ("m.png", b"not a picture", "image/png")
    mask = error(post(server.url, [image_part(), ("mask", broken)]), 422)
    assert mask["message"].startswith("In the 'mask' part: ")
    guide = error(post(server.url, [image_part(), ("guide", broken)]), 422)
    assert guide["message"].startswith("In the 'guide' part: ")


def test_a_duplicated_field_or_a_second_image_is_refused(server):
    twice = error(post(server.url, [image_part()], [*TINY.items(), ("steps", "3")]), 400)
    assert twice["code"] == "duplicate_field" and "'steps'" in twice["message"]
    second = error(post(server.url, [image_part(), image_part()]), 400)
    assert second["code"] == "duplicate_part" and "'image'" in second["message"]
    unknown = error(post(server.url, [image_part(), ("picture", ("p.png", png_bytes(), "image/png"))]), 422)
    assert "Unknown part(s) 'picture'" in unknown["message"]


def test_a_malformed_multipart_body_is_refused_not_read_as_an_empty_form(server):
    for body in (b"--b\r\n[]--b--\r\n", b"", b'--b\r\nContent-Disposition: form-data; name="frames"\r\n\r\n3\r\n'):
        r = requests.post(f"{server.url}/v1/zooms", data=body, headers={"Content-Type": "multipart/form-data; boundary=b"},
                          timeout=5)
        assert error(r, 400)["code"] == "malformed_body", body


def test_document_and_region_out_of_range_name_their_own_field(server):
    for name in ("document_width", "document_height", "region_x", "region_y"):
        message = error(post(server.url, [image_part()], {**TINY, name: "70000"}), 422)["message"]
        assert message.startswith(f"'{name}' must be between"), message
    # Within range, the largest document still gets a feature scale within its own range.
    r = post(server.url, [image_part()], {**{k: v for k, v in TINY.items() if k != "scale"}, "document_width": "65536"})
    assert r.status_code == 202, r.text


def test_a_frame_past_a_finished_films_end_says_how_many_frames_it_has(server):
    fields = {**TINY, "frames": "2", "steps_per_frame": "1", "width": "32", "height": "32", "format": "gif"}
    fields.pop("steps")
    r = requests.post(f"{server.url}/v1/zooms", files={k: (None, v) for k, v in fields.items()}, timeout=10)
    assert r.status_code == 202, r.text
    job = wait_for(server.url, r.json()["id"], ("done", "failed"))
    assert job["state"] == "done"
    assert requests.get(f"{server.url}/v1/jobs/{job['id']}/frames/1", timeout=5).status_code == 200
    past = error(requests.get(f"{server.url}/v1/jobs/{job['id']}/frames/2", timeout=5), 404)
    assert past["code"] == "no_such_frame" and "has 2 frames (0 to 1)" in past["message"]
