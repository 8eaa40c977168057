"""The v1 API through a real waitress server on loopback, over real HTTP."""

from __future__ import annotations

import io
import json
import time

import numpy as np
import requests
from PIL import Image


from ..live_server import TINY, png_bytes


def wait_done(server, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(f"{server.url}/v1/jobs/{job_id}", timeout=5).json()
        if status["state"] in ("done", "failed", "cancelled"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_health_and_models(server):
    health = requests.get(f"{server.url}/v1/health", timeout=5).json()
    assert health["version"] and health["device"] == "cpu"
    assert 0 < health["started"] <= time.time()  # a plugin sees a restart as a new start time
    assert "lite0" in health["models_loaded"] and health["queue"]["queued"] == 0
    models = requests.get(f"{server.url}/v1/models", timeout=5).json()
    lite0 = next(m for m in models["models"] if m["name"] == "lite0")
    assert lite0["available"] and lite0["default_layer"] == "block10"
    assert {"name": "block10", "channels": 112, "stride": 16} in lite0["layers"]
    assert set(models["presets"]) >= {"gentle", "classic", "deep"}
    steps = next(s for s in models["settings"]["dream"] if s["name"] == "steps")
    assert (steps["minimum"], steps["maximum"], steps["default"], steps["type"]) == (1, 200, 10, "integer")
    assert requests.get(f"{server.url}/v1/settings", timeout=5).json() == models["settings"]


def test_openapi_spec_is_served(server):
    spec = requests.get(f"{server.url}/v1/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/dreams" in spec["paths"] and "steps" in json.dumps(spec["paths"]["/v1/dreams"])


def test_png_upload_round_trip_keeps_size_alpha_and_settings(server):
    upload = png_bytes(64, 48, "RGBA")
    r = requests.post(f"{server.url}/v1/dreams", files={"image": ("in.png", upload, "image/png")}, data=TINY, timeout=5)
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["Location"] == job["urls"]["self"]
    assert job["state"] in ("queued", "running")
    assert wait_done(server, job["id"])["state"] == "done"
    result = requests.get(server.url + job["urls"]["result"], timeout=5)
    assert result.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(result.content))
    assert image.size == (64, 48) and image.mode == "RGBA"
    assert json.loads(image.info["dreamlayer"])["settings"]["steps"] == 2
    source = np.asarray(Image.open(io.BytesIO(upload)), np.int16)
    assert np.abs(np.asarray(image, np.int16)[..., :3] - source[..., :3]).mean() > 0.5  # seeds 1-5, 1 and 2 threads: 1.37-1.42 (bench/test_margins.py)


def test_raw_u16_upload_comes_back_raw_u16_with_alpha(server):
    rng = np.random.default_rng(0)
    pixels = (rng.random((48, 64, 4)) * 65535).astype("<u2")
    pixels[..., 3] = 40000
    fields = {**TINY, "width": "64", "height": "48", "layout": "BGRA", "depth": "u16"}
    r = requests.post(f"{server.url}/v1/dreams", files={"image": ("image.raw", pixels.tobytes(), "application/octet-stream")}, data=fields, timeout=5)
    assert r.status_code == 202, r.text
    assert wait_done(server, r.json()["id"])["state"] == "done"
    result = requests.get(f"{server.url}/v1/jobs/{r.json()['id']}/result", timeout=5)
    assert result.headers["Content-Type"] == "application/octet-stream"
    assert (result.headers["X-Dreamlayer-Layout"], result.headers["X-Dreamlayer-Depth"]) == ("BGRA", "u16")
    back = np.frombuffer(result.content, "<u2").reshape(48, 64, 4)
    assert np.array_equal(back[..., 3], pixels[..., 3])
    assert np.abs(back[..., :3].astype(np.int64) - pixels[..., :3]).mean() > 100  # seeds 1-5, 1 and 2 threads: 356-374


def test_bare_octet_stream_body_with_mask(server):
    rgba = np.dstack([(np.full((48, 64, 3), 0.5) * 255).astype(np.uint8), np.full((48, 64), 255, np.uint8)])
    mask = np.zeros((48, 64), np.uint8)
    mask[:, 32:] = 255
    query = {**TINY, "width": 64, "height": 48, "mask_depth": "u8", "steps": 4}
    r = requests.post(f"{server.url}/v1/dreams", params=query, data=rgba.tobytes() + mask.tobytes(),
                      headers={"Content-Type": "application/octet-stream"}, timeout=5)
    assert r.status_code == 202, r.text
    assert wait_done(server, r.json()["id"])["state"] == "done"
    back = np.frombuffer(requests.get(f"{server.url}/v1/jobs/{r.json()['id']}/result", timeout=5).content, np.uint8).reshape(48, 64, 4)
    assert np.array_equal(back[:, :32], rgba[:, :32])
    assert np.abs(back[:, 32:, :3].astype(int) - rgba[:, 32:, :3]).mean() > 0.5  # seeds 1-5, 1 and 2 threads: 1.89-2.03


def test_progress_events_and_preview(server):
    r = requests.post(f"{server.url}/v1/dreams", files={"image": ("in.png", png_bytes(128, 96), "image/png")},
                      data={**TINY, "octaves": "2", "steps": "3", "octave_scale": "1.2"}, timeout=5)
    job_id = r.json()["id"]
    events = []
    with requests.get(f"{server.url}/v1/jobs/{job_id}/events", stream=True, timeout=60) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if events[-1]["state"] in ("done", "failed", "cancelled"):
                    break
    assert events[-1]["state"] == "done"
    steps = [e["progress"]["step"] for e in events]
    assert steps == sorted(steps) and steps[-1] == events[-1]["progress"]["total"] == 6
    preview = requests.get(f"{server.url}/v1/jobs/{job_id}/preview", timeout=5)
    assert preview.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(preview.content)).size == (128, 96)


def test_unknown_job_and_unfinished_result_are_json_errors(server):
    r = requests.get(f"{server.url}/v1/jobs/nope", timeout=5)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_job"
    r = requests.get(f"{server.url}/v1/nowhere", timeout=5)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.put(f"{server.url}/v1/dreams", timeout=5)
    assert r.status_code == 405 and "error" in r.json()
