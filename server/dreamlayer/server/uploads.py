"""Turning ``POST /v1/dreams`` and ``POST /v1/zooms`` requests into validated work, or a clear 4xx error.

A dream comes as ``multipart/form-data`` (an ``image`` part that is an encoded PNG, JPEG, WebP or TIFF, or raw
pixels sent as ``application/octet-stream``; optional ``mask`` and ``guide`` parts; fields) or as a bare
``application/octet-stream`` body of raw pixels, optionally followed by the mask's bytes, with the fields as query
parameters. Every field is a setting of ``dreamlayer.params``: the dream's (``DreamParams``), a zoom's
(``ZoomSettings``), or the request's own (``DreamUpload``, ``ZoomUpload``: sizes, layout, preset, lease...).
The result goes back in the form of the upload, so this module also records that form. A zoom's or video's job
folder (films.py) is made here, once the disk has room for it: a video's frames go there as they are read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from flask import Request
from werkzeug.datastructures import FileStorage

from ..catalog import get_model
from ..engine.devices import check_precision
from ..engine.render import octave_plan
from ..errors import DreamlayerError, ImageTooLarge, InvalidParameter, ModelNotDownloaded, OverBudget
from ..images import Fingerprint, Picture, fingerprint, load_mask, load_picture
from ..params import DreamParams, DreamUpload, Knobs, VideoSettings, VideoUpload, ZoomSettings, ZoomUpload, preset_params
from .errors import ApiError
from .films import FrameStore
from .forms import picture_parts, single_fields
from .jobs import JobSettings
from .limits import Limits
from .pixels import RawFormat, decode_raw, decode_raw_mask

T = TypeVar("T")


@dataclass
class DreamRequest:
    picture: Picture
    params: DreamParams  # resolved: seed, scale and edge softness filled in
    mask: np.ndarray | None
    guide: np.ndarray | None
    raw_format: RawFormat | None  # how to send the result back: raw like this, or...
    image_format: str | None  # ...encoded like this (PNG, JPEG, WEBP, TIFF)
    lease: float = 0.0  # seconds without a status request before the job counts as abandoned; 0: never
    guide_print: Fingerprint | None = None  # recorded with the result's settings
    mask_print: Fingerprint | None = None
    open_sides: tuple[bool, bool, bool, bool] = (True, True, True, True)  # top, bottom, left, right: on the canvas edge
    preset: str = ""
    store: None = None  # a dream has no job folder

    def job_settings(self) -> JobSettings:
        return JobSettings(self.preset, self.params.to_dict())


@dataclass
class ZoomRequest:
    start: np.ndarray | None  # None: start from noise
    width: int
    height: int
    params: DreamParams  # resolved
    settings: ZoomSettings
    store: FrameStore  # its job folder, where its frames and film go
    lease: float = 0.0
    preset: str = ""

    def job_settings(self) -> JobSettings:
        return JobSettings(self.preset, self.params.to_dict(), self.settings.to_dict(), self.settings.frames)


def split_fields(fields: Mapping[str, str], own: type[Knobs]) -> tuple[dict[str, str], dict[str, str]]:
    """The request's own fields, and the rest (the settings, which the parameter model checks by name)."""
    names = set(own.names())
    return {k: v for k, v in fields.items() if k in names}, {k: v for k, v in fields.items() if k not in names}


def parse_dream_request(request: Request, limits: Limits) -> DreamRequest:
    fields, image_part, mask_part, guide_part = _parts(request)
    upload_fields, settings = split_fields(fields, DreamUpload)
    upload = DreamUpload.from_mapping(upload_fields, exact=True)
    params = _params(settings, upload.preset, limits)
    raw_image = image_part is None or _is_raw(image_part)
    image_bytes = request.get_data(cache=False) if image_part is None else image_part.read()
    mask_bytes = mask_part.read() if mask_part is not None else None
    if raw_image:
        fmt = _raw_format(upload, limits)
        if image_part is None and "mask_depth" in fields:  # a bare body: the mask follows the pixels
            image_bytes, mask_bytes = image_bytes[: fmt.byte_count], image_bytes[fmt.byte_count :]
        picture, image_format = decode_raw(image_bytes, fmt), None
    else:
        fmt, picture = None, load_picture(image_bytes, limits.max_pixels)
        image_format = picture.source_format

    width, height = picture.size
    document = (upload.document_width or width, upload.document_height or height)
    params = params.resolved(*document)
    _check_cost("dream", dream_cost(params, width, height), limits, "Use fewer steps or octaves, or a larger feature scale.")
    mask, mask_print = None, None
    if mask_bytes is not None:
        mask_print = fingerprint(mask_bytes, (width, height))
        raw_mask = image_part is None or _is_raw(mask_part)
        mask = _part("the 'mask' part", lambda: decode_raw_mask(mask_bytes, width, height, upload.mask_depth) if raw_mask
                     else load_mask(mask_bytes, (width, height), limits.max_pixels))
    guide, guide_print = None, None
    if guide_part is not None:
        if _is_raw(guide_part):
            raise InvalidParameter("Send the guide as a PNG, JPEG, WebP or TIFF picture, not raw pixels.")
        guide_bytes = guide_part.read()
        guide_picture = _part("the 'guide' part", lambda: load_picture(guide_bytes, limits.max_pixels))
        guide, guide_print = guide_picture.rgb, fingerprint(guide_bytes, guide_picture.size)
    return DreamRequest(picture, params, mask, guide, fmt, image_format, upload.lease, guide_print, mask_print,
                        _open_sides(upload, width, height, document), upload.preset)


def _parts(request: Request) -> tuple[Mapping[str, str], FileStorage | None, FileStorage | None, FileStorage | None]:
    """(fields, image, mask, guide); image is None for a bare raw body, whose fields are query parameters."""
    if request.mimetype == "multipart/form-data":
        parts = picture_parts(request.files, ("image", "mask", "guide"))
        if "image" not in parts:
            raise InvalidParameter("The request has no 'image' part.")
        mask, guide = parts.get("mask", [None])[0], parts.get("guide", [None])[0]
        return single_fields(request.form), parts["image"][0], mask, guide
    if request.mimetype == "application/octet-stream":
        return single_fields(request.args), None, None, None
    raise ApiError(415, "unsupported_media_type", "Send the picture as multipart/form-data or application/octet-stream.")


def _open_sides(upload: DreamUpload, width: int, height: int, document: tuple[int, int]) -> tuple[bool, bool, bool, bool]:
    """Which of the picture's sides lie on the document's edge (where a selection's edge is not softened)."""
    if upload.region_x is None or upload.region_y is None:
        return (True, True, True, True)  # the picture is the whole document
    x, y = upload.region_x, upload.region_y
    return (y == 0, y + height >= document[1], x == 0, x + width >= document[0])


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
    params = _params(settings_fields, upload.preset, limits).replace(steps=settings.steps_per_frame).resolved(width, height)
    _check_cost("zoom", settings.frames * dream_cost(params, width, height), limits,
                "Use fewer frames, steps or octaves, or a larger feature scale.")
    store = limits.films.new_store("zoom film", settings.frames, width, height)
    return ZoomRequest(start, width, height, params, settings, store, upload.lease, upload.preset)


@dataclass
class VideoRequest:
    store: FrameStore  # its job folder: the frames as received wait there for their turn, one file each
    count: int  # how many frames
    params: DreamParams  # resolved
    settings: VideoSettings
    max_pixels: int
    lease: float = 0.0
    preset: str = ""

    def job_settings(self) -> JobSettings:
        return JobSettings(self.preset, self.params.to_dict(), self.settings.to_dict(), self.count)

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
    width, height = _part("frame 1", lambda: load_picture(parts[0].read(), limits.max_pixels)).size
    params = _params(settings_fields, upload.preset, limits).resolved(width, height)
    later = params.replace(steps=settings.steps_per_frame)
    _check_cost("video", dream_cost(params, width, height) + (len(parts) - 1) * dream_cost(later, width, height),
                limits, "Use fewer frames or steps, or a larger feature scale.")
    store = limits.films.new_store("video", len(parts), width, height, sum(_size(part) for part in parts))
    try:
        for index, part in enumerate(parts, start=1):
            part.stream.seek(0)
            data = part.read()
            size = _part(f"frame {index}", lambda: load_picture(data, limits.max_pixels)).size
            if size != (width, height):
                raise InvalidParameter(f"Frame {index} is {size[0]}×{size[1]}; every frame must be {width}×{height}.")
            store.add_source(data)
    except BaseException:
        store.remove()
        raise
    return VideoRequest(store, len(parts), params, settings, limits.max_pixels, upload.lease, upload.preset)


def _size(part: FileStorage) -> int:
    """A part's bytes, from its spooled file, without reading it."""
    stream = part.stream
    here = stream.tell()
    size = stream.seek(0, os.SEEK_END)
    stream.seek(here)
    return size


def _part(name: str, read: Callable[[], T]) -> T:
    """Read one part of the request; what is wrong with it says which part it is (the mask, the guide, a frame)."""
    try:
        return read()
    except DreamlayerError as exc:
        raise type(exc)(f"In {name}: {exc}") from None


def _is_raw(part: FileStorage) -> bool:
    return part.mimetype == "application/octet-stream"


def _params(settings: Mapping[str, str], preset: str, limits: Limits) -> DreamParams:
    params = DreamParams.from_mapping(settings, preset_params(preset), exact=True)
    check_precision(limits.device_type, params.precision)
    if not get_model(params.model).available():
        raise ModelNotDownloaded(f"The '{params.model}' model is not downloaded on the server. Run `dreamlayer models pull {params.model}` there.")
    return params


def _raw_format(upload: DreamUpload, limits: Limits) -> RawFormat:
    if upload.width is None or upload.height is None:
        raise InvalidParameter("Raw pixels need whole-number 'width' and 'height' fields.")
    if upload.width * upload.height > limits.max_pixels:
        raise ImageTooLarge(f"The picture is {upload.width}×{upload.height}, more than the {limits.max_pixels:,} pixels allowed here.")
    return RawFormat(upload.width, upload.height, upload.layout, upload.depth)


def dream_cost(params: DreamParams, width: int, height: int) -> int:
    """Network pixels × steps over all octaves: what a dream costs, whatever the picture's size."""
    return sum(h * w for h, w in octave_plan(params, width, height)) * params.steps


def _check_cost(what: str, cost: int, limits: Limits, advice: str) -> None:
    """Refuse a dream, zoom or video whose pixel-steps (``dream_cost``, summed over frames) pass the server's cap."""
    if cost > limits.max_cost:
        raise OverBudget(f"This {what} is too big for this server ({cost:,} pixel-steps; the limit is "
                         f"{limits.max_cost:,}). {advice}")
