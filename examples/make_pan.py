"""Make ``pan.gif``, the README's video example: a camera sliding 3 pixels a frame across ``chelsea.png``
(8 frames of 240×240, 150 ms each), the left half of ``docs/video-example.gif``.

    python examples/make_pan.py [OUT]        # OUT defaults to examples/pan.gif
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
SIZE, FRAMES, STEP, MILLISECONDS = 240, 8, 3, 150


def pan_frames(size: int = SIZE, frames: int = FRAMES, step: int = STEP) -> list[Image.Image]:
    """The photo scaled so its short side spans the whole slide, then a size × size window moved ``step`` a frame."""
    photo = Image.open(HERE / "chelsea.png").convert("RGB")
    scale = (size + step * frames) / min(photo.size)
    photo = photo.resize((round(photo.width * scale) + 1, round(photo.height * scale) + 1), Image.BICUBIC)
    return [photo.crop((step * t, 0, step * t + size, size)) for t in range(frames)]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "pan.gif"
    first, *rest = pan_frames()
    first.save(out, save_all=True, append_images=rest, duration=MILLISECONDS, loop=0)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
