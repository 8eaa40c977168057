"""The server's defences against web pages, each tried against a real waitress server on loopback: exact loopback
Host names, no foreign Origin, no CORS, the bearer token. (The bodies that may start work: test_routes.py; the
token file and off-loopback starts: test_startup.py.)"""

from __future__ import annotations

import http.client

import pytest
import requests

import dreamlayer.server.security as security

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
