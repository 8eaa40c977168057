"""Films through the server, end to end: a zoom from noise and a video (a slow pan across the shipped cat photo) of
width × height, sent to a `dreamlayer serve` started here, followed to the end; prints the time, the frames made,
the film's size, the most the job folder held on disk, and the most the server held in memory for results.

    python bench/bench_server_films.py --size 1920x1080 --zoom-frames 120 --video-frames 72 [--preset classic]
        [--set octaves=1 ...]   # settings sent with both films (the defaults: the preset's, the films' own;
                                # `steps`, a video's first frame's, is not sent with the zoom)
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import CAT
from PIL import Image

from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.protocol import JobStatus


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pan_jpegs(width: int, height: int, frames: int) -> list[bytes]:
    """A camera sliding 4 pixels a frame across the photo, as JPEG files."""
    photo = Image.open(CAT).convert("RGB")
    scale = max((width + 4 * frames) / photo.width, height / photo.height)
    photo = photo.resize((round(photo.width * scale) + 1, round(photo.height * scale) + 1), Image.BICUBIC)
    pixels = np.asarray(photo)
    out = []
    for t in range(frames):
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(pixels[:height, 4 * t:4 * t + width])).save(buffer, "JPEG", quality=92)
        out.append(buffer.getvalue())
    return out


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def follow(client: DreamClient, job: JobStatus, films: Path, what: str) -> None:
    start, peak_disk, peak_memory, shown = time.monotonic(), 0, 0, -1
    while True:
        status = client.status(job.id)
        peak_disk = max(peak_disk, folder_bytes(films))
        peak_memory = max(peak_memory, client.health()["queue"]["kept_bytes"])
        if status.frames.done // 10 != shown:
            shown = status.frames.done // 10
            print(f"  {what}: {status.frames.done}/{status.frames.total} frames after {time.monotonic() - start:.0f} s",
                  flush=True)
        if status.finished:
            break
        time.sleep(1.0)
    took = time.monotonic() - start
    film = client.result(job.id).image if status.state == "done" else b""
    print(f"{what}: {status.state}, {status.frames.done} frames in {took:.0f} s ({took / max(1, status.frames.done):.1f} s a "
          f"frame); film {len(film) / 1e6:.1f} MB; job folders at most {peak_disk / 1e6:.0f} MB on disk; results in "
          f"memory at most {peak_memory / 1e6:.1f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--zoom-frames", type=int, default=120)
    parser.add_argument("--video-frames", type=int, default=72)
    parser.add_argument("--preset", default="classic")
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    extra = dict(item.split("=", 1) for item in args.set)
    films = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-films-{os.getpid()}"
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "dreamlayer", "serve", "--port", str(port), "--film-folder", str(films)])
    try:
        client = DreamClient(f"http://127.0.0.1:{port}", timeout=600)
        while True:
            try:
                print("server:", client.health()["limits"], flush=True)
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.5)
        if args.zoom_frames:
            # A zoom calls its steps steps_per_frame: a `steps` given for the video's first frame is not the zoom's.
            zoom = {"preset": args.preset, "frames": args.zoom_frames, "seed": 1,
                    **{k: v for k, v in extra.items() if k != "steps"}}
            follow(client, client.submit_zoom(zoom, None, width, height), films, f"zoom {width}×{height}")
        if args.video_frames:
            frames = pan_jpegs(width, height, args.video_frames)
            video = {"preset": args.preset, "seed": 1, **extra}
            print(f"video upload: {sum(map(len, frames)) / 1e6:.0f} MB", flush=True)
            follow(client, client.submit_video(frames, video), films, f"video {width}×{height}")
    finally:
        server.terminate()
        server.wait(30)
    print("films folder left after the server stopped:", films.exists() and any(films.iterdir()))


if __name__ == "__main__":
    main()
