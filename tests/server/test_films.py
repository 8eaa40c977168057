"""Films go to disk, not memory: what one surface proposes (a default zoom of a 1080p canvas, an animation of a few
seconds) the server takes; frames land in the job's folder as they come, with only the newest in memory; the folder
goes when the job is cancelled or forgotten, and at shutdown; a film the disk has no room for is refused before it
starts, saying how much it needs and how much is free, and the plugins' shared client checks a film against the
same room before sending. (Every cap in /v1/health: test_limits.py; the folders gone after SIGTERM:
test_shutdown.py.)"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import requests
from PIL import Image

from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.films import film_disk_bytes
from dreamlayer_editor.protocol import ClientError
from dreamlayer.server.app import DEFAULTS
from dreamlayer.server.films import CACHE_FRAMES

from ..conftest import cat_rgb
from ..live_server import LiveServer, start_server

# One octave of one step per frame: a 1080p frame is then about a second's work on two cores.
QUICK = {"octaves": "1", "steps_per_frame": "1", "jitter": "4", "seed": "1"}
VIDEO = {**QUICK, "steps": "1"}  # a video's first frame gets the dream's steps
# The tests' servers have a small pixel-steps budget; these have `dreamlayer serve`'s, as an artist's server does.
SERVED = {"MAX_COST": DEFAULTS["MAX_COST"]}


@pytest.fixture(scope="module")
def films_server(tmp_path_factory):
    parent = tmp_path_factory.mktemp("films")
    live = start_server({**SERVED, "FILM_FOLDER": str(parent)})
    yield live, parent
    live.stop()


def post(url: str, route: str, fields: dict, files: list | None = None) -> requests.Response:
    form = [(name, (None, value)) for name, value in fields.items()] + (files or [])
    return requests.post(f"{url}/v1/{route}", files=form, timeout=60)


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray((cat_rgb(width, height) * 255).astype("uint8")).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def wait_frames(live: LiveServer, job_id: str, count: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while (status := requests.get(f"{live.url}/v1/jobs/{job_id}", timeout=10).json())["frames"]["done"] < count:
        assert status["state"] in ("queued", "running"), status
        assert time.monotonic() < deadline, "the frames never came"
        time.sleep(0.1)


def wait_ended(live: LiveServer, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while (status := requests.get(f"{live.url}/v1/jobs/{job_id}", timeout=10).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the job never ended"
        time.sleep(0.05)
    return status


def job_folder(live: LiveServer, job_id: str) -> Path:
    return live.queue.get(job_id).store.path


def test_a_default_zoom_of_a_1080p_canvas_is_taken_and_its_frames_land_on_disk(films_server):
    live, parent = films_server
    r = post(live.url, "zooms", {"width": "1920", "height": "1080", **QUICK})  # frames: the default, 120
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert r.json()["frames"]["total"] == 120
    folder = job_folder(live, job_id)
    assert folder.parent.parent == parent  # in the server's own folder, inside the one it was given

    wait_frames(live, job_id, CACHE_FRAMES + 2)
    store = live.queue.get(job_id).store
    on_disk = sorted(folder.glob("frame_*.png"))
    assert len(on_disk) >= CACHE_FRAMES + 2
    # In memory: only the newest frames, however many are made (the old server held every frame's PNG).
    assert store.cached_frames <= CACHE_FRAMES and store.cached_bytes <= CACHE_FRAMES * max(f.stat().st_size for f in on_disk)
    first = requests.get(f"{live.url}/v1/jobs/{job_id}/frames/0", timeout=10)  # long gone from memory: from disk
    assert first.status_code == 200 and first.content == on_disk[0].read_bytes()
    assert Image.open(io.BytesIO(first.content)).size == (1920, 1080)

    requests.post(f"{live.url}/v1/jobs/{job_id}/cancel", timeout=10)
    assert wait_ended(live, job_id)["state"] == "cancelled"
    assert not folder.exists()
    gone = requests.get(f"{live.url}/v1/jobs/{job_id}/frames/0", timeout=10)
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "job_cancelled"


def test_a_1080p_video_of_three_seconds_is_taken_and_waits_on_disk_not_in_memory(films_server):
    live, _ = films_server
    frame = jpeg(1920, 1080)
    frames = [("frame", (f"{i:03d}.jpg", frame, "image/jpeg")) for i in range(72)]  # 3 s at 24 fps
    r = post(live.url, "videos", VIDEO, frames)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert r.json()["frames"]["total"] == 72
    folder = job_folder(live, job_id)
    wait_frames(live, job_id, 2)
    job = live.queue.get(job_id)
    # The frames sent wait in the job folder, as sent, each deleted once read; the request holds none of them.
    waiting = sorted(folder.glob("source_*"))
    assert 0 < len(waiting) <= 72 - 2 and all(path.read_bytes() == frame for path in waiting[:3])
    assert job.request is not None and not any(hasattr(value, "shape") for value in vars(job.request).values())
    assert len(sorted(folder.glob("frame_*.png"))) >= 2 and job.store.cached_frames <= CACHE_FRAMES

    requests.post(f"{live.url}/v1/jobs/{job_id}/cancel", timeout=10)
    assert wait_ended(live, job_id)["state"] == "cancelled"
    assert not folder.exists()


def test_a_finished_film_is_served_from_its_folder_counts_only_its_preview_and_goes_when_forgotten(tmp_path):
    live = start_server({"FILM_FOLDER": str(tmp_path), "RESULT_TTL": 1.0})
    try:
        r = post(live.url, "zooms", {"width": "64", "height": "48", "frames": "3", "format": "gif", **QUICK})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        folder = job_folder(live, job_id)
        assert wait_ended(live, job_id)["state"] == "done"
        film = requests.get(f"{live.url}/v1/jobs/{job_id}/result", timeout=10)
        assert film.status_code == 200 and film.headers["Content-Type"] == "image/gif"
        assert film.content == (folder / "film.gif").read_bytes()
        preview = requests.get(f"{live.url}/v1/jobs/{job_id}/preview", timeout=10).content
        # The result-memory budget counts what is in memory: the preview, not the film or its frames on disk.
        assert live.queue.stats()["kept_bytes"] == len(preview)
        time.sleep(1.3)
        assert requests.get(f"{live.url}/v1/jobs/{job_id}", timeout=10).status_code == 404
        assert not folder.exists()
    finally:
        live.stop()
    assert not any(tmp_path.iterdir())  # the server's own folder went with it


def test_stopping_the_server_removes_every_film_folder_even_a_running_films(tmp_path):
    live = start_server({"FILM_FOLDER": str(tmp_path)})
    r = post(live.url, "zooms", {"width": "128", "height": "128", "frames": "400", **QUICK})
    assert r.status_code == 202, r.text
    wait_frames(live, r.json()["id"], 1)
    assert any(tmp_path.iterdir())
    live.stop()
    assert not any(tmp_path.iterdir())


def test_a_film_the_disk_has_no_room_for_is_refused_first_saying_how_much_is_needed_and_free(tmp_path):
    one = film_disk_bytes(400, 128, 128)  # a zoom of 400 frames of 128²
    live = start_server({**SERVED, "FILM_FOLDER": str(tmp_path), "FILM_DISK": one * 3 // 2})  # room for one such film, not two
    try:
        assert requests.get(f"{live.url}/v1/health", timeout=10).json()["limits"]["film_disk_free_bytes"] == one * 3 // 2
        r = post(live.url, "zooms", {"width": "1920", "height": "1080", **QUICK})  # the default 120 frames: about 1 GB
        assert r.status_code == 507, r.text
        message = r.json()["error"]["message"]
        needed, free = film_disk_bytes(120, 1920, 1080), one * 3 // 2
        assert r.json()["error"]["code"] == "not_enough_disk"
        assert f"needs about {needed / 1e6:.3g} MB" in message and f"has {free / 1e6:.3g} MB free" in message
        assert "fewer frames or a smaller picture" in message and "--film-folder" in message

        first = post(live.url, "zooms", {"width": "128", "height": "128", "frames": "400", **QUICK})
        assert first.status_code == 202, first.text
        # What the first film will still write is reserved: the second does not fit beside it...
        second = post(live.url, "zooms", {"width": "128", "height": "128", "frames": "400", **QUICK})
        assert second.status_code == 507 and second.json()["error"]["code"] == "not_enough_disk"
        video = post(live.url, "videos", VIDEO, [("frame", (f"{i}.jpg", jpeg(128, 128), "image/jpeg")) for i in range(400)])
        assert video.status_code == 507
        assert len(list(next(tmp_path.iterdir()).iterdir())) == 1  # and the refused ones left no folder behind
        requests.post(f"{live.url}/v1/jobs/{first.json()['id']}/cancel", timeout=10)
        wait_ended(live, first.json()["id"])
        # ...and once it is cancelled, its room is free again.
        again = post(live.url, "zooms", {"width": "128", "height": "128", "frames": "400", **QUICK})
        assert again.status_code == 202, again.text
        requests.post(f"{live.url}/v1/jobs/{again.json()['id']}/cancel", timeout=10)
    finally:
        live.stop()


def test_the_plugins_client_refuses_before_sending_what_the_server_would_and_says_what_to_change(tmp_path):
    width, height, frames = 320, 240, 10
    room = film_disk_bytes(frames, width, height)
    live = start_server({"FILM_FOLDER": str(tmp_path), "FILM_DISK": room, "MAX_PIXELS": 1000 * 1000,
                         "MAX_VIDEO_UPLOAD_BYTES": 2**20})
    try:
        client = DreamClient(live.url)
        client.check_film("zoom film", frames, width, height)  # exactly the room there is: taken
        with pytest.raises(ClientError, match="needs about .* which has .* free for films. Make fewer frames") as disk:
            client.check_film("zoom film", frames + 1, width, height)
        assert disk.value.code == "film_too_big"
        # The server draws the line in the same place.
        over = post(live.url, "zooms", {"width": str(width), "height": str(height), "frames": str(frames + 1), **QUICK})
        assert over.status_code == 507
        with pytest.raises(ClientError, match="more than the 1,000,000 pixels .* Scale the image down or crop it"):
            client.check_film("animation", 2, 1920, 1080)
        with pytest.raises(ClientError, match=r"come to 2\.1 MB; this server takes at most 1\.05 MB .* shorter clip"):
            client.check_film("animation", 2, 64, 48, upload_bytes=2 * 2**20)
        with pytest.raises(ClientError, match="needs about"):
            client.check_film("zoom film", None, 1000, 1000)  # no frame count: the zoom's default is checked
        assert list(live.queue.stats().values())[:2] == [0, None]  # nothing was sent
    finally:
        live.stop()
