"""The API's OpenAPI description, as served. (The fuzzer that sends what it describes: tests/test_openapi_fuzz.py.)"""

from __future__ import annotations

import json

import requests

from dreamlayer.params import DreamParams
from dreamlayer.server.openapi import build_spec, field_schemas


def test_openapi_spec_is_served(server):
    spec = requests.get(f"{server.url}/v1/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/dreams" in spec["paths"] and "steps" in json.dumps(spec["paths"]["/v1/dreams"])


def precision_choices(spec: dict) -> list[str]:
    return json.loads(json.dumps(spec))["paths"]["/v1/dreams"]["post"]["requestBody"]["content"][
        "multipart/form-data"]["schema"]["properties"]["precision"]["enum"]


def test_the_description_offers_the_precisions_the_device_runs():
    assert precision_choices(build_spec(("fp32", "bf16"))) == ["fp32", "bf16"]
    assert precision_choices(build_spec(("fp32", "bf16", "fp16"))) == ["fp32", "bf16", "fp16"]


def test_every_setting_is_described_with_its_range_default_and_help():
    schemas = field_schemas(DreamParams)
    assert set(schemas) == set(DreamParams.names())
    steps = schemas["steps"]
    assert (steps["type"], steps["minimum"], steps["maximum"], steps["default"]) == ("integer", 1, 200, 10)
    knob = next(described for described in DreamParams.describe() if described["name"] == "steps")
    assert steps["description"] == f"{knob['label']}: {knob['help']}"  # what a plugin's knob shows, and its help
