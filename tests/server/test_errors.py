"""Every error leaves the server as JSON, with a 4xx status and a code."""

from __future__ import annotations

import requests


def test_unknown_job_and_unfinished_result_are_json_errors(server):
    r = requests.get(f"{server.url}/v1/jobs/nope", timeout=5)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_job"
    r = requests.get(f"{server.url}/v1/nowhere", timeout=5)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.put(f"{server.url}/v1/dreams", timeout=5)
    assert r.status_code == 405 and "error" in r.json()
