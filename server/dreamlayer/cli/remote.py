"""``dreamlayer dream --server URL``: the same dream, run by a dream server through the shared protocol client."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..client import DreamClient, RawMask
from ..images import Picture, encode_picture, load_mask, load_picture, save_picture


def dream_on_server(args: argparse.Namespace, settings: dict[str, Any], output: Path) -> None:
    """Upload the picture as PNG (so the answer is a PNG carrying its settings), follow progress, save the result."""
    from tqdm import tqdm

    picture = load_picture(args.input)
    mask = None
    if args.mask:
        mask = RawMask((load_mask(args.mask, picture.size) * 255 + 0.5).astype("uint8").tobytes(), "u8")
    guide = encode_picture(load_picture(args.guide), "PNG") if args.guide else None
    client = DreamClient(args.server, args.token)
    job = client.submit(encode_picture(picture, "PNG"), settings, mask=mask, guide=guide, filename="image.png")
    with tqdm(desc="dreaming", unit="step", leave=False) as bar:
        def progress(status):
            if status.progress.total:
                bar.total = status.progress.total
                bar.set_postfix_str(f"{status.state}, octave {status.progress.octave}/{status.progress.octaves}")
                bar.update(status.progress.step - bar.n)

        try:
            client.wait(job.id, on_progress=progress)
        except KeyboardInterrupt:
            client.cancel(job.id)
            raise
    png = client.result(job.id)
    if output.suffix.lower() == ".png":
        output.write_bytes(png)
    else:
        result = load_picture(png)
        save_picture(Picture(result.rgb, result.alpha), output)
