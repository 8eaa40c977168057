"""The channel atlas's own package: the cache's folders and files, what a request asks for, making only what is
missing, and the contact sheet's layout."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dreamlayer.atlas import AtlasCache, contact_sheet, make_thumbnails, missing_channels
from dreamlayer.atlas.cache import weights_fingerprint
from dreamlayer.atlas.sheet import GAP, LABEL_HEIGHT, TITLE_HEIGHT
from dreamlayer.engine.feature_vis import METHOD_VERSION
from dreamlayer.errors import InvalidParameter, UnknownLayer
from dreamlayer.params.atlas import AtlasSettings, ResolvedAtlas


def test_the_cache_keeps_pictures_by_model_layer_size_weights_and_method(tmp_path):
    cache = AtlasCache(tmp_path, "lite0", "block4", 64)
    assert cache.folder == tmp_path / "atlas" / "lite0" / f"block4-64px-v{METHOD_VERSION}-{weights_fingerprint('lite0')}"
    assert len(weights_fingerprint("lite0")) == 12
    assert cache.made([0, 1]) == set() and cache.read(0) is None
    cache.write(1, np.full((64, 64, 3), 200, np.uint8))
    assert cache.made([0, 1]) == {1}
    assert Image.open(io.BytesIO(cache.read(1))).size == (64, 64)
    assert [p.name for p in cache.folder.iterdir()] == ["1.png"]  # no half-written file left beside it
    assert AtlasCache(tmp_path, "lite0", "block4", 128).made([1]) == set()  # another size is another folder


def test_a_request_names_the_layer_and_channels_it_shows():
    assert AtlasSettings().resolved() == ResolvedAtlas("lite0", "block10", tuple(range(112)), 128)
    assert AtlasSettings(layer="block4", channels="0-3,9").resolved().channels == (0, 1, 2, 3, 9)
    with pytest.raises(InvalidParameter, match="needs a picture"):
        AtlasSettings(channels="strongest:4").resolved()
    with pytest.raises(InvalidParameter, match="80 channels"):
        AtlasSettings.from_mapping({"layer": "block7", "channels": "79-80"})
    with pytest.raises(UnknownLayer):
        AtlasSettings.from_mapping({"layer": "block10,block4"})  # one layer at a time


def test_only_missing_pictures_are_made_and_their_whole_batch_is_kept(net, tmp_path):
    cache = AtlasCache(tmp_path, "lite0", "block1", 32)  # block1 has 24 channels: batches 0-15 and 16-23
    reports = []
    assert make_thumbnails(net, cache, (2, 17), steps=2, progress=reports.append) == 2
    assert cache.made(list(range(24))) == set(range(24))  # both batches, whole
    assert reports[-1].share == 1.0 and reports[-1].made == 2
    assert [r.share for r in reports] == sorted(r.share for r in reports)  # the bar only moves forward
    assert make_thumbnails(net, cache, (2, 17), steps=2) == 0 and missing_channels(cache, (2, 17, 30)) == [30]


def test_a_contact_sheet_lays_the_pictures_out_in_order_under_a_title():
    colours = {3: (255, 0, 0), 7: (0, 255, 0), 9: (0, 0, 255)}
    pictures = {}
    for channel, colour in colours.items():
        out = io.BytesIO()
        Image.new("RGB", (32, 32), colour).save(out, format="PNG")
        pictures[channel] = out.getvalue()
    sheet = contact_sheet(pictures, [9, 3, 7], "lite0 · block10", {9: 0.5, 3: 0.01, 7: 0.0}, columns=2)
    cell_w, cell_h = 32 + GAP, 32 + LABEL_HEIGHT + GAP
    assert sheet.size == (GAP + 2 * cell_w, TITLE_HEIGHT + 2 * cell_h + GAP // 2)
    centre = lambda position: (GAP + (position % 2) * cell_w + 16, TITLE_HEIGHT + (position // 2) * cell_h + 16)  # noqa: E731
    assert [sheet.getpixel(centre(p)) for p in range(3)] == [colours[9], colours[3], colours[7]]
    label_row = sheet.crop((GAP, TITLE_HEIGHT + 32 + 2, GAP + 32, TITLE_HEIGHT + 32 + LABEL_HEIGHT))
    assert len(np.unique(np.asarray(label_row).reshape(-1, 3), axis=0)) > 2  # a label is written under each picture
