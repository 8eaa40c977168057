"""The film commands: `dreamlayer zoom` (from noise, and its mistakes) and `dreamlayer video` (a clip's frames,
a video's rate and sound, GIFs, an interrupted run resumed, its mistakes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from .clips import H, W, clip_frame


def test_cli_zoom_from_noise_and_clear_errors(tmp_path):
    out = tmp_path / "zoom.mp4"
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "zoom", "--noise", "96x64", str(out), "--frames", "4",
                          "--octaves", "1", "--steps-per-frame", "2", "--scale", "1", "--seed", "1"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "4/4" in run.stderr  # the progress bar
    stream = av.open(str(out)).streams.video[0]
    assert (stream.frames, stream.width, stream.height) == (4, 96, 64)
    for args, message in ((["--noise", "96x64", str(tmp_path / "z.avi")], "use .mp4"),
                          (["--noise", "big", str(out)], "--noise takes a size"),
                          ([str(out)], "either a picture"),
                          (["--noise", "96x64", str(out), "--steps", "3"], "--steps-per-frame times per scale; --steps is for single dreams"),
                          (["--noise", "96x64", str(out), "--blend", "2"], "'blend' must be between 0 and 0.9")):
        bad = subprocess.run([sys.executable, "-m", "dreamlayer", "zoom", *args], capture_output=True, text=True, timeout=120)
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr


CLI = [sys.executable, "-m", "dreamlayer", "video"]
FAST = ["--octaves", "1", "--steps", "4", "--steps-per-frame", "2", "--scale", "1", "--seed", "3"]


def write_clip(folder, frames: int):
    folder.mkdir()
    for t in range(frames):
        Image.fromarray((clip_frame(t) * 255 + 0.5).astype(np.uint8)).save(folder / f"{t:03d}.png")
    return folder


@pytest.fixture
def clip_folder(tmp_path):
    return write_clip(tmp_path / "clip", 8)


def frames_of(folder) -> list[np.ndarray]:
    return [np.asarray(Image.open(p)) for p in sorted(folder.glob("frame_*.png"))]


def test_an_interrupted_run_resumes_and_equals_an_uninterrupted_one(tmp_path):
    # Long and slow enough (about 20 frames still to dream, 12 steps each) that Ctrl+C lands mid-run on any machine.
    clip, frames = write_clip(tmp_path / "clip", 24), 24
    settings = [*FAST, "--steps-per-frame", "12"]
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert subprocess.run([*CLI, str(clip), str(whole), *settings], capture_output=True, timeout=600).returncode == 0
    # As in a terminal. A test run started in the background (`.ci/run &`, nohup) ignores Ctrl+C, its children
    # inherit that, and Python keeps an ignored SIGINT ignored: the run would finish untouched.
    process = subprocess.Popen([*CLI, str(clip), str(resumed), *settings], stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while len(list(resumed.glob("frame_*.png"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)  # Ctrl+C
    _, stderr = process.communicate(timeout=60)
    kept = len(list(resumed.glob("frame_*.png")))
    assert process.returncode == 130 and 3 <= kept < frames and "run the same command again" in stderr, stderr
    again = subprocess.run([*CLI, str(clip), str(resumed), *settings], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert len(frames_of(resumed)) == frames
    assert all(np.array_equal(a, b) for a, b in zip(frames_of(whole), frames_of(resumed)))
    assert not (resumed / "dreamlayer-run.json").exists()


def test_other_settings_do_not_resume_someone_elses_frames(clip_folder, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "dreamlayer-run.json").write_text('{"request": {}, "params": {}}')
    run = subprocess.run([*CLI, str(clip_folder), str(out), *FAST], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "unfinished run with other settings" in run.stderr


def make_video(path, fps: int = 12, frames: int = 6, sound: bool = True) -> None:
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        audio = container.add_stream("aac", rate=48000) if sound else None
        for t in range(frames):
            for packet in video.encode(av.VideoFrame.from_ndarray((clip_frame(t) * 255).astype(np.uint8), format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if audio is not None:
            tone = (np.sin(np.arange(48000 * frames // fps) * 0.05) * 0.3).astype(np.float32)
            for start in range(0, len(tone) - 1024, 1024):
                chunk = av.AudioFrame.from_ndarray(tone[None, start:start + 1024], format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts = 48000, start
                for packet in audio.encode(chunk):
                    container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)


def test_a_video_keeps_its_frame_rate_and_sound(tmp_path):
    source, film = tmp_path / "in.mov", tmp_path / "out.mp4"
    make_video(source, fps=15)
    run = subprocess.run([*CLI, str(source), str(film), *FAST], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "6/6" in run.stderr  # the progress bar counts frames
    with av.open(str(film)) as container:
        video = container.streams.video[0]
        assert video.average_rate == Fraction(15) and video.frames == 6
        assert container.streams.audio and container.streams.audio[0].codec_context.name == "aac"
    assert not (tmp_path / "out.mp4.frames").exists()  # the kept frames go once the film is whole


def test_an_animated_gif_becomes_a_dreamed_gif(tmp_path):
    source, film = tmp_path / "in.gif", tmp_path / "out.gif"
    pictures = [Image.fromarray((clip_frame(t) * 255).astype(np.uint8)) for t in range(4)]
    pictures[0].save(source, save_all=True, append_images=pictures[1:], duration=80, loop=0)
    run = subprocess.run([*CLI, str(source), str(film), *FAST], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    with Image.open(film) as result:
        assert result.n_frames == 4 and abs(result.info["duration"] - 80) <= 10


def test_a_slideshow_gif_slower_than_a_film_may_be_plays_at_the_slowest_rate_said(tmp_path):
    source, film = tmp_path / "in.gif", tmp_path / "out.gif"
    pictures = [Image.fromarray((clip_frame(t) * 255).astype(np.uint8)) for t in range(3)]
    pictures[0].save(source, save_all=True, append_images=pictures[1:], duration=2000, loop=0)  # 0.5 fps
    run = subprocess.run([*CLI, str(source), str(film), *FAST], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "plays at 0.5 frames per second; the film plays at 1" in run.stderr
    with Image.open(film) as result:
        assert result.n_frames == 3 and abs(result.info["duration"] - 1000) <= 10


@pytest.mark.parametrize("args, message", [
    (["{missing}", "out.mp4"], "There is no file or folder"),
    (["{clip}", "out.avi"], "use .mp4"),
    (["{clip}", "out.mp4", "--blend", "1.5"], "'blend' must be between 0 and 0.95"),
])
def test_mistakes_are_one_clear_line(args, message, clip_folder, tmp_path):
    args = [a.format(missing=tmp_path / "nothing.mp4", clip=clip_folder) for a in args]
    run = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr
