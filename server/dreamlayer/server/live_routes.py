"""``POST /v1/live/{lane}``: a live dream, answered when it is made; ``DELETE`` forgets the lane.

The request is a dream's (``parse_dream_request``), with the live settings read apart (``LiveSettings``); the
answer is the dreamed picture in the upload's form, as a dream's result is, so an editor can paint it straight into
its live layer. A request that a newer one in its lane replaced answers 409 "superseded" (live_lanes.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Callable, Hashable

from flask import Blueprint, Response, request

from ..engine.live import LiveMemory, LiveOutcome, live_dream
from ..images import SettingsRecord
from ..params.live import LiveSettings, lane_seed, live_version
from ..params.resolved import ResolvedDream
from .dreaming import DreamRunner, encode_result
from .dream_requests import DreamRequest, parse_dream_request
from .errors import ApiError, shutting_down
from .limits import check_upload_size
from .live_lanes import Superseded
from .routes import WORK_TYPES
from .services import services

live = Blueprint("live", __name__, url_prefix="/v1")
LANE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Longer than any live dream takes, even behind a step of a big dream on two CPU cores; a request still waiting
# then was never going to be in time for the brush.
LIVE_TIMEOUT = 60.0


@dataclass(frozen=True)
class LiveJob:
    dream: DreamRequest  # as sent
    resolved: ResolvedDream  # its live version

    @property
    def settings(self) -> Hashable:
        """Everything but the pixels: a change in any of it starts the lane's dream afresh."""
        return (self.resolved, self.dream.mask_print, self.dream.guide_print, self.dream.open_sides)

    def run(self, runner: DreamRunner, memory: LiveMemory | None, stop: Callable[[], bool]) -> LiveOutcome:
        runner.wait_until_warm()
        net = runner.net(self.resolved.params.model)
        return live_dream(net, self.dream.picture.rgb, self.resolved, memory, self.settings, mask=self.dream.mask,
                          mask_open_sides=self.dream.open_sides, cancelled=stop, options=runner.options)


def _lane(name: str) -> str:
    if not LANE.match(name):
        raise ApiError(404, "unknown_lane", "A live lane is named with 1 to 64 letters, digits, '-' or '_'.")
    return name


@live.post("/live/<name>")
def live_dream_route(name: str):
    """Dream the picture live in lane ``name`` (one per document) and answer with the result."""
    s, lane = services(), _lane(name)
    if request.mimetype not in WORK_TYPES:
        raise ApiError(415, "unsupported_media_type", "Send the request as multipart/form-data (or raw pixels as application/octet-stream).")
    if not s.queue.accepting:
        raise shutting_down()
    check_upload_size(request, "dream", s.limits)
    dream = parse_dream_request(request, s.limits, own=LiveSettings, seed=lane_seed(lane))
    resolved = live_version(dream.dream, dream.own, s.limits.device_type, dream.picture.size, dream.document)
    job = LiveJob(dream, resolved)
    try:
        ask = s.live.ask(lane, job, LIVE_TIMEOUT)
    except Superseded as exc:
        raise ApiError(409, "superseded", str(exc)) from None
    settings = SettingsRecord(resolved.params.to_dict(), dream.guide_print, dream.mask_print)
    result = encode_result(dream, dream.picture.with_pixels(ask.outcome.dreamed), settings)
    headers = {**result.headers, "X-Dreamlayer-Live-Seconds": f"{ask.seconds:.3f}",
               "X-Dreamlayer-Live-Changed": "yes" if ask.outcome.changed else "no"}
    return Response(result.body, mimetype=result.mimetype, headers=headers)


@live.delete("/live/<name>")
def forget_lane(name: str):
    """Forget lane ``name``: what waits or runs there stops, and its last dream is dropped."""
    services().live.forget(_lane(name))
    return Response(status=204)
