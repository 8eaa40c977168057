"""The stdlib-only protocol client against the real server, and its pure helpers."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.protocol import ClientError, JobFailed, RawImage, RawMask, ServerUnavailable, normalize_url
from dreamlayer_editor.wire import encode_png

from .conftest import CAT, cat_rgb
from .live_server import TINY, png_bytes


def test_raw_rgba_round_trip_with_mask_progress_and_preview(server):
    client = DreamClient(server.url)
    assert client.health()["models_loaded"] == ["lite0"]
    assert "lite0" in [m["name"] for m in client.models()["models"]]
    rgba = np.dstack([(cat_rgb(128, 96) * 255).astype(np.uint8), np.full((96, 128), 200, np.uint8)])
    mask = np.zeros((96, 128), np.float32)
    mask[:, 64:] = 1.0
    job = client.submit(RawImage(128, 96, rgba.tobytes()), {**TINY, "octaves": 2, "octave_scale": 1.2, "preserve_colors": True},
                        mask=RawMask(mask.tobytes(), "f32"))
    seen = []
    final = client.wait(job.id, on_progress=seen.append, poll_seconds=0.02)
    assert final.state == "done" and final.progress.fraction == 1.0
    assert [s.progress.step for s in seen] == sorted(s.progress.step for s in seen)
    assert Image.open(io.BytesIO(client.preview(job.id))).size == (128, 96)
    fetched = client.result(job.id)
    result = fetched.image
    assert fetched.seed == int(TINY["seed"]) == final.settings["seed"]
    assert isinstance(result, RawImage) and (result.width, result.height, result.layout, result.depth) == (128, 96, "RGBA", "u8")
    back = np.frombuffer(result.data, np.uint8).reshape(96, 128, 4)
    assert np.array_equal(back[:, :64], rgba[:, :64]) and np.array_equal(back[..., 3], rgba[..., 3])
    assert not np.array_equal(back[:, 64:], rgba[:, 64:])


def test_encoded_upload_and_server_sent_events(server):
    client = DreamClient(server.url)
    job = client.submit(png_bytes(), TINY, guide=encode_png(2, 1, bytes([255, 0, 0, 255, 0, 0, 255, 255])))
    states = [s.state for s in client.events(job.id)]
    assert states[-1] == "done"
    assert Image.open(io.BytesIO(client.result(job.id, forget=True).image)).size == (64, 48)
    # Fetched and forgotten: the server keeps nothing of it, and forgetting it again is no error.
    with pytest.raises(ClientError) as gone:
        client.status(job.id)
    assert gone.value.code == "unknown_job"
    client.delete(job.id)


def test_cancel_through_the_client(server):
    client = DreamClient(server.url)
    job = client.submit(png_bytes(256, 256), {**TINY, "steps": 200})
    with pytest.raises(JobFailed) as failure:
        client.wait(job.id, should_cancel=lambda: True, poll_seconds=0.02)
    assert failure.value.code == "cancelled"


def test_server_errors_arrive_as_readable_messages(server):
    client = DreamClient(server.url)
    with pytest.raises(ClientError, match="has no layer 'nope'") as error:
        client.submit(png_bytes(), {"layer": "nope"})
    assert error.value.status == 422 and error.value.code == "unknown_layer"
    with pytest.raises(ClientError, match="needs"):
        client.submit(RawImage(4, 4, b"\0" * 3))


def test_server_down_names_the_url():
    with pytest.raises(ServerUnavailable, match=r"127\.0\.0\.1:9 .*dreamlayer serve"):
        DreamClient("http://127.0.0.1:9", timeout=2).health()


def test_url_normalisation():
    assert normalize_url("127.0.0.1:5000/") == "http://127.0.0.1:5000"
    assert normalize_url("http://0.0.0.0:5000") == "http://127.0.0.1:5000"
    assert normalize_url("https://dream.example:8443") == "https://dream.example:8443"


def test_png_encoder_makes_files_pillow_reads():
    rgba = np.random.default_rng(3).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    image = Image.open(io.BytesIO(encode_png(7, 5, rgba.tobytes())))
    assert image.mode == "RGBA" and np.array_equal(np.asarray(image), rgba)


def test_cli_dreams_through_the_server(server, tmp_path):
    out = tmp_path / "out.webp"
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "dream", "--server", server.url, str(CAT), str(out),
                          "--octaves", "1", "--steps", "2", "--scale", "2"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    with Image.open(out) as dreamed, Image.open(CAT) as source:
        assert dreamed.size == source.size
    down = subprocess.run([sys.executable, "-m", "dreamlayer", "dream", "--server", "http://127.0.0.1:9", str(CAT), str(out)],
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 2 and "Can't reach the dreamlayer server at http://127.0.0.1:9" in down.stderr
    assert "Traceback" not in down.stderr


def test_a_job_the_server_forgot_is_reported_as_lost_so_it_can_be_sent_again(server):
    from dreamlayer_editor.protocol import JobLost

    client = DreamClient(server.url)
    with pytest.raises(JobLost) as lost:
        client.wait("0" * 32, poll_seconds=0.01)
    assert lost.value.code == "unknown_job"
    with pytest.raises(JobLost) as gone:
        DreamClient("http://127.0.0.1:9", timeout=1).wait("x")
    assert gone.value.code == "server_restarted"


def test_a_server_that_goes_away_mid_answer_is_unavailable_not_a_crash():
    """A server killed while it answers leaves a cut response: the client says the server went away."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer_half():
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\"")
        connection.close()

    threading.Thread(target=answer_half, daemon=True).start()
    with pytest.raises(ServerUnavailable, match="Can't reach the dreamlayer server"):
        DreamClient(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=5).health()
    listener.close()
