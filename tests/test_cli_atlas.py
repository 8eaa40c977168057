"""`dreamlayer atlas`: a labelled contact sheet of a layer's channel pictures, ordered by a picture's strongest
channels when one is given; and its mistakes, refused before any work."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dreamlayer.atlas import AtlasCache
from dreamlayer.atlas.sheet import GAP, LABEL_HEIGHT, TITLE_HEIGHT
from dreamlayer.engine.ranking import rank_channels

from .conftest import CAT
from .test_cli_mistakes import refused


def atlas(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "atlas", *args], capture_output=True, text=True,
                         cwd=cwd, timeout=300)
    assert run.returncode == 0, run.stderr
    return run


def cells(sheet: Image.Image, count: int, side: int, columns: int) -> list[np.ndarray]:
    out = []
    for position in range(count):
        x = GAP + (position % columns) * (side + GAP)
        y = TITLE_HEIGHT + (position // columns) * (side + LABEL_HEIGHT + GAP)
        out.append(np.asarray(sheet.crop((x, y, x + side, y + side))))
    return out


def cached(layer: str, channel: int, side: int) -> np.ndarray:
    data = AtlasCache(Path(os.environ["DREAMLAYER_CACHE"]), "lite0", layer, side).read(channel)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_a_sheet_of_part_of_a_layer_shows_each_channels_picture_in_order(tmp_path):
    atlas("--layer", "block1", "--channels", "0-3", "--size", "32", "sheet.png", cwd=tmp_path)
    sheet = Image.open(tmp_path / "sheet.png").convert("RGB")
    assert sheet.size == (GAP + 4 * (32 + GAP), TITLE_HEIGHT + 32 + LABEL_HEIGHT + GAP + GAP // 2)
    for channel, cell in enumerate(cells(sheet, 4, 32, 4)):
        assert np.array_equal(cell, cached("block1", channel, 32))


def test_a_picture_orders_the_sheet_by_its_strongest_channels(tmp_path, net):
    atlas("--layer", "block1", "--size", "32", "--picture", str(CAT), "--channels", "strongest:5", "--columns", "3",
          "sheet.png", cwd=tmp_path)
    sheet = Image.open(tmp_path / "sheet.png").convert("RGB")
    assert sheet.size == (GAP + 3 * (32 + GAP), TITLE_HEIGHT + 2 * (32 + LABEL_HEIGHT + GAP) + GAP // 2)
    rgb = torch.from_numpy(np.asarray(Image.open(CAT).convert("RGB"), np.float32) / 255).permute(2, 0, 1)[None]
    strongest = [r.channel for r in rank_channels(net, rgb, "block1")[:5]]
    for channel, cell in zip(strongest, cells(sheet, 5, 32, 3)):
        assert np.array_equal(cell, cached("block1", channel, 32))


@pytest.mark.parametrize("args, says", [
    (["--layer", "nope", "s.png"], "has no layer 'nope'"),
    (["--channels", "strongest:4", "s.png"], "needs --picture"),
    (["--channels", "0-500", "s.png"], "112 channels"),
    (["--size", "7", "s.png"], "'size' must be between 32 and 512"),
    (["--picture", "missing.png", "s.png"], "There is no file 'missing.png'"),
    (["--columns", "0", "s.png"], "--columns must be 1 or more"),
    (["s.txt"], "s.txt"),
])
def test_atlas_mistakes_are_refused_before_any_work(args, says, tmp_path):
    assert says in refused("atlas", *args, cwd=tmp_path)
    assert not (tmp_path / "s.png").exists()
