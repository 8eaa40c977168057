"""Turning a ``POST /v1/dreams`` request into a validated dream, or a clear 4xx error.

Two forms are accepted:
- ``multipart/form-data`` with an ``image`` part (an encoded PNG, JPEG, WebP or TIFF, or raw pixels sent as
  ``application/octet-stream`` with ``width``, ``height``, ``layout`` and ``depth`` fields), optional ``mask``
  (raw with ``mask_depth``, or a grey picture) and ``guide`` (an encoded picture) parts, and the dream settings
  as fields;
- a bare ``application/octet-stream`` body of raw pixels, optionally followed by the mask's bytes, described by
  query parameters.
The result is returned in the form of the upload, so this module also records that form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from flask import Request
from werkzeug.datastructures import FileStorage

from ..engine.models import check_params, get_spec
from ..engine.render import octave_plan
from ..errors import ImageTooLarge, InvalidParameter, ModelNotDownloaded
from ..images import Picture, load_mask, load_picture
from ..params import DreamParams, parse_bool
from ..presets import DEFAULT_PRESET, preset_params
from .errors import ApiError
from ..engine.zoom import ZoomSettings
from ..video import MIME_TYPES
from .pixels import DTYPES, LAYOUTS, MASK_DEPTHS, RawFormat, decode_raw, decode_raw_mask

# Fields that describe the upload rather than the dream.
FORMAT_FIELDS = ("width", "height", "layout", "depth", "mask_depth", "preset", "lease")
MAX_LEASE = 3600.0


@dataclass
class DreamRequest:
    picture: Picture
    params: DreamParams  # resolved: seed and scale filled in
    mask: np.ndarray | None
    guide: np.ndarray | None
    raw_format: RawFormat | None  # how to send the result back: raw like this, or...
    image_format: str | None  # ...encoded like this (PNG, JPEG, WEBP, TIFF)
    lease: float = 0.0  # seconds without a status request before the job counts as abandoned; 0: never


@dataclass(frozen=True)
class Limits:
    max_pixels: int
    max_cost: int  # network pixels × steps, summed over octaves (and over frames, for a zoom)
    max_zoom_pixels: int = 64 * 2**20  # frames × pixels of one zoom: its frames are kept, as PNGs, for fetching


@dataclass
class ZoomRequest:
    start: np.ndarray | None  # None: start from noise
    width: int
    height: int
    params: DreamParams  # resolved
    settings: ZoomSettings
    fps: float
    video_format: str  # mp4, webm, gif or webp
    lease: float = 0.0


ZOOM_FIELDS = {"frames": int, "zoom": float, "rotate": float, "drift_x": float, "drift_y": float,
               "steps_per_frame": int, "blend": float, "stabilize": bool}


def parse_dream_request(request: Request, limits: Limits) -> DreamRequest:
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        fields, image, mask, guide = request.form, request.files.get("image"), request.files.get("mask"), request.files.get("guide")
        if image is None:
            raise InvalidParameter("The request has no 'image' part.")
        raw_image, raw_mask = _is_raw(image), mask is not None and _is_raw(mask)
        image_bytes, mask_bytes = image.read(), mask.read() if mask is not None else None
    elif mimetype == "application/octet-stream":
        fields, guide = request.args, None
        raw_image, raw_mask = True, "mask_depth" in request.args
        image_bytes, mask_bytes = request.get_data(cache=False), None
    else:  # routes.py refuses other types before this; kept so the parser never guesses
        raise ApiError(415, "unsupported_media_type", "Send the picture as multipart/form-data or application/octet-stream.")

    params = _params({k: v for k, v in fields.items() if k not in FORMAT_FIELDS}, fields.get("preset", DEFAULT_PRESET))
    if raw_image:
        fmt = _raw_format(fields)
        if fmt.width * fmt.height > limits.max_pixels:
            raise ImageTooLarge(f"The picture is {fmt.width}×{fmt.height}, more than the {limits.max_pixels:,} pixels allowed here.")
        if mimetype == "application/octet-stream" and raw_mask:
            image_bytes, mask_bytes = image_bytes[: fmt.byte_count], image_bytes[fmt.byte_count :]
        picture, image_format = decode_raw(image_bytes, fmt), None
    else:
        fmt, picture = None, load_picture(image_bytes, limits.max_pixels)
        image_format = picture.source_format

    width, height = picture.size
    params = params.resolved(width, height)
    _check_cost(params, width, height, limits.max_cost)
    mask_array = None
    if mask_bytes is not None:
        if raw_mask:
            depth = fields.get("mask_depth", "u8")
            if depth not in MASK_DEPTHS:
                raise InvalidParameter(f"'mask_depth' must be one of {', '.join(MASK_DEPTHS)}, not '{depth}'.")
            mask_array = decode_raw_mask(mask_bytes, width, height, depth)
        else:
            mask_array = load_mask(mask_bytes, (width, height), limits.max_pixels)
    guide_array = None
    if guide is not None:
        if _is_raw(guide):
            raise InvalidParameter("Send the guide as a PNG, JPEG, WebP or TIFF picture, not raw pixels.")
        guide_array = load_picture(guide.read(), limits.max_pixels).rgb
    return DreamRequest(picture, params, mask_array, guide_array, fmt, image_format, _lease(fields))


def parse_zoom_request(request: Request, limits: Limits) -> ZoomRequest:
    """``POST /v1/zooms``: multipart fields, an optional starting ``image``, else ``width``×``height`` of noise."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "Send a zoom as multipart/form-data.")
    fields, image = request.form, request.files.get("image")
    known = set(ZOOM_FIELDS) | {"fps", "format", "width", "height", "preset", "lease"}
    settings = ZoomSettings(**{name: _typed(fields[name], kind, name) for name, kind in ZOOM_FIELDS.items() if name in fields}).validated()
    fps = _typed(fields.get("fps", "24"), float, "fps")
    if not 1 <= fps <= 120:
        raise InvalidParameter("'fps' must be between 1 and 120.")
    video_format = fields.get("format", "mp4")
    if video_format not in MIME_TYPES:
        raise InvalidParameter(f"'format' must be one of {', '.join(MIME_TYPES)}, not '{video_format}'.")
    if image is not None:
        start = load_picture(image.read(), limits.max_pixels).rgb
        height, width = start.shape[:2]
    else:
        start = None
        width, height = _typed(fields.get("width", "512"), int, "width"), _typed(fields.get("height", "512"), int, "height")
        if not (16 <= width <= 8192 and 16 <= height <= 8192):
            raise InvalidParameter("A noise start must be 16 to 8192 pixels a side.")
    if settings.frames * width * height > limits.max_zoom_pixels:
        raise InvalidParameter(
            f"This zoom is too big for this server ({settings.frames} frames of {width}×{height}); "
            f"frames × pixels may be at most {limits.max_zoom_pixels:,}. Use fewer frames or a smaller size.")
    params = _params({k: v for k, v in fields.items() if k not in known}, fields.get("preset", DEFAULT_PRESET))
    params = params.replace(steps=settings.steps_per_frame).resolved(width, height)
    cost = settings.frames * dream_cost(params, width, height)
    if cost > limits.max_cost:
        raise InvalidParameter(f"This zoom is too big for this server ({cost:,} pixel-steps; the limit is {limits.max_cost:,}). "
                               "Use fewer frames, steps or octaves, or a larger feature scale.")
    return ZoomRequest(start, width, height, params, settings, fps, video_format, _lease(fields))


def _lease(fields: Mapping[str, str]) -> float:
    lease = _typed(fields.get("lease", "0"), float, "lease")
    if not 0 <= lease <= MAX_LEASE:
        raise InvalidParameter(f"'lease' must be between 0 and {MAX_LEASE:.0f} seconds.")
    return lease


def _typed(text: str, kind: type, name: str):
    try:
        return parse_bool(text) if kind is bool else kind(text)
    except ValueError:
        raise InvalidParameter(f"'{name}' must be a {'whole number' if kind is int else 'number' if kind is float else 'yes or no'}, not '{text}'.") from None


def _is_raw(part: FileStorage) -> bool:
    return part.mimetype == "application/octet-stream"


def _params(settings: Mapping[str, str], preset: str) -> DreamParams:
    params = DreamParams.from_mapping(settings, preset_params(preset))
    check_params(params)
    if not get_spec(params.model).available():
        raise ModelNotDownloaded(f"The '{params.model}' model is not downloaded on the server. Run `dreamlayer models pull {params.model}` there.")
    return params


def _raw_format(fields: Mapping[str, str]) -> RawFormat:
    try:
        width, height = int(fields.get("width", "")), int(fields.get("height", ""))
    except ValueError:
        raise InvalidParameter("Raw pixels need whole-number 'width' and 'height' fields.") from None
    if width < 1 or height < 1:
        raise InvalidParameter("'width' and 'height' must be at least 1.")
    layout, depth = fields.get("layout", "RGBA"), fields.get("depth", "u8")
    if layout not in LAYOUTS:
        raise InvalidParameter(f"'layout' must be one of {', '.join(LAYOUTS)}, not '{layout}'.")
    if depth not in DTYPES:
        raise InvalidParameter(f"'depth' must be one of {', '.join(DTYPES)}, not '{depth}'.")
    return RawFormat(width, height, layout, depth)


def dream_cost(params: DreamParams, width: int, height: int) -> int:
    """Network pixels × steps over all octaves: what a dream costs, whatever the picture's size."""
    return sum(h * w for h, w in octave_plan(params, width, height)) * params.steps


def _check_cost(params: DreamParams, width: int, height: int, max_cost: int) -> None:
    cost = dream_cost(params, width, height)
    if cost > max_cost:
        raise InvalidParameter(
            f"This dream is too big for this server ({cost:,} pixel-steps; the limit is {max_cost:,}). "
            "Use fewer steps or octaves, or a larger feature scale."
        )
