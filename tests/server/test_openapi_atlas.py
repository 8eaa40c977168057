"""The channel atlas's part of the API description: its routes, fields from the parameter model, and answers that
match their schemas."""

from __future__ import annotations

import json
import time

import jsonschema
import requests

from dreamlayer.params.atlas import AtlasSettings, RankingSettings
from dreamlayer.server.openapi import build_spec

from ..live_server import png_bytes


def _validator(spec: dict, name: str) -> jsonschema.Draft202012Validator:
    schema = {**spec["components"]["schemas"][name], "$defs": spec["components"]["schemas"]}
    return jsonschema.Draft202012Validator(json.loads(json.dumps(schema).replace("#/components/schemas/", "#/$defs/")))


def test_the_atlas_routes_are_described_with_the_parameter_models_fields():
    paths = build_spec()["paths"]
    atlas = paths["/v1/models/{model}/layers/{layer}/atlas"]["get"]
    query = {p["name"]: p["schema"] for p in atlas["parameters"]}
    size = next(s for s in AtlasSettings.describe() if s["name"] == "size")
    assert (query["size"]["minimum"], query["size"]["maximum"], query["size"]["default"]) == (size["minimum"], size["maximum"], 128)
    assert "pattern" in query["channels"]
    assert "/v1/models/{model}/layers/{layer}/channels/{channel}.png" in paths
    form = paths["/v1/rankings"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(RankingSettings.names()) <= set(form["properties"]) and form["required"] == ["image"]
    assert form["additionalProperties"] is False


def test_the_answers_match_their_schemas(server):
    spec = build_spec()
    url = server.url + "/v1/models/lite0/layers/block1/atlas?channels=0-1&size=32"
    deadline = time.monotonic() + 60
    while (atlas := requests.get(url, timeout=5).json())["state"] != "made":
        _validator(spec, "Atlas").validate(atlas)
        assert time.monotonic() < deadline
        time.sleep(0.2)
    _validator(spec, "Atlas").validate(atlas)
    ranking = requests.post(server.url + "/v1/rankings", files={"image": ("in.png", png_bytes(), "image/png")}, timeout=30)
    _validator(spec, "Ranking").validate(ranking.json())
