"""The channel atlas's part of the OpenAPI description: a layer's atlas, a channel's picture, a picture's ranking.
Their query and form fields are the parameter model's (``AtlasSettings``, ``RankingSettings``, ``RankingUpload``)."""

from __future__ import annotations

from typing import Any

from ..catalog import MODELS, get_model
from ..params.atlas import AtlasSettings, RankingSettings
from ..params.uploads import RankingUpload

_BINARY = {"type": "string", "format": "binary"}
# Numbers 0 to 9 and ranges from 0, which every layer has (each has more than ten channels) and which always read:
# the server takes any numbers and rising ranges the layer has, which no pattern can tie to the layer.
_CHANNEL_LIST = r"^(all|(0-[0-9]|[0-9])(,(0-[0-9]|[0-9]))*)?$"
_TEXT = {"type": "string"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _downloaded() -> tuple[list[str], list[str]]:
    """The models this server has the weights of, and their layers: every layer of each when there is one (a
    layer of one model and the name of another is refused, which JSON Schema cannot say for path parameters)."""
    models = [name for name in MODELS if get_model(name).available()] or list(MODELS)
    return models, list(dict.fromkeys(layer for name in models for layer in get_model(name).layers))


def atlas_paths(field_schemas, form, common: dict[str, Any]) -> dict[str, Any]:
    """``field_schemas`` and ``form`` are openapi.py's; ``common``: the responses every route may give."""
    models, layers = _downloaded()
    layer_params = [{"name": "model", "in": "path", "required": True, "schema": {**_TEXT, "enum": models}},
                    {"name": "layer", "in": "path", "required": True, "schema": {**_TEXT, "enum": layers}}]
    query = field_schemas(AtlasSettings)
    query["channels"] = {**query["channels"], "pattern": _CHANNEL_LIST}
    size = [{"name": "size", "in": "query", "required": False, "schema": query["size"]}]
    refused = _error("Unknown model or layer, channels the layer lacks, or the model is not downloaded")
    ranking_fields = {"image": {**_BINARY, "description": "the picture"},
                      "mask": {**_BINARY, "description": "the selection, as a grey picture of the same size"},
                      **field_schemas(RankingUpload), **field_schemas(RankingSettings)}
    ranking_fields["model"] = {**ranking_fields["model"], "enum": models}
    ranking_fields["layer"] = {**ranking_fields["layer"], "enum": ["", *layers]}
    ranking_form = form(ranking_fields, ("image",))
    return {
        "/v1/models/{model}/layers/{layer}/atlas": {"parameters": layer_params, "get": {
            "summary": "A layer's channel pictures: each made (with its URL), being made or waiting. Asking starts "
                       "the making in the background, between dreams, for 15 s after the last ask",
            "parameters": [{"name": name, "in": "query", "required": False, "schema": query[name]} for name in ("channels", "size")],
            "responses": {"200": {"description": "The atlas", "content": {"application/json": {"schema": _ref("Atlas")}}},
                          "404": _error("No such route: a model or layer name with a slash in it"), "422": refused, "503": _error("The server is stopping"), **common}}},
        "/v1/models/{model}/layers/{layer}/channels/{channel}.png": {
            "parameters": [*layer_params, {"name": "channel", "in": "path", "required": True,
                                           "description": "the channel's number: any the layer has (described up "
                                                          "to 9, which every layer has)",
                                           "schema": {"type": "integer", "minimum": 0, "maximum": 9}}],
            "get": {"summary": "One channel's picture, once made", "parameters": size, "responses": {
                "200": {"description": "PNG", "content": {"image/png": {"schema": _BINARY}}},
                "404": _error("Not made yet (not_made_yet): ask for the layer's atlas"), "422": refused, **common}}},
        "/v1/rankings": {"post": {
            "summary": "A picture's channels of one layer, strongest first, with their share of the layer's activation",
            "requestBody": {"required": True, "content": {"multipart/form-data": ranking_form}},
            "responses": {"200": {"description": "The ranking", "content": {"application/json": {"schema": _ref("Ranking")}}},
                          "400": _error("A malformed body, a field given twice or a second picture part"),
                          "413": _error("The upload or picture is too large"),
                          "415": _error("Not the body this route takes"),
                          "422": _error("Bad settings or an unreadable picture"), **common}}},
    }


def atlas_schemas(field_schemas) -> dict[str, Any]:
    """The answers' shapes. Each repeats the settings it was asked with, resolved (the layer named, never left to
    the default), so their schemas come from the parameter model."""
    count = {"type": "integer", "minimum": 0}
    channel = {"type": "object", "required": ["channel", "state", "url"], "properties": {
        "channel": count, "state": {"enum": ["made", "being_made", "waiting"]},
        "url": {"type": ["string", "null"], "description": "the picture's URL, once made"}}}
    asked = {name: schema for name, schema in field_schemas(AtlasSettings).items() if name != "channels"}
    strength = {"type": "object", "required": ["channel", "share", "activation"], "properties": {
        "channel": count, "share": {"type": "number", "minimum": 0, "maximum": 1},
        "activation": {"type": "number", "description": "the channel's mean activation on the picture"}}}
    return {
        "Atlas": _every_key_required({
            **asked, "dreams": {**_TEXT, "description": "what the layer dreams, in a painter's words"},
            "state": {"enum": ["made", "being_made", "failed"]},
            "progress": {"type": "object", "required": ["made", "total", "share"], "properties": {
                "made": count, "total": count, "share": {"type": "number", "minimum": 0, "maximum": 1}}},
            "error": {"oneOf": [{"type": "null"}, _ref("ErrorBody")]},
            "channels": {"type": "array", "items": channel}}),
        "Ranking": _every_key_required({**field_schemas(RankingSettings),
                                        "channels": {"type": "array", "items": strength}}),
    }


def _every_key_required(properties: dict[str, Any]) -> dict[str, Any]:
    """An answer that always has each of its keys."""
    return {"type": "object", "required": list(properties), "properties": properties}
