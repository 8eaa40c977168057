"""How much disk a film needs on the server, and what in a film its caps would refuse: one estimate and one set of
messages, for the server (which checks before it takes a film) and the plugins (which check before they send one).
"""

from __future__ import annotations

from typing import Any

# A film's disk on the server, per frame, in bytes per pixel: the frame as an 8-bit RGB PNG (at most its raw bytes:
# level-1 zlib barely grows incompressible rows) and its share of the film (a GIF frame is about a byte a pixel;
# MP4, WebM and WebP far less). An upper estimate: what is checked before a film is taken.
FILM_BYTES_PER_PIXEL = 3 + 1
FILM_BYTES_PER_FRAME = 4096  # each file's headers, and each row's PNG filter byte, rounded up


def film_disk_bytes(frames: int, width: int, height: int, received: int = 0) -> int:
    """The disk a zoom or video of ``frames`` frames of width × height needs on the server, about: each frame as
    PNG, the film, and the ``received`` bytes of the frames sent. The one estimate, for the server and the plugins."""
    return frames * (width * height * FILM_BYTES_PER_PIXEL + FILM_BYTES_PER_FRAME) + received


def too_little_disk(what: str, frames: int, width: int, height: int, needed: int, free: int) -> str:
    return (f"This {what} ({frames} frames of {width}×{height}) needs about {_amount(needed)} of disk on the dream "
            f"server, which has {_amount(free)} free for films. Make fewer frames or a smaller picture, or free disk "
            "space there (whoever runs it can also give it another folder with `dreamlayer serve --film-folder`).")


def film_problem(limits: dict[str, Any], what: str, frames: int, width: int, height: int, upload_bytes: int = 0) -> str | None:
    """What in a film stops the server described by ``limits`` (health's) from taking it, with what to change;
    None when nothing does. Caps the server does not state are not checked."""
    max_pixels, max_frames = limits.get("max_pixels"), limits.get("max_video_frames")
    max_upload, free = limits.get("max_video_upload_bytes"), limits.get("film_disk_free_bytes")
    if max_pixels and width * height > max_pixels:
        return (f"The {what}'s frames are {width}×{height}, more than the {max_pixels:,} pixels a frame may have on "
                "this server. Scale the image down or crop it.")
    if what == "animation" and max_frames and frames > max_frames:
        return f"The animation has {frames} frames; this server takes at most {max_frames}. Dream a shorter clip."
    if what == "animation" and max_upload and upload_bytes > max_upload:
        return (f"The animation's {frames} frames come to {_amount(upload_bytes)}; this server takes at most "
                f"{_amount(max_upload)} in one upload. Dream a shorter clip or a smaller canvas.")
    needed = film_disk_bytes(frames, width, height, upload_bytes)
    if free is not None and needed > free:
        return too_little_disk(what, frames, width, height, needed, free)
    return None


def _amount(size: int) -> str:
    """Bytes as an artist reads them: 1.2 GB, 340 MB."""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"
