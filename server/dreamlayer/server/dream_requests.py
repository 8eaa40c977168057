"""Turning ``POST /v1/dreams`` into validated work, or a clear 4xx error.

A dream comes as ``multipart/form-data`` (an ``image`` part that is an encoded PNG, JPEG, WebP or TIFF, or raw
pixels sent as ``application/octet-stream``; optional ``mask`` and ``guide`` parts; fields) or as a bare
``application/octet-stream`` body of raw pixels, optionally followed by the mask's bytes, with the fields as query
parameters. Every field is a setting of ``dreamlayer.params``: the dream's (``DreamParams``) or the request's own
(``DreamUpload``: sizes, layout, preset, lease...). The result goes back in the form of the upload, so this module
also records that form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from flask import Request
from werkzeug.datastructures import FileStorage

from ..errors import ImageTooLarge, InvalidParameter
from ..images import Fingerprint, Picture, fingerprint, load_mask, load_picture
from ..params import DreamUpload, Knobs
from ..params.uploads import PictureUpload
from ..params.resolved import ResolvedDream, resolve_dream
from .errors import ApiError
from .forms import picture_parts, single_fields
from .job import JobSettings
from .limits import Limits
from .pixels import RawFormat, decode_raw, decode_raw_mask
from .reading import check_cost, dream_params, is_raw, read_part, split_fields


@dataclass
class DreamRequest:
    picture: Picture
    dream: ResolvedDream  # seed, scale and edge softness filled in, layers, channels and octaves read
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
    document: tuple[int, int] | None = None  # (width, height) of the document the picture is part of
    own: Knobs | None = None  # the settings of the route's own that came with the dream (a live dream's)

    def job_settings(self) -> JobSettings:
        return JobSettings(self.preset, self.dream.params.to_dict())


def parse_dream_request(request: Request, limits: Limits, own: type[Knobs] | None = None,
                        seed: int | None = None) -> DreamRequest:
    """The dream, with the fields of a route's ``own`` settings read apart (a live dream's), and ``seed`` where the
    request leaves the seed to chance (a live lane's own)."""
    fields, image_part, mask_part, guide_part = request_parts(request, ("mask", "guide"))
    own_fields, fields = split_fields(fields, own) if own is not None else ({}, fields)
    upload_fields, settings = split_fields(fields, DreamUpload)
    upload = DreamUpload.from_mapping(upload_fields, exact=True)
    params = dream_params(settings, upload.preset, limits)
    if params.seed is None and seed is not None:
        params = params.replace(seed=seed)
    sent = read_picture(request, fields, image_part, mask_part, upload, limits)
    width, height = sent.picture.size
    document = (upload.document_width or width, upload.document_height or height)
    resolved = resolve_dream(params, width, height, document)
    check_cost("dream", resolved.cost, limits, "Use fewer steps or octaves, or a larger feature scale.")
    guide, guide_print = None, None
    if guide_part is not None:
        if is_raw(guide_part):
            raise InvalidParameter("Send the guide as a PNG, JPEG, WebP or TIFF picture, not raw pixels.")
        guide_bytes = guide_part.read()
        guide_picture = read_part("the 'guide' part", lambda: load_picture(guide_bytes, limits.max_pixels))
        guide, guide_print = guide_picture.rgb, fingerprint(guide_bytes, guide_picture.size)
    return DreamRequest(sent.picture, resolved, sent.mask, guide, sent.raw_format, sent.image_format, upload.lease,
                        guide_print, sent.mask_print, _open_sides(upload, width, height, document), upload.preset,
                        document=document, own=own.from_mapping(own_fields, exact=True) if own is not None else None)


@dataclass
class SentPicture:
    picture: Picture
    mask: np.ndarray | None
    mask_print: Fingerprint | None
    raw_format: RawFormat | None  # raw pixels in this layout, or...
    image_format: str | None  # ...an encoded picture in this format


def read_picture(request: Request, fields: Mapping[str, str], image_part: FileStorage | None,
                 mask_part: FileStorage | None, upload: PictureUpload, limits: Limits) -> SentPicture:
    """The picture and its mask, encoded or raw (``upload`` says the raw layout), within the server's limits."""
    raw_image = image_part is None or is_raw(image_part)
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
    mask, mask_print = None, None
    if mask_bytes is not None:
        mask_print = fingerprint(mask_bytes, (width, height))
        raw_mask = image_part is None or is_raw(mask_part)
        mask = read_part("the 'mask' part", lambda: decode_raw_mask(mask_bytes, width, height, upload.mask_depth) if raw_mask
                         else load_mask(mask_bytes, (width, height), limits.max_pixels))
    return SentPicture(picture, mask, mask_print, fmt, image_format)


def request_parts(request: Request, extras: tuple[str, ...]) -> tuple[Mapping[str, str], FileStorage | None, ...]:
    """(fields, image, then each of ``extras``' parts or None); image is None for a bare raw body, whose fields
    are query parameters."""
    if request.mimetype == "multipart/form-data":
        parts = picture_parts(request.files, ("image", *extras))
        if "image" not in parts:
            raise InvalidParameter("The request has no 'image' part.")
        return (single_fields(request.form), parts["image"][0], *(parts.get(name, [None])[0] for name in extras))
    if request.mimetype == "application/octet-stream":
        return (single_fields(request.args), None, *(None for _ in extras))
    raise ApiError(415, "unsupported_media_type", "Send the picture as multipart/form-data or application/octet-stream.")


def _open_sides(upload: DreamUpload, width: int, height: int, document: tuple[int, int]) -> tuple[bool, bool, bool, bool]:
    """Which of the picture's sides lie on the document's edge (where a selection's edge is not softened)."""
    if upload.region_x is None or upload.region_y is None:
        return (True, True, True, True)  # the picture is the whole document
    x, y = upload.region_x, upload.region_y
    return (y == 0, y + height >= document[1], x == 0, x + width >= document[0])


def _raw_format(upload: PictureUpload, limits: Limits) -> RawFormat:
    if upload.width is None or upload.height is None:
        raise InvalidParameter("Raw pixels need whole-number 'width' and 'height' fields.")
    if upload.width * upload.height > limits.max_pixels:
        raise ImageTooLarge(f"The picture is {upload.width}×{upload.height}, more than the {limits.max_pixels:,} pixels allowed here.")
    return RawFormat(upload.width, upload.height, upload.layout, upload.depth)
