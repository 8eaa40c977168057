"""The server's defences, each tried against a real waitress server on loopback."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys

import pytest
import requests

import dreamlayer.server.security as security
from dreamlayer.server.startup import read_token_file

from ..live_server import TINY, png_bytes, start_server


def raw_request(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, dict, bytes]:
    """http.client sends exactly the Host we give it (requests would fix it up)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    result = response.status, dict(response.getheaders()), response.read()
    connection.close()
    return result


def post_dream(url: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(f"{url}/v1/dreams", files={"image": ("in.png", png_bytes(), "image/png")}, data=TINY, headers=headers or {}, timeout=10)


def test_listens_on_loopback_by_default(server):
    assert server.app.config["HOST"] == "127.0.0.1"
    assert server.server.socket.getsockname()[0] == "127.0.0.1"


def test_refuses_to_start_off_loopback_without_a_token():
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "serve", "--host", "0.0.0.0", "--port", "1"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "without an access token" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("host", ["rebind.evil.example:{p}", "x.local:{p}", "foo.localhost:{p}", "127.0.0.1:{p}.evil",
                                  "127.0.0.1", "localhost:1", "127.0.0.2:{p}", ""])
def test_foreign_host_headers_get_403(server, host):
    status, _, body = raw_request(server.port, "GET", "/v1/health", {"Host": host.format(p=server.port)})
    assert status == 403 and b"forbidden_host" in body


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]"])
def test_exact_loopback_hosts_pass(server, name):
    status, _, _ = raw_request(server.port, "GET", "/v1/health", {"Host": f"{name}:{server.port}"})
    assert status == 200


def spy_on_submissions(live, monkeypatch) -> list:
    """The jobs handed to the queue from now on. Not the queue's counts: another test's job may finish meanwhile on
    the shared server."""
    submitted = []
    real_submit = live.queue.submit
    monkeypatch.setattr(live.queue, "submit", lambda *args, **kwargs: submitted.append(args) or real_submit(*args, **kwargs))
    return submitted


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://localhost:1"},
    {"Sec-Fetch-Site": "cross-site"},
])
def test_cross_site_requests_get_403_and_change_nothing(server, headers, monkeypatch):
    submitted = spy_on_submissions(server, monkeypatch)
    r = post_dream(server.url, headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_origin"
    assert submitted == []


def test_same_origin_and_originless_requests_pass(server):
    assert post_dream(server.url, {"Origin": server.url}).status_code == 202
    assert post_dream(server.url).status_code == 202


def test_no_cors_headers_and_foreign_preflight_refused(server):
    r = requests.get(f"{server.url}/v1/health", headers={"Origin": server.url}, timeout=5)
    assert not any(h.lower().startswith("access-control-") for h in r.headers)
    r = requests.options(f"{server.url}/v1/dreams", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, timeout=5)
    assert r.status_code == 403
    assert not any(h.lower().startswith("access-control-") for h in r.headers)


def test_debug_is_off(server):
    assert server.app.debug is False
    assert requests.get(f"{server.url}/console", timeout=5).status_code == 404


@pytest.fixture(scope="module")
def token_server():
    live = start_server({"TOKEN": "s3cret-token-of-enough-length"})
    yield live
    live.stop()


def test_token_is_required_and_compared_in_constant_time(token_server, monkeypatch):
    calls = []
    real = security.hmac.compare_digest
    monkeypatch.setattr(security.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    url = token_server.url
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic czNjcmV0"}):
        r = requests.get(f"{url}/v1/health", headers=headers, timeout=5)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    submitted = spy_on_submissions(token_server, monkeypatch)
    assert post_dream(url, {"Authorization": "Bearer wrong"}).status_code == 401
    assert submitted == []
    ok = requests.get(f"{url}/v1/health", headers={"Authorization": "Bearer s3cret-token-of-enough-length"}, timeout=5)
    assert ok.status_code == 200
    assert len(calls) >= 3


# A zoom of noise that would start at once if its fields were taken from any content type.
ZOOM_FIELDS = {"width": "64", "height": "48", "frames": "2", "steps_per_frame": "1", "octaves": "1", "scale": "1", "format": "gif"}


@pytest.mark.parametrize("route", ["/v1/dreams", "/v1/zooms", "/v1/videos"])
@pytest.mark.parametrize("content_type, body", [
    ("application/x-www-form-urlencoded", "&".join(f"{k}={v}" for k, v in ZOOM_FIELDS.items()).encode()),
    ("text/plain", b"width=64\nheight=48"),
    ("application/json", b'{"width": 64, "height": 48}'),
    (None, b""),
], ids=["urlencoded", "text-plain", "json", "no-type"])
def test_only_multipart_or_raw_pixels_start_work_on_every_route(server, route, content_type, body, monkeypatch):
    # A web page can send a urlencoded or text/plain form anywhere without a CORS preflight.
    submitted = spy_on_submissions(server, monkeypatch)
    status, _, reply = raw_request(server.port, "POST", route, {"Host": f"127.0.0.1:{server.port}",
                                                                **({"Content-Type": content_type} if content_type else {})}, body)
    assert status == 415 and b"unsupported_media_type" in reply
    assert submitted == []


def test_zooms_and_videos_take_multipart_only(server):
    for route in ("/v1/zooms", "/v1/videos"):
        r = requests.post(server.url + route, data=b"\0" * 16, headers={"Content-Type": "application/octet-stream"}, timeout=5)
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    r = requests.post(f"{server.url}/v1/zooms", files={k: (None, v) for k, v in ZOOM_FIELDS.items()}, timeout=5)
    assert r.status_code == 202, r.text


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes; Windows guards files with ACLs")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o620, 0o604])
def test_a_token_file_other_users_can_read_or_change_is_refused_before_torch_loads(tmp_path, mode):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-of-enough-length\n")
    token_file.chmod(mode)
    # The CLI's own entry point, in a fresh interpreter: it must refuse before importing torch (seconds to load).
    script = ("import sys; from dreamlayer.cli import main; "
              f"code = main(['serve', '--host', '0.0.0.0', '--port', '1', '--token-file', {str(token_file)!r}]); "
              "print(code, 'torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert run.stdout.split() == ["2", "False"], run.stdout + run.stderr
    assert f"run `chmod 600 {token_file}` and start again" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_private_token_file_is_read(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-of-enough-length\n")
    token_file.chmod(0o600)
    assert read_token_file(str(token_file)) == "s3cret-token-of-enough-length"
