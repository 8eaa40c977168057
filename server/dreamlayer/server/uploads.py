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

from ..engine.models import check_params, get_spec, layer_table
from ..engine.resize import octave_sizes, work_size
from ..errors import ImageTooLarge, InvalidParameter, ModelNotDownloaded
from ..images import Picture, load_mask, load_picture
from ..params import DreamParams, parse_layers
from ..presets import DEFAULT_PRESET, preset_params
from .errors import ApiError
from .pixels import DTYPES, LAYOUTS, MASK_DEPTHS, RawFormat, decode_raw, decode_raw_mask

# Fields that describe the upload rather than the dream.
FORMAT_FIELDS = ("width", "height", "layout", "depth", "mask_depth", "preset")


@dataclass
class DreamRequest:
    picture: Picture
    params: DreamParams  # resolved: seed and scale filled in
    mask: np.ndarray | None
    guide: np.ndarray | None
    raw_format: RawFormat | None  # how to send the result back: raw like this, or...
    image_format: str | None  # ...encoded like this (PNG, JPEG, WEBP, TIFF)


@dataclass(frozen=True)
class Limits:
    max_pixels: int
    max_cost: int  # network pixels × steps, summed over octaves


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
    else:
        raise ApiError(415, "unsupported_media_type", "Send the picture as multipart/form-data or application/octet-stream.")

    params = _params(fields)
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
    return DreamRequest(picture, params, mask_array, guide_array, fmt, image_format)


def _is_raw(part: FileStorage) -> bool:
    return part.mimetype == "application/octet-stream"


def _params(fields: Mapping[str, str]) -> DreamParams:
    settings = {k: v for k, v in fields.items() if k not in FORMAT_FIELDS}
    params = DreamParams.from_mapping(settings, preset_params(fields.get("preset", DEFAULT_PRESET)))
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
    min_side = max(layer_table(params.model)[name].min_size for name in _layer_names(params))
    sizes = octave_sizes(work_size(height, width, params.scale, min_side), params.octaves, params.octave_scale, min_side)
    return sum(h * w for h, w in sizes) * params.steps


def _layer_names(params: DreamParams) -> list[str]:
    return [name for name, _ in parse_layers(params.layer)] or [get_spec(params.model).default_layer]


def _check_cost(params: DreamParams, width: int, height: int, max_cost: int) -> None:
    cost = dream_cost(params, width, height)
    if cost > max_cost:
        raise InvalidParameter(
            f"This dream is too big for this server ({cost:,} pixel-steps; the limit is {max_cost:,}). "
            "Use fewer steps or octaves, or a larger feature scale."
        )
