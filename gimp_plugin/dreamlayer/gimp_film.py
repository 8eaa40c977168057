"""A film as a new image whose layers are its frames, shared by the zoom and the animation.

Frames come from the server one by one as PNG files, loaded as layers bottom to top with their delays in their
names: GIMP's convention for animations, so File > Export As .gif or .webp with "As animation" plays the film.
"""

from __future__ import annotations

import os
import tempfile

import gi

gi.require_version("Gimp", "3.0")
from gi.repository import Gimp, Gio  # noqa: E402

from dreamlayer_editor.client import DreamClient  # noqa: E402
from dreamlayer_editor.protocol import JobStatus  # noqa: E402
from dreamlayer_editor.records import LayerRecord  # noqa: E402
from pictures import SETTINGS_PARASITE  # noqa: E402


def checked(client: DreamClient, what: str, frames: int | None, width: int, height: int,
            upload_bytes: int = 0) -> DreamClient:
    """``client``, once the film is checked against the server's caps: what would be refused is said, with what to
    change, before anything is sent."""
    client.check_film(what, frames, width, height, upload_bytes)
    return client


def fetch_frames(client: DreamClient, status: JobStatus) -> tuple[list[bytes], JobStatus]:
    """Every frame of a finished film, as PNG bytes; fetched before any image is made, so a failure leaves none.
    Then the server lets the film go."""
    frames = [client.frame(status.id, index) for index in range(status.frames.total)]
    client.delete(status.id)
    return frames, status


def show_frame_progress(status: JobStatus, what: str) -> None:
    if status.queue_position:
        Gimp.progress_set_text(f"{what}: waiting for the server ({status.queue_position} before it)")
    elif status.frames.total:
        frame = min(status.frames.done + 1, status.frames.total)
        Gimp.progress_set_text(f"{what}: frame {frame} of {status.frames.total}")
    Gimp.progress_update(status.fraction)


def film_image(frames: list[bytes], width: int, height: int, names: list[str], status: JobStatus) -> Gimp.Image:
    """A new image of ``frames``, bottom to top, named ``names``; what made it kept as its settings parasite."""
    film = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
    film.undo_disable()  # a new image: nothing to undo while building it
    with tempfile.TemporaryDirectory(prefix="dreamlayer-film-") as scratch:
        for index, (png, name) in enumerate(zip(frames, names)):
            path = os.path.join(scratch, f"frame_{index:05d}.png")
            with open(path, "wb") as f:
                f.write(png)
            layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, film, Gio.File.new_for_path(path))
            layer.set_name(name)
            film.insert_layer(layer, None, 0)  # GIMP's animations play bottom to top
    record = LayerRecord(status.settings or {}, status.preset, status.kind, status.film).to_bytes()
    film.attach_parasite(Gimp.Parasite.new(SETTINGS_PARASITE, Gimp.PARASITE_PERSISTENT, list(record)))
    film.undo_enable()
    return film
