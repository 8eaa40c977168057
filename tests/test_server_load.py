"""Thirty clients, five small dreams each, retrying when the queue is full: no accepted dream is lost."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests

from .live_server import TINY, png_bytes, start_server

CLIENTS, DREAMS_EACH = 30, 5


class Client:
    """One artist's batch: submit five, retrying on 503 after Retry-After; then poll each until it ends, fetch its result."""

    def __init__(self, url: str):
        self.url, self.session = url, requests.Session()
        self.statuses: Counter[int] = Counter()
        self.problems: list[str] = []
        self.done = 0

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        r = self.session.request(method, self.url + path, timeout=30, **kwargs)
        self.statuses[r.status_code] += 1
        if r.status_code >= 500 and not (r.status_code == 503 and r.json()["error"]["code"] == "queue_full"
                                          and int(r.headers["Retry-After"]) >= 1):
            self.problems.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
        return r

    def submit(self, picture: bytes) -> str:
        while True:
            r = self._call("POST", "/v1/dreams", files={"image": ("in.png", picture, "image/png")}, data=TINY)
            if r.status_code != 503:
                assert r.status_code == 202, r.text
                return r.json()["id"]
            time.sleep(int(r.headers["Retry-After"]))

    def follow(self, job_id: str) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            r = self._call("GET", f"/v1/jobs/{job_id}")
            if r.status_code != 200:
                self.problems.append(f"job {job_id} went to {r.status_code} {r.text[:200]} while polled")
                return
            if r.json()["state"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        if r.json()["state"] != "done":
            self.problems.append(f"job {job_id} ended {r.json()['state']}")
            return
        result = self._call("GET", f"/v1/jobs/{job_id}/result")
        if result.status_code == 200 and result.content.startswith(b"\x89PNG"):
            self.done += 1
        else:
            self.problems.append(f"job {job_id}: result {result.status_code}")

    def run(self) -> None:
        picture = png_bytes(64, 48)
        try:
            # All five first, then each followed: the first results wait while many other jobs finish.
            for job_id in [self.submit(picture) for _ in range(DREAMS_EACH)]:
                self.follow(job_id)
        except Exception as exc:  # noqa: BLE001 - reported by the test, with the others' problems
            self.problems.append(repr(exc))


@pytest.mark.slow
def test_thirty_clients_each_get_all_five_dreams():
    live = start_server()
    try:
        clients = [Client(live.url) for _ in range(CLIENTS)]
        threads = [threading.Thread(target=client.run) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(900)
        problems = [p for client in clients for p in client.problems]
        assert not problems, problems[:10]
        assert sum(client.done for client in clients) == CLIENTS * DREAMS_EACH
        statuses = sum((client.statuses for client in clients), Counter())
        assert statuses[503] > 0, "the queue never filled: the test did not exercise retrying"
        assert not [code for code in statuses if code >= 500 and code != 503]
    finally:
        live.stop()
