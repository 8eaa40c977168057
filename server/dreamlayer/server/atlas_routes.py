"""The channel atlas over HTTP: a layer's channel pictures (made in the background, see atlas_maker.py), one
channel's picture, and a picture's channels ranked by how hard they fire on it."""

from __future__ import annotations

import torch
from flask import Blueprint, Response, jsonify, request, url_for

from ..catalog import get_model
from ..engine.ranking import rank_channels
from ..params.atlas import AtlasSettings, RankingSettings
from ..params.uploads import RankingUpload
from .atlas_maker import describe_channels
from .dream_requests import read_picture, request_parts
from .errors import ApiError, shutting_down
from .limits import check_upload_size
from .reading import check_downloaded, split_fields
from .routes import WORK_TYPES
from .services import services

atlas = Blueprint("atlas", __name__, url_prefix="/v1")


def _settings(model: str, layer: str) -> AtlasSettings:
    """The model and layer from the path, the channels and size from the query; refused before any work."""
    values = {"model": model, "layer": layer, **{k: v for k, v in request.args.items()}}
    settings = AtlasSettings.from_mapping(values, exact=True)
    check_downloaded(settings.model)
    return settings


@atlas.get("/models/<model>/layers/<layer>/atlas")
def layer_atlas(model: str, layer: str):
    """The layer's channels, each made (with its picture's URL), being made or waiting; asking starts or keeps
    the making going in the background, for LEASE seconds after the last ask."""
    s = services()
    if not s.queue.accepting:
        raise shutting_down()
    settings = _settings(model, layer)
    asked = settings.resolved()
    work = s.atlas.ask(asked)
    channels = describe_channels(work, asked.channels, lambda c: url_for("atlas.channel_picture", model=model,
                                                                         layer=layer, channel=c, size=settings.size))
    made = sum(1 for c in channels if c["state"] == "made")
    state = "failed" if work.error else "made" if made == len(channels) else "being_made"
    info = get_model(settings.model).layers[asked.layer]
    whole = work.progress is not None and work.request.channels == asked.channels and state == "being_made"
    share = work.progress.share if whole else made / len(channels)
    return jsonify(model=settings.model, layer=info.name, dreams=info.dreams, size=settings.size, state=state,
                   progress={"made": made, "total": len(channels), "share": round(share, 4)},
                   error={"code": "atlas_failed", "message": work.error} if work.error else None, channels=channels)


@atlas.get("/models/<model>/layers/<layer>/channels/<int:channel>.png")
def channel_picture(model: str, layer: str, channel: int):
    """One channel's picture, as PNG, once it is made (404 ``not_made_yet`` before: ask for the atlas)."""
    settings = _settings(model, layer)
    request_ = settings.replace(channels=str(channel)).resolved()
    picture = services().atlas.cache(request_.model, request_.layer, request_.size).read(channel)
    if picture is None:
        raise ApiError(404, "not_made_yet", f"Channel {channel}'s picture is not made yet. Ask for the layer's atlas "
                                            f"(GET {url_for('atlas.layer_atlas', model=model, layer=layer)}) to make it.")
    return Response(picture, mimetype="image/png", headers={"Cache-Control": "max-age=3600"})


@atlas.post("/rankings")
def rank():
    """A picture in (and its selection's mask), the layer's channels out, strongest first, with their share."""
    s = services()
    if request.mimetype not in WORK_TYPES:
        raise ApiError(415, "unsupported_media_type", "Send the picture as multipart/form-data (or raw pixels as application/octet-stream).")
    check_upload_size(request, "ranking", s.limits)
    fields, image_part, mask_part = request_parts(request, ("mask",))
    upload_fields, setting_fields = split_fields(fields, RankingUpload)
    upload = RankingUpload.from_mapping(upload_fields, exact=True)
    settings = RankingSettings.from_mapping(setting_fields, exact=True)
    spec = get_model(settings.model)
    check_downloaded(spec.name)
    sent = read_picture(request, fields, image_part, mask_part, upload, s.limits)
    layer = settings.layer or spec.default_layer
    image = torch.from_numpy(sent.picture.rgb).permute(2, 0, 1)[None]
    mask = sent.mask if sent.mask is not None else sent.picture.alpha
    # Beside a running dream, not after it: one forward pass of a small copy, which the network's hooks keep apart
    # from the dream's (DreamNet.features), so a picker never waits for a long film.
    ranking = rank_channels(s.runner.net(spec.name), image, layer, None if mask is None else torch.from_numpy(mask))
    return jsonify(model=spec.name, layer=layer, channels=[
        {"channel": r.channel, "share": round(r.share, 5), "activation": round(r.activation, 5)} for r in ranking])
