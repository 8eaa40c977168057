"""Parameters: parsing, ranges, presets, and the PNG round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dreamlayer.engine.resize import octave_sizes, work_size
from dreamlayer.engine.tiling import tile_starts
from dreamlayer.errors import InvalidParameter
from dreamlayer.images import Picture, SettingsRecord, read_settings, save_picture
from dreamlayer.params import DreamParams, parse_channels, parse_layers
from dreamlayer.presets import PRESETS, preset_params


def test_strings_from_a_form_or_command_line_are_parsed():
    p = DreamParams.from_mapping({"octaves": "3", "step_size": "2.5", "preserve_colors": "yes", "seed": "", "scale": "auto"})
    assert (p.octaves, p.step_size, p.preserve_colors, p.seed, p.scale) == (3, 2.5, True, None, None)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"octaves": 0}, "between 1 and 12"),
        ({"step_size": "lots"}, "must be a number"),
        ({"steps": "2.5"}, "whole number"),
        ({"scale": float("nan")}, "must be a number"),
        ({"precision": "int4"}, "fp32, bf16, fp16"),
        ({"colour": 1}, "Unknown setting(s): colour"),
        ({"channels": "strongest:0"}, "strongest:N"),
        ({"layer": "block10=heavy"}, "must be a number"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(values, message):
    with pytest.raises(InvalidParameter, match=message.replace("(", r"\(").replace(")", r"\)")):
        DreamParams.from_mapping(values)


def test_layer_and_channel_shorthands():
    assert parse_layers("block8=0.5, block10") == [("block8", 0.5), ("block10", 1.0)]
    assert parse_channels("strongest:3") == (3, ())
    assert parse_channels("1,5,9") == (0, (1, 5, 9))
    assert parse_channels("") is None


def test_presets_are_valid_and_overridable():
    assert set(PRESETS) >= {"gentle", "classic", "deep"}
    for name in PRESETS:
        preset_params(name)
    deep = DreamParams.from_mapping({"steps": 4}, preset_params("deep"))
    assert deep.steps == 4 and deep.layer == "block12"
    with pytest.raises(InvalidParameter, match="Unknown preset"):
        preset_params("wild")


def test_resolved_fills_seed_and_scale_only_when_missing():
    p = DreamParams().resolved(4096, 2048)
    assert p.scale == 4.0 and p.seed is not None
    q = DreamParams(seed=3, scale=1.5).resolved(4096, 2048)
    assert (q.seed, q.scale) == (3, 1.5)


def test_parameters_round_trip_through_png_metadata(tmp_path):
    params = DreamParams(layer="block8=0.5,block10", channels="strongest:4", preserve_colors=True, seed=42, scale=1.25)
    path = tmp_path / "dream.png"
    save_picture(Picture(np.zeros((8, 8, 3), np.float32), None), path, SettingsRecord(params.to_dict()).to_json())
    assert DreamParams.from_mapping(read_settings(path).params) == params


def test_smallest_octave_never_shrinks_below_what_the_layer_needs():
    sizes = octave_sizes((200, 300), octaves=8, octave_scale=1.4, min_side=64)
    assert sizes[-1] == (200, 300)
    assert min(min(s) for s in sizes) >= 64
    assert len(sizes) == 1 + math.floor(math.log(200 / 64, 1.4))
    assert work_size(40, 80, scale=1.0, min_side=64) == (64, 128)


@pytest.mark.parametrize("length, tile, overlap, align", [(1000, 256, 64, 16), (4096, 512, 128, 32), (200, 512, 64, 16)])
def test_tiles_cover_the_picture_with_overlap_on_the_grid(length, tile, overlap, align):
    length += -(length - tile) % align if length > tile else 0
    starts = tile_starts(length, tile, overlap, align)
    assert starts[0] == 0
    assert starts[-1] + min(tile, length) == length
    assert all(s % align == 0 for s in starts)
    assert all(b - a <= tile - overlap for a, b in zip(starts, starts[1:]))
