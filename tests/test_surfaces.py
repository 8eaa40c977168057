"""One picture per seed on every surface: each way a picture reaches the engine gives the local CLI's pixels.

The reference is `dreamlayer dream IN OUT` run as an artist runs it, in its own process. Every other surface (the
CLI with `--server`, an uploaded PNG, JPEG or TIFF file, raw pixels in each layout and depth the server takes, a
mask sent raw) must give the same pixels, bit for bit, for the same stored input: the same seed and settings make
the same picture wherever they are made. A difference names the surface and its largest difference in levels.

The CLI runs with as many threads as this process's torch, so both sides do the same arithmetic on any machine
(the comparison is of two runs on one machine, never of a stored result). The editors' own paths are compared in
tests/test_krita.py and tests/test_gimp.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import requests
import torch
from PIL import Image

from dreamlayer.images import from_floats, load_picture, save_picture, to_floats
from dreamlayer.images.picture import Picture

from .conftest import cat_rgb
from .live_server import wait_done

# Enough octaves and steps that a last-bit difference in the input grows into whole levels: with these, the old
# raw path (u8 multiplied by 1/255) differed from the file path by up to 49 levels at 128×96 (1 at 96×72, 0 at
# 72×56 with 2×3 steps), so the comparison can fail. The seed drives the jitter.
SETTINGS = {"octaves": "3", "steps": "10", "scale": "1", "jitter": "6", "seed": "5"}
WIDTH, HEIGHT = 128, 96
DTYPES = {"u8": np.dtype("u1"), "u16": np.dtype("<u2"), "f16": np.dtype("<f2"), "f32": np.dtype("<f4")}


def cli_dream(source: Path, out: Path, *extra: str) -> None:
    flags = [f"--{name}={value}" for name, value in SETTINGS.items()]
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    done = subprocess.run([sys.executable, "-m", "dreamlayer", "dream", str(source), str(out), *flags, *extra],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr


def samples(path: Path) -> np.ndarray:
    """A result file's stored samples, (H, W, C), as the file holds them."""
    picture = load_picture(path)
    planes = [picture.rgb] + ([picture.alpha[..., None]] if picture.alpha is not None else [])
    return from_floats(np.concatenate(planes, axis=2), np.uint16 if picture.bits > 8 else np.uint8)


def assert_same(surface: str, got: np.ndarray, expected: np.ndarray) -> None:
    assert got.shape == expected.shape, f"{surface}: shape {got.shape}, the local CLI's {expected.shape}"
    worst = int(np.abs(got.astype(np.int64) - expected.astype(np.int64)).max())
    assert worst == 0, f"{surface} differs from the local CLI by up to {worst} levels"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """The same cat as 8-bit RGB and RGBA PNG, 16-bit RGBA PNG, TIFF and JPEG; a mask with a hard edge."""
    folder = tmp_path_factory.mktemp("surfaces")
    rgb = cat_rgb(WIDTH, HEIGHT)
    alpha = np.tile(np.linspace(0.2, 1.0, WIDTH, dtype=np.float32), (HEIGHT, 1))
    rgb8 = to_floats(from_floats(rgb, np.uint8))  # what an 8-bit file holds
    files = {"rgb8.png": Picture(rgb8, None), "rgba8.png": Picture(rgb8, to_floats(from_floats(alpha, np.uint8))),
             "rgba16.png": Picture(rgb, alpha, bits=16), "rgb8.tif": Picture(rgb8, None)}
    paths = {}
    for name, picture in files.items():
        paths[name] = folder / name
        save_picture(picture, paths[name])
    paths["rgb.jpg"] = folder / "rgb.jpg"
    Image.fromarray(from_floats(rgb, np.uint8)).save(paths["rgb.jpg"], quality=90)
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[16:80, 30:100] = 255
    paths["mask.png"] = folder / "mask.png"
    Image.fromarray(mask, "L").save(paths["mask.png"])
    return paths


@pytest.fixture(scope="module")
def cli(inputs) -> dict[str, np.ndarray]:
    """The local CLI's result for each input (a JPEG's also written as JPEG, the form a JPEG upload comes back in),
    as stored samples."""
    results = {}
    for name, extra, suffix in (("rgb8.png", (), ".png"), ("rgba8.png", (), ".png"), ("rgba16.png", (), ".png"),
                                ("rgb.jpg", (), ".png"), ("rgb.jpg", (), ".jpg"),
                                ("rgba8.png", ("--mask", str(inputs["mask.png"])), ".png")):
        key = name + ("+mask" if extra else "") + ("" if suffix == ".png" else f"->{suffix}")
        out = inputs["rgb8.png"].parent / f"cli-{key.replace('.', '-').replace('>', '')}{suffix}"
        cli_dream(inputs[name], out, *extra)
        results[key] = samples(out)
    return results


def dream_over_http(server, files: dict, fields: dict) -> requests.Response:
    r = requests.post(f"{server.url}/v1/dreams", files=files, data={**SETTINGS, **fields}, timeout=30)
    assert r.status_code == 202, r.text
    assert wait_done(server, r.json()["id"], timeout=120)["state"] == "done"
    return requests.get(f"{server.url}/v1/jobs/{r.json()['id']}/result", timeout=30)


def raw_upload(server, stored: np.ndarray, layout: str, depth: str, mask: np.ndarray | None = None) -> np.ndarray:
    """Send (H, W, RGB[A]) samples as an editor does, in ``layout`` and ``depth``; the result's samples back as RGB[A]."""
    order = [{"R": 0, "G": 1, "B": 2, "A": 3}[c] for c in layout]
    pixels = np.ascontiguousarray(stored[..., order]).astype(DTYPES[depth])
    files = {"image": ("image.raw", pixels.tobytes(), "application/octet-stream")}
    if mask is not None:
        files["mask"] = ("mask.raw", mask.tobytes(), "application/octet-stream")
    result = dream_over_http(server, files, {"width": WIDTH, "height": HEIGHT, "layout": layout, "depth": depth,
                                             "mask_depth": "u8"})
    assert (result.headers["X-Dreamlayer-Layout"], result.headers["X-Dreamlayer-Depth"]) == (layout, depth)
    back = np.frombuffer(result.content, DTYPES[depth]).reshape(HEIGHT, WIDTH, len(layout))
    return back[..., [layout.index(c) for c in "RGBA" if c in layout]]


def test_cli_with_server_gives_the_local_picture(server, inputs, cli, tmp_path):
    for name in ("rgba8.png", "rgba16.png", "rgb.jpg"):
        out = tmp_path / f"served-{name}.png"
        cli_dream(inputs[name], out, "--server", server.url)
        assert_same(f"`dreamlayer dream --server` on {name}", samples(out), cli[name])


def test_uploaded_files_give_the_local_picture(server, inputs, cli):
    for name, mime, reference in (("rgba8.png", "image/png", "rgba8.png"), ("rgba16.png", "image/png", "rgba16.png"),
                                  ("rgb8.tif", "image/tiff", "rgb8.png"), ("rgb.jpg", "image/jpeg", "rgb.jpg->.jpg")):
        result = dream_over_http(server, {"image": (name, inputs[name].read_bytes(), mime)}, {})
        out = inputs[name].parent / f"uploaded-{name}"
        out.write_bytes(result.content)
        assert_same(f"an uploaded {name}", samples(out), cli[reference])


@pytest.mark.parametrize("layout", ["RGBA", "BGRA", "RGB"])
def test_raw_uploads_in_every_layout_and_integer_depth_give_the_local_picture(server, inputs, cli, layout):
    reference = "rgba8.png" if "A" in layout else "rgb8.png"
    stored8 = samples(inputs[reference])
    assert_same(f"a raw {layout} u8 upload", raw_upload(server, stored8, layout, "u8"), cli[reference])
    if "A" in layout:
        stored16 = samples(inputs["rgba16.png"])
        assert_same(f"a raw {layout} u16 upload", raw_upload(server, stored16, layout, "u16"), cli["rgba16.png"])


@pytest.mark.parametrize("layout", ["RGBA", "BGRA"])
def test_raw_float_uploads_give_the_local_picture(server, inputs, cli, layout):
    """An f32 layer holding an 8-bit picture's values (k/255, as an editor's float layer made from it holds) is
    the 8-bit picture's bits to the engine, so it dreams the CLI's picture; f16 holds other values, so it must
    dream exactly what f32 carrying the same values dreams."""
    stored8 = samples(inputs["rgba8.png"])
    floats = to_floats(stored8)
    as_f32 = raw_upload(server, floats, layout, "f32")
    assert_same(f"a raw {layout} f32 upload", from_floats(as_f32, np.uint8), cli["rgba8.png"])
    halves = floats.astype(np.float16)
    as_f16 = raw_upload(server, halves, layout, "f16")
    widened = raw_upload(server, halves.astype(np.float32), layout, "f32")
    assert_same(f"a raw {layout} f16 upload", as_f16.view(np.uint16), widened.astype(np.float16).view(np.uint16))


def test_a_raw_mask_gives_the_local_picture_with_its_mask(server, inputs, cli):
    mask = np.asarray(Image.open(inputs["mask.png"]))
    stored8 = samples(inputs["rgba8.png"])
    assert_same("a raw u8 upload with a raw mask", raw_upload(server, stored8, "BGRA", "u8", mask), cli["rgba8.png+mask"])


def test_samples_become_floats_by_one_rule():
    """Integers are divided by their full scale (not multiplied by its inverse, which differs in the last bit for
    some values), floats are clipped, NaN is 0; f32 holding k/255 is the 8-bit value's float."""
    levels = np.arange(256, dtype=np.uint8)
    assert np.array_equal(to_floats(levels), levels.astype(np.float32) / np.float32(255))
    assert np.array_equal(to_floats(np.float32(levels / 255.0)), to_floats(levels))
    wide = np.arange(65536, dtype=np.uint16)
    assert np.array_equal(to_floats(wide), wide.astype(np.float32) / np.float32(65535))
    assert to_floats(np.array([np.nan, -1, 2, 0.25], np.float32)).tolist() == [0.0, 0.0, 1.0, 0.25]
    assert np.array_equal(from_floats(to_floats(levels), np.uint8), levels)
    assert np.array_equal(from_floats(to_floats(wide), np.uint16), wide)
    multiplied = levels.astype(np.float32) * np.float32(1 / 255)
    assert (multiplied != to_floats(levels)).any()  # why the rule matters: the old raw path's values differ
