"""Reading a zoom's or a video's request: multipart only, a video's frames checked and kept on disk as sent, and a
film over the server's budget refused before it starts."""

from __future__ import annotations

import io

import numpy as np
import pytest
import requests

from ..clips import H, W, clip_frame
from .test_dreaming import ENDLESS_ZOOM, png, post_zoom
from .test_routes import ZOOM_FIELDS


def test_a_server_video_is_capped_checked_and_can_be_cancelled(server):
    from dreamlayer_editor.client import DreamClient
    from dreamlayer_editor.protocol import ClientError, JobFailed

    client = DreamClient(server.url)
    with pytest.raises(ClientError, match="every frame must be"):
        client.submit_video([png(clip_frame(0)), png(clip_frame(1)[:32])], {"octaves": 1})
    with pytest.raises(ClientError, match="too big for this server"):
        client.submit_video([png(clip_frame(t)) for t in range(3)], {"steps": 200, "steps_per_frame": 200, "scale": 0.1})
    job = client.submit_video([png(clip_frame(t)) for t in range(40)], {"octaves": 1, "steps": 50, "scale": 1})
    with pytest.raises(JobFailed) as failure:
        client.wait(job.id, should_cancel=lambda: True, poll_seconds=0.05)
    assert failure.value.code == "cancelled" and client.status(job.id).frames.done < 40


@pytest.mark.parametrize("depth", [8, 16])
def test_a_waiting_video_holds_its_frames_on_disk_as_sent_and_dreams_exactly_their_pixels(depth, tmp_path):
    """A queued video keeps each frame in its job folder, as the file that was sent (nothing of it in memory), and
    the engine still gets, frame by frame, exactly the pixels the files hold; each is deleted once read."""
    from dreamlayer.images import load_picture
    from dreamlayer.images.deep import encode_png16
    from dreamlayer.server.films import FilmFolder
    from dreamlayer.server.limits import Limits
    from dreamlayer.server.film_requests import parse_video_request

    rng = np.random.default_rng(depth)
    if depth == 8:
        files = [png(clip_frame(t)) for t in range(3)]
    else:  # values 8 bits can't hold (odd, so not multiples of 257)
        files = [encode_png16(rng.integers(0, 65535, (H, W, 3), dtype=np.uint16) | 1) for _ in range(3)]
    form = {"frame": [(io.BytesIO(data), f"{index}.png", "image/png") for index, data in enumerate(files)], "octaves": "1"}
    video = parsed(parse_video_request, form, Limits(max_pixels=2**24, max_cost=2**40, films=FilmFolder(tmp_path)))
    assert video.count == 3 and [video.store.source(i).read_bytes() for i in range(3)] == files
    given = list(video.source_frames())
    expected = [load_picture(data, 2**24).rgb for data in files]
    assert [frame.dtype for frame in given] == [np.float32] * 3
    assert all(np.array_equal(a, b) for a, b in zip(given, expected))
    assert not any(video.store.source(i).exists() for i in range(3))


def parsed(parse, form: dict, limits):
    """A multipart request of ``form``, as the server's routes receive it, through one of its upload parsers."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    with Request(EnvironBuilder(method="POST", data=form, content_type="multipart/form-data").get_environ()) as request:
        return parse(request, limits)


def test_zooms_and_videos_take_multipart_only(server):
    for route in ("/v1/zooms", "/v1/videos"):
        r = requests.post(server.url + route, data=b"\0" * 16, headers={"Content-Type": "application/octet-stream"}, timeout=5)
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    r = requests.post(f"{server.url}/v1/zooms", files={k: (None, v) for k, v in ZOOM_FIELDS.items()}, timeout=5)
    assert r.status_code == 202, r.text


def test_server_zoom_is_capped(server):
    too_big = post_zoom(server.url, {**ENDLESS_ZOOM, "frames": "20000", "width": "1024", "height": "1024"})
    assert too_big.status_code == 422 and "too big" in too_big.json()["error"]["message"]
    steps = post_zoom(server.url, {**ENDLESS_ZOOM, "steps": "3"})
    assert steps.status_code == 422 and "'steps_per_frame' takes the place of 'steps'" in steps.json()["error"]["message"]
