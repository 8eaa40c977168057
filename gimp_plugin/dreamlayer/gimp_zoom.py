"""A zoom film as a new image whose layers are its frames, from the layer or from noise at the image's size.

Frames come from the server one by one as PNG files, loaded as layers bottom to top with their delays in their
names: GIMP's convention for animations, so File > Export As .gif or .webp with "As animation" plays the film.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

from client import DreamClient, JobStatus, encode_png  # noqa: E402
from gimp_dream import LEASE_SECONDS, POLL_SECONDS  # noqa: E402
from pictures import SETTINGS_PARASITE, check_base_type, frame_layer_name, settings_record  # noqa: E402


def zoom(image: Gimp.Image, drawable: Gimp.Drawable | None, preset: str, settings: dict[str, Any],
         server_url: str) -> Gimp.Image:
    """The film of ``settings`` (dream and film settings), from ``drawable``'s pixels or, if None, from noise."""
    check_base_type(image.get_base_type().value_nick.upper())
    if drawable is None:
        start, width, height = None, image.get_width(), image.get_height()
    else:
        width, height = drawable.get_width(), drawable.get_height()
        box = Gegl.Rectangle.new(0, 0, width, height)
        pixels = drawable.get_buffer().get(box, 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.CLAMP)
        start = encode_png(width, height, bytes(pixels))
    client = DreamClient(server_url)
    Gimp.progress_init(f"Dreaming a zoom ({preset})...")
    job = client.submit_zoom({**settings, "preset": preset, "lease": LEASE_SECONDS}, start, width, height)
    status = client.wait(job.id, on_progress=_show_progress, poll_seconds=POLL_SECONDS)
    film = _film(client, job.id, width, height, status)
    Gimp.progress_end()
    return film


def _show_progress(status: JobStatus) -> None:
    if status.frames.total:
        frame = min(status.frames.done + 1, status.frames.total)
        Gimp.progress_set_text(f"Dreaming a zoom: frame {frame} of {status.frames.total}")
    Gimp.progress_update(status.fraction)


def _film(client: DreamClient, job_id: str, width: int, height: int, status: JobStatus) -> Gimp.Image:
    film = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
    film.undo_disable()  # a new image: nothing to undo while building it
    fps = (status.film or {})["fps"]
    with tempfile.TemporaryDirectory(prefix="dreamlayer-zoom-") as scratch:
        for index in range(status.frames.total):
            path = os.path.join(scratch, f"frame_{index:05d}.png")
            with open(path, "wb") as f:
                f.write(client.frame(job_id, index))
            layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, film, Gio.File.new_for_path(path))
            layer.set_name(frame_layer_name(index, fps))
            film.insert_layer(layer, None, 0)  # GIMP's animations play bottom to top
    record = settings_record(status.preset, status.settings or {}, status.film)
    film.attach_parasite(Gimp.Parasite.new(SETTINGS_PARASITE, Gimp.PARASITE_PERSISTENT, list(record)))
    film.undo_enable()
    return film
