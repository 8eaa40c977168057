"""Turning ``POST /v1/zooms`` and ``POST /v1/videos`` into validated work, or a clear 4xx error.

Both take ``multipart/form-data``: a zoom its fields and an optional starting ``image``; a video its ``frame``
parts in order. Every field is a setting of ``dreamlayer.params``: the dream's, the film's (``ZoomSettings``,
``VideoSettings``) or the request's own (``ZoomUpload``, ``VideoUpload``). A film's job folder (films.py) is made
here, once the disk has room for it: a video's frames go there as they are read, one in memory at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from flask import Request
from werkzeug.datastructures import FileStorage

from ..errors import InvalidParameter
from ..images import load_picture
from ..params import VideoSettings, VideoUpload, ZoomSettings, ZoomUpload
from ..params.resolved import ResolvedDream, resolve_dream
from .errors import ApiError
from .films import FrameStore
from .forms import picture_parts, single_fields
from .job import JobSettings
from .limits import Limits
from .reading import check_cost, dream_params, read_part, split_fields


@dataclass
class ZoomRequest:
    start: np.ndarray | None  # None: start from noise
    width: int
    height: int
    dream: ResolvedDream  # the dream of each frame (a video's first frame: the dream of the first frame)
    settings: ZoomSettings
    store: FrameStore  # its job folder, where its frames and film go
    lease: float = 0.0
    preset: str = ""

    def job_settings(self) -> JobSettings:
        return JobSettings(self.preset, self.dream.params.to_dict(), self.settings.to_dict(), self.settings.frames)


def parse_zoom_request(request: Request, limits: Limits) -> ZoomRequest:
    """``POST /v1/zooms``: multipart fields, and an optional starting ``image``, else noise of width × height."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "Send a zoom as multipart/form-data.")
    fields, image = single_fields(request.form), picture_parts(request.files, ("image",)).get("image", [None])[0]
    upload_fields, rest = split_fields(fields, ZoomUpload)
    film_fields, settings_fields = split_fields(rest, ZoomSettings)
    upload = ZoomUpload.from_mapping(upload_fields, exact=True)
    for old in ZoomSettings.REPLACES:
        if old in settings_fields:
            film_fields[old] = settings_fields.pop(old)  # so that the zoom's own message explains it
    settings = ZoomSettings.from_mapping(film_fields, exact=True)
    if image is not None:
        start = load_picture(image.read(), limits.max_pixels).rgb
        height, width = start.shape[:2]
    else:
        start, width, height = None, upload.width, upload.height
    resolved = resolve_dream(dream_params(settings_fields, upload.preset, limits), width, height)
    resolved = resolved.for_frames(settings.steps_per_frame)
    check_cost("zoom", settings.frames * resolved.cost, limits,
                "Use fewer frames, steps or octaves, or a larger feature scale.")
    store = limits.films.new_store("zoom film", settings.frames, width, height)
    return ZoomRequest(start, width, height, resolved, settings, store, upload.lease, upload.preset)


@dataclass
class VideoRequest:
    store: FrameStore  # its job folder: the frames as received wait there for their turn, one file each
    count: int  # how many frames
    dream: ResolvedDream  # the dream of each frame (a video's first frame: the dream of the first frame)
    settings: VideoSettings
    max_pixels: int
    lease: float = 0.0
    preset: str = ""

    def job_settings(self) -> JobSettings:
        return JobSettings(self.preset, self.dream.params.to_dict(), self.settings.to_dict(), self.count)

    def source_frames(self) -> Iterator[np.ndarray]:
        """The frames as the engine takes them, (H, W, 3) float32 in 0..1, read one at a time from the job
        folder (and deleted from it once read)."""
        for index in range(self.count):
            rgb = load_picture(self.store.source(index), self.max_pixels).rgb
            self.store.done_with_source(index)
            yield rgb


def parse_video_request(request: Request, limits: Limits) -> VideoRequest:
    """``POST /v1/videos``: the frames as ``frame`` parts (PNG, JPEG, WebP or TIFF, all one size, in order), and
    fields. Each frame is read, checked and written to the job folder in turn, so only one is in memory at a time;
    the disk must have room for the film, and the pixel-steps budget cover all its frames."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "Send a video's frames as multipart/form-data.")
    upload_fields, rest = split_fields(single_fields(request.form), VideoUpload)
    film_fields, settings_fields = split_fields(rest, VideoSettings)
    upload, settings = VideoUpload.from_mapping(upload_fields, exact=True), VideoSettings.from_mapping(film_fields, exact=True)
    parts = picture_parts(request.files, (), ("frame",)).get("frame", [])
    if not parts:
        raise InvalidParameter("The request has no 'frame' parts: send each frame as a part named 'frame'.")
    if len(parts) > limits.max_video_frames:
        raise InvalidParameter(f"This video has {len(parts)} frames; this server takes at most "
                               f"{limits.max_video_frames:,}. Send a shorter clip.")
    width, height = read_part("frame 1", lambda: load_picture(parts[0].read(), limits.max_pixels)).size
    first = resolve_dream(dream_params(settings_fields, upload.preset, limits), width, height)
    later = first.for_frames(settings.steps_per_frame)
    check_cost("video", first.cost + (len(parts) - 1) * later.cost,
                limits, "Use fewer frames or steps, or a larger feature scale.")
    store = limits.films.new_store("video", len(parts), width, height, sum(_size(part) for part in parts))
    try:
        for index, part in enumerate(parts, start=1):
            part.stream.seek(0)
            data = part.read()
            size = read_part(f"frame {index}", lambda: load_picture(data, limits.max_pixels)).size
            if size != (width, height):
                raise InvalidParameter(f"Frame {index} is {size[0]}×{size[1]}; every frame must be {width}×{height}.")
            store.add_source(data)
    except BaseException:
        store.remove()
        raise
    return VideoRequest(store, len(parts), first, settings, limits.max_pixels, upload.lease, upload.preset)


def _size(part: FileStorage) -> int:
    """A part's bytes, from its spooled file, without reading it."""
    stream = part.stream
    here = stream.tell()
    size = stream.seek(0, os.SEEK_END)
    stream.seek(here)
    return size
