"""An animation dreamed frame by frame, as a new image: GIMP's animation convention both ways.

The source image's layers are its frames, bottom to top, each with its delay in its name ("Frame 1 (83ms)"), as
GIF and WebP export and import them. Each layer is sent as it sits on the canvas (8-bit PNG, transparent where it
does not reach), the server dreams them in order, carrying the dream along with the motion, and the dreamed frames
become the layers of a new image with the source layers' names, so every frame keeps its delay. A frames per
second argument, when given, sets every frame's delay instead. The source image is never changed.
"""

from __future__ import annotations

from typing import Any

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

from dreamlayer_editor.wire import encode_png  # noqa: E402
from gimp_film import checked, fetch_frames, film_image, show_frame_progress  # noqa: E402
from pictures import check_base_type, with_delay  # noqa: E402
from server_connection import LEASE_SECONDS, Connection  # noqa: E402


def dream_animation(image: Gimp.Image, preset: str, settings: dict[str, Any], connection: Connection) -> Gimp.Image:
    """The dream of ``image``'s frame layers with ``settings`` (dream and video settings), as a new image."""
    check_base_type(image.get_base_type().value_nick.upper())
    layers = list(reversed(image.get_layers()))  # bottom to top: the order GIMP plays them in
    width, height = image.get_width(), image.get_height()
    frames = [_frame_picture(layer, width, height) for layer in layers]
    fps = settings.get("fps")
    names = [layer.get_name() if fps is None else with_delay(layer.get_name(), round(1000 / fps)) for layer in layers]
    Gimp.progress_init(f"Dreaming an animation of {len(frames)} frames ({preset})...")
    params = {**settings, "preset": preset, "lease": LEASE_SECONDS}
    [(dreamed, status)] = connection.run_jobs(
        [lambda client: checked(client, "animation", len(frames), width, height, sum(map(len, frames))).submit_video(
            frames, params)], fetch_frames,
        lambda _, status: show_frame_progress(status, "Dreaming the animation"))
    film = film_image(dreamed, width, height, names, status)
    Gimp.progress_end()
    return film


def _frame_picture(layer: Gimp.Layer, width: int, height: int) -> bytes:
    """The layer as it sits on the canvas, as an 8-bit PNG of the canvas's size (the server wants equal frames)."""
    _, x, y = layer.get_offsets()
    box = Gegl.Rectangle.new(-x, -y, width, height)  # the canvas, in the layer's own coordinates
    pixels = layer.get_buffer().get(box, 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.NONE)
    return encode_png(width, height, bytes(pixels))
