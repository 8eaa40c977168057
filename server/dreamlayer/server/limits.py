"""What the server takes at most: pixels, pixel-steps, upload bytes, a video's frames, and the disk room for films.

One place for every cap that remains, so ``/v1/health`` states them all (``Limits.describe``) and the plugins
check a request against them before sending it (``client.film_problem``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Request

from ..engine.devices import precisions
from .errors import ApiError
from .films import FilmFolder


# The caps /v1/health states, by name: the fixed ones, then the disk room films have now.
FIXED_CAPS = ("max_pixels", "max_cost", "max_upload_bytes", "max_video_upload_bytes", "max_video_frames")
STATED_CAPS = (*FIXED_CAPS, "film_disk_free_bytes")


@dataclass(frozen=True)
class Limits:
    """Every cap on what the server takes, as ``/v1/health`` states them (``describe``) for clients to check first."""

    max_pixels: int
    max_cost: int  # network pixels × steps, summed over octaves (and over frames, for a zoom)
    films: FilmFolder  # where films are written, and the disk room they may take
    max_upload_bytes: int = 512 * 2**20  # a dream's or a zoom's request
    max_video_upload_bytes: int = 4 * 2**30  # a video's, whose frames go to disk as they are read
    max_video_frames: int = 10_000
    device_type: str = "cpu"  # the server's device: which precisions it runs (fp16 needs a GPU)

    def describe(self) -> dict[str, Any]:
        """``STATED_CAPS`` with their values, and the precisions the device runs."""
        return {**{name: getattr(self, name) for name in FIXED_CAPS}, "film_disk_free_bytes": self.films.room(),
                "precisions": list(precisions(self.device_type))}


def check_upload_size(request: Request, kind: str, limits: Limits) -> None:
    """Refuse a body over its route's cap (413) before it is parsed. waitress refused any over the largest cap
    (a video's) from its Content-Length, unread; it gives a chunked body's length once it has it."""
    limit = limits.max_video_upload_bytes if kind == "video" else limits.max_upload_bytes
    if (request.content_length or 0) > limit:
        raise ApiError(413, "request_entity_too_large",
                       f"The upload is larger than this server accepts for a {kind} ({limit:,} bytes).")
