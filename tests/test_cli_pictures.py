"""What a picture file carries comes out the other side of `dreamlayer dream`: 16 bits, transparency, colour
profile and resolution; or the command refuses with a message instead of losing them silently."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from dreamlayer.cli import main
from dreamlayer.images import load_picture
from dreamlayer.images.deep import decode_16bit, encode_png16, encode_tiff16

from .conftest import cat_rgb

FAST = ["--octaves", "1", "--steps", "2", "--step-size", "4", "--jitter", "4", "--seed", "5", "--scale", "1"]
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def deep_pixels(width: int = 96, height: int = 64, alpha: bool = False) -> np.ndarray:
    """16-bit pixels that 8 bits can't hold: values that are not multiples of 257."""
    rgb = (cat_rgb(width, height) * 65535).astype(np.uint16) | 1
    if alpha:
        ramp = np.tile(np.linspace(0, 65535, width).astype(np.uint16), (height, 1))
        return np.dstack([rgb, ramp])
    return rgb


def read_16bit(path, image_format: str, alpha: bool) -> np.ndarray:
    data = path.read_bytes()
    assert Image.open(io.BytesIO(data)).format == image_format
    return decode_16bit(data, image_format, alpha)


@pytest.mark.parametrize("suffix, writer", [(".png", encode_png16), (".tif", encode_tiff16)])
def test_16_bit_in_gives_16_bit_out_with_alpha_profile_and_dpi(tmp_path, suffix, writer):
    source = tmp_path / f"in{suffix}"
    pixels = deep_pixels(alpha=True)
    source.write_bytes(writer(pixels, SRGB, (300.0, 300.0)))
    out = tmp_path / f"out{suffix}"
    assert main(["dream", str(source), str(out), *FAST]) == 0
    image_format = "PNG" if suffix == ".png" else "TIFF"
    result = read_16bit(out, image_format, alpha=True)
    assert result.dtype == np.uint16 and result.shape == pixels.shape
    assert np.array_equal(result[..., 3], pixels[..., 3])  # alpha exactly as it was, at 16 bits
    assert (result[..., :3] % 257 != 0).mean() > 0.9  # real 16-bit values, not 8-bit ones scaled up (which give 0); measured 0.9947-0.9955 over 5 seeds at 1 and 2 threads (bench/test_margins.py)
    assert np.abs(result[..., :3].astype(np.int64) - pixels[..., :3]).mean() > 100  # and dreamed: measured 1494-1509 levels, 15× the bound
    with Image.open(out) as written:
        assert written.info.get("icc_profile") == SRGB
        assert tuple(round(d) for d in written.info["dpi"]) == (300, 300)


def test_8_bit_profile_and_dpi_are_copied(tmp_path):
    source = tmp_path / "in.jpg"
    Image.fromarray((cat_rgb(96, 64) * 255).astype(np.uint8)).save(source, quality=95, icc_profile=SRGB, dpi=(150, 150))
    out = tmp_path / "out.webp"
    assert main(["dream", str(source), str(out), *FAST]) == 0
    with Image.open(out) as written:
        assert written.info.get("icc_profile") == SRGB
    out = tmp_path / "out.png"
    assert main(["dream", str(source), str(out), *FAST]) == 0
    with Image.open(out) as written:
        assert written.info.get("icc_profile") == SRGB and round(written.info["dpi"][0]) == 150


def test_16_bit_into_jpeg_is_written_at_8_bits_with_a_note(tmp_path, capsys):
    source = tmp_path / "in.png"
    source.write_bytes(encode_png16(deep_pixels()))
    assert main(["dream", str(source), str(tmp_path / "out.jpg"), *FAST]) == 0
    assert "use .png or .tif to keep 16" in capsys.readouterr().err


def rgba_png(tmp_path, opaque: bool):
    rgb = (cat_rgb(96, 64) * 255).astype(np.uint8)
    alpha = np.full((64, 96), 255, np.uint8) if opaque else np.tile(np.linspace(0, 255, 96).astype(np.uint8), (64, 1))
    path = tmp_path / ("opaque.png" if opaque else "rgba.png")
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(path)
    return path


def test_transparency_into_jpeg_is_refused_naming_the_formats_that_keep_it(tmp_path, capsys):
    out = tmp_path / "out.jpg"
    assert main(["dream", str(rgba_png(tmp_path, opaque=False)), str(out), *FAST]) == 2
    message = capsys.readouterr().err
    assert "can't hold the picture's transparency" in message and "PNG, WEBP, TIFF" in message and "--flatten" in message
    assert not out.exists()


def test_flatten_fills_transparency_with_a_colour(tmp_path):
    out = tmp_path / "out.jpg"
    assert main(["dream", str(rgba_png(tmp_path, opaque=False)), str(out), *FAST, "--flatten", "white"]) == 0
    with Image.open(out) as image:
        result = np.asarray(image, np.int16)
    assert result[:, 0].mean() > 245  # the fully transparent column became white, not the hidden pixels (the cat's
    # column, about 120); measured 254.5-254.8 over 5 seeds at 1 and 2 threads
    assert main(["dream", str(rgba_png(tmp_path, opaque=False)), str(out), *FAST, "--flatten", "nope"]) == 2


def test_an_opaque_alpha_goes_into_jpeg_without_fuss(tmp_path):
    assert main(["dream", str(rgba_png(tmp_path, opaque=True)), str(tmp_path / "out.jpg"), *FAST]) == 0


def test_grey_pictures_come_out_as_rgb(tmp_path):
    source = tmp_path / "grey.png"
    Image.fromarray((cat_rgb(96, 64).mean(axis=2) * 255).astype(np.uint8), "L").save(source)
    out = tmp_path / "out.png"
    assert main(["dream", str(source), str(out), *FAST]) == 0
    with Image.open(out) as result:
        assert result.mode == "RGB" and result.size == (96, 64)
    assert load_picture(out).alpha is None
