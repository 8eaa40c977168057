"""Every error leaves the server as JSON, with a 4xx status and a code."""

from __future__ import annotations

import pytest
import requests
from flask import Flask

from dreamlayer.errors import ImageTooLarge, InvalidParameter
from dreamlayer.server.errors import ApiError, register_error_handlers


def test_unknown_job_and_unfinished_result_are_json_errors(server):
    r = requests.get(f"{server.url}/v1/jobs/nope", timeout=5)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_job"
    r = requests.get(f"{server.url}/v1/nowhere", timeout=5)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.put(f"{server.url}/v1/dreams", timeout=5)
    assert r.status_code == 405 and "error" in r.json()


@pytest.fixture
def app() -> Flask:
    """A bare Flask app with the server's error handlers, and a route for each kind of error."""
    made = Flask(__name__)
    register_error_handlers(made)

    @made.get("/api-error")
    def api_error():
        raise ApiError(503, "queue_full", "Full.", {"Retry-After": "7"})

    @made.get("/too-large")
    def too_large():
        raise ImageTooLarge("Too many pixels.")

    @made.get("/invalid")
    def invalid():
        raise InvalidParameter("Bad steps.")

    @made.get("/bug")
    def bug():
        raise KeyError("a bug")

    return made


def test_each_kind_of_error_has_its_status_code_and_message(app, caplog):
    client = app.test_client()
    busy = client.get("/api-error")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "7"
    assert busy.json == {"error": {"code": "queue_full", "message": "Full."}}
    too_large = client.get("/too-large")
    assert too_large.status_code == 413 and too_large.json["error"] == {"code": "image_too_large", "message": "Too many pixels."}
    assert client.get("/invalid").status_code == 422  # anything else wrong with what was sent
    bug = client.get("/bug")
    assert bug.status_code == 500 and bug.json["error"]["code"] == "internal_error"
    assert "a bug" not in bug.get_data(as_text=True) and "unexpected error" in caplog.text  # said in the log only


def test_http_errors_are_json_and_a_405_says_which_methods_the_url_takes(app):
    client = app.test_client()
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = client.post("/invalid")
    assert wrong.status_code == 405 and wrong.json["error"]["code"] == "method_not_allowed"
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
