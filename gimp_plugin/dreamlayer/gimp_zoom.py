"""A zoom film as a new image whose layers are its frames, from the layer or from noise at the image's size."""

from __future__ import annotations

from typing import Any

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

from dreamlayer_editor.wire import encode_png  # noqa: E402
from gimp_film import checked, fetch_frames, film_image, show_frame_progress  # noqa: E402
from pictures import check_base_type, frame_layer_name  # noqa: E402
from server_connection import LEASE_SECONDS, Connection  # noqa: E402


def zoom(image: Gimp.Image, drawable: Gimp.Drawable | None, preset: str, settings: dict[str, Any],
         connection: Connection) -> Gimp.Image:
    """The film of ``settings`` (dream and film settings), from ``drawable``'s pixels or, if None, from noise."""
    check_base_type(image.get_base_type().value_nick.upper())
    if drawable is None:
        start, width, height = None, image.get_width(), image.get_height()
    else:
        width, height = drawable.get_width(), drawable.get_height()
        box = Gegl.Rectangle.new(0, 0, width, height)
        pixels = drawable.get_buffer().get(box, 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.CLAMP)
        start = encode_png(width, height, bytes(pixels))
    Gimp.progress_init(f"Dreaming a zoom ({preset})...")
    params = {**settings, "preset": preset, "lease": LEASE_SECONDS}
    [(frames, status)] = connection.run_jobs(
        [lambda client: checked(client, "zoom film", settings.get("frames"), width, height).submit_zoom(
            params, start, width, height)], fetch_frames,
        lambda _, status: show_frame_progress(status, "Dreaming a zoom"))
    names = [frame_layer_name(index, (status.film or {})["fps"]) for index in range(len(frames))]
    film = film_image(frames, width, height, names, status)
    Gimp.progress_end()
    return film
