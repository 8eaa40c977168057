"""The API's OpenAPI description, as served. (The fuzzer that sends what it describes: tests/test_openapi_fuzz.py.)"""

from __future__ import annotations

import json

import requests


def test_openapi_spec_is_served(server):
    spec = requests.get(f"{server.url}/v1/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/dreams" in spec["paths"] and "steps" in json.dumps(spec["paths"]["/v1/dreams"])
