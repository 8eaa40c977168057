"""Live Dream's part of the API description: its route, its form (a dream's, with the live settings from the
parameter model), and the answers it gives."""

from __future__ import annotations

from dreamlayer.params import DreamParams
from dreamlayer.params.live import LiveSettings
from dreamlayer.server.openapi import build_spec


def test_the_live_route_takes_a_dream_s_form_with_the_live_settings():
    route = build_spec()["paths"]["/v1/live/{lane}"]
    form = route["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    for name in ("image", "mask", *LiveSettings.names(), *DreamParams.names()):
        assert name in form["properties"], name
    size = next(s for s in LiveSettings.describe() if s["name"] == "live_size")
    assert form["properties"]["live_size"]["maximum"] == size["maximum"] and form["required"] == ["image"]
    assert form["additionalProperties"] is False
    assert {"200", "409", "422", "503"} <= set(route["post"]["responses"]) and "204" in route["delete"]["responses"]
    assert route["parameters"][0]["schema"]["pattern"] == "^[A-Za-z0-9_-]{1,64}$"


def test_the_settings_and_health_describe_live():
    schemas = build_spec()["components"]["schemas"]
    assert "live" in schemas["Settings"]["properties"] and "live" in schemas["Health"]["properties"]
