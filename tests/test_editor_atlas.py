"""The channel picker's model that both plugins draw (``dreamlayer_editor.atlas``), against a real server."""

from __future__ import annotations

import time

from dreamlayer_editor.atlas import ChannelPicker
from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.protocol import RawImage, RawMask

from .live_server import png_bytes


def test_a_picker_fills_in_as_pictures_are_made_ranks_a_picture_and_writes_the_choice(server):
    picker = ChannelPicker.for_setting(DreamClient(server.url), "lite0", "block1", "5,2")
    assert picker.chosen == [5, 2] and picker.describe_choice() == "2 channels: 5,2"
    assert ChannelPicker.for_setting(DreamClient(server.url), "lite0", "block1", "strongest:4").chosen == []
    assert ChannelPicker.for_setting(DreamClient(server.url), "lite0", "block1", "oops").chosen == []

    picker.rank(png_bytes(64, 48))
    assert len(picker.ranking) == 24 and picker.label(picker.ranking[0]).startswith(f"#{picker.ranking[0]} · ")
    fetched: list[int] = []
    deadline = time.monotonic() + 120
    while not picker.finished:
        assert time.monotonic() < deadline
        picker.refresh()
        fetched += picker.fetch_new()
        time.sleep(0.3)
    fetched += picker.fetch_new()
    assert sorted(fetched) == list(range(24)) and all(p.startswith(b"\x89PNG") for p in picker.pictures.values())
    assert picker.order[:24] == picker.ranking and picker.progress == 1.0 and picker.dreams
    strongest = picker.ranking[0]
    assert picker.is_strong(strongest) == (picker.shares[strongest] >= 0.05)

    picker.choose([2, 9])  # 5 let go, 2 kept where it was, 9 added
    assert picker.channels_setting == "2,9"
    picker.choose([])
    assert picker.channels_setting == "" and picker.describe_choice() == "Every channel"


def test_raw_pixels_and_a_mask_rank_like_an_editors_selection(server):
    picker = ChannelPicker(DreamClient(server.url), "lite0", "block1")
    white_left = bytes([255, 255, 255, 255] * 8 + [0, 0, 0, 255] * 8) * 16  # 16×16: white left, black right
    picker.rank(RawImage(16, 16, white_left), None)
    whole = list(picker.ranking)
    picker.rank(RawImage(16, 16, white_left), RawMask(bytes([255] * 8 + [0] * 8) * 16))
    assert sorted(picker.ranking) == sorted(whole) and picker.ranking != whole  # the selection changes the order
