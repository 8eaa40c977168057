"""``dreamlayer dream --server URL``: the same dream, run by a dream server through the shared protocol client."""

from __future__ import annotations

import argparse

import numpy as np

from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.protocol import RawImage, RawMask
from ..images import Picture, SettingsRecord, encode_picture, from_floats, to_floats


def dream_on_server(args: argparse.Namespace, picture: Picture, settings: SettingsRecord, mask: np.ndarray | None,
                    guide: Picture | None) -> Picture:
    """Send the picture as raw pixels at its own depth (16-bit stays 16-bit), follow progress, return the dream."""
    from tqdm import tqdm

    deep = picture.bits > 8
    dtype, depth = (np.dtype("<u2"), "u16") if deep else (np.dtype("u1"), "u8")
    planes = [picture.rgb, picture.alpha[..., None]] if picture.alpha is not None else [picture.rgb]
    pixels = from_floats(np.concatenate(planes, axis=2), dtype)
    layout = "RGBA" if picture.alpha is not None else "RGB"
    raw_mask = None if mask is None else RawMask(np.ascontiguousarray(mask, np.float32).tobytes(), "f32")
    client = DreamClient(args.server, args.token)
    job = client.submit(RawImage(*picture.size, pixels.tobytes(), layout, depth), settings.params, mask=raw_mask,
                        guide=encode_picture(guide, "PNG") if guide is not None else None)
    bars: list[tqdm] = []

    def progress(status) -> None:
        if not status.progress.total:
            return
        if not bars:  # made once the server says how many steps there are, so it never shows "0 step"
            bars.append(tqdm(total=status.progress.total, desc="dreaming", unit="step", leave=False))
        bars[0].set_postfix_str(f"octave {status.progress.octave}/{status.progress.octaves}")
        bars[0].update(status.progress.step - bars[0].n)

    try:
        client.wait(job.id, on_progress=progress)
    except KeyboardInterrupt:
        client.cancel(job.id)
        raise
    finally:
        for bar in bars:
            bar.close()
    result = client.result(job.id, forget=True).image
    back = to_floats(np.frombuffer(result.data, dtype).reshape(picture.size[1], picture.size[0], len(layout)))
    return picture.with_pixels(np.ascontiguousarray(back[..., :3]), back[..., 3] if picture.alpha is not None else None)
