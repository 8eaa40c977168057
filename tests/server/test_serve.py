"""waitress as the server runs it: slow or stalled connections hold no thread and are closed in time, and a body
over the largest cap is refused from its Content-Length, unread."""

from __future__ import annotations

import socket
import time

from ..live_server import TINY, start_server
from .test_streams import ANSWER_WITHIN, cancel_within_a_second, held_server, slowest_answer, submit, wait_running


def _stall(port: int) -> socket.socket:
    """A connection that sends half a request's headers, then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode())
    return sock


def test_150_slow_header_connections_do_not_lock_anyone_out():
    with held_server() as (live, _):
        job_id = submit(live.url, TINY)
        wait_running(live, job_id)
        stalled = [_stall(live.port) for _ in range(150)]
        try:
            time.sleep(0.5)  # let the server accept them all
            assert slowest_answer(live, job_id) < ANSWER_WITHIN
            assert cancel_within_a_second(live, job_id) < ANSWER_WITHIN
        finally:
            for sock in stalled:
                sock.close()


def test_a_stalled_connection_is_closed_after_the_channel_timeout():
    live = start_server({"CHANNEL_TIMEOUT": 2})
    try:
        sock = _stall(live.port)
        start = time.monotonic()
        sock.settimeout(15)
        try:
            closed = sock.recv(1024) == b""
        except ConnectionResetError:
            closed = True
        finally:
            sock.close()
        assert closed and time.monotonic() - start < 15
    finally:
        live.stop()


def test_declared_oversize_body_is_refused_before_it_is_read(small_server):
    with socket.create_connection(("127.0.0.1", small_server.port), timeout=5) as sock:
        sock.sendall(
            f"POST /v1/dreams HTTP/1.1\r\nHost: 127.0.0.1:{small_server.port}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {10**12}\r\n\r\n".encode()
        )
        reply = sock.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 413")
