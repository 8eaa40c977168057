"""Writing frames as they come (dreamlayer/video.py): every film format decodes to the frames written, and frames
are handed to the encoder on a thread of their own."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from dreamlayer.video import FrameWriter


@pytest.mark.parametrize("suffix", [".mp4", ".webm", ".gif", ".webp", ""])
def test_films_decode_to_the_frame_count(tmp_path, suffix):
    path = tmp_path / f"film{suffix}"
    colours = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (220, 220, 40), (30, 30, 30)]
    with FrameWriter(path, fps=12) as writer:
        for colour in colours:
            writer.write(np.full((48, 64, 3), colour, np.uint8))
    if suffix in (".mp4", ".webm"):
        decoded = [f.to_ndarray(format="rgb24") for f in av.open(str(path)).decode(video=0)]
    elif suffix:
        with Image.open(path) as image:
            decoded = []
            for i in range(image.n_frames):
                image.seek(i)
                decoded.append(np.asarray(image.convert("RGB")))
    else:
        decoded = [np.asarray(Image.open(p)) for p in sorted(path.glob("frame_*.png"))]
    assert len(decoded) == len(colours)
    for frame, colour in zip(decoded, colours):
        assert np.abs(frame.reshape(-1, 3).mean(0) - colour).max() < 12  # the codecs' own loss (YUV, GIF palette), no dream


def test_background_frames_are_handled_in_order_on_another_thread():
    """The encoder is stuck until released: the caller hands over its frames meanwhile."""
    import threading

    from dreamlayer.video import BackgroundFrames

    seen, threads, release = [], set(), threading.Event()

    def stuck(frame):
        release.wait(timeout=30)
        seen.append(int(frame[0, 0, 0]))
        threads.add(threading.current_thread().name)

    with BackgroundFrames(stuck, depth=8) as frames:
        for k in range(6):
            frames.put(np.full((2, 2, 3), k, np.uint8))
        assert seen == []  # all handed over while the encoder was busy
        release.set()
    assert seen == list(range(6)) and threads == {"dreamlayer-frames"}


def test_background_frames_raise_the_encoders_error_in_the_caller():
    from dreamlayer.video import BackgroundFrames

    def failing(_frame):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), BackgroundFrames(failing) as frames:
        frames.put(np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(KeyboardInterrupt), BackgroundFrames(lambda _frame: None):
        raise KeyboardInterrupt  # leaving on an error drops what is queued and does not hang
