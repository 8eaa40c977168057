"""The model catalog as data (no torch): the default model's default layer, names checked against it before any
model loads. (Each entry against the network built from it: tests/engine/test_models.py.)"""

from __future__ import annotations

import pytest

from dreamlayer.catalog import DREAMS_BY_DEPTH, MODELS, describe_models
from dreamlayer.errors import InvalidParameter, UnknownLayer, UnknownModel
from dreamlayer.params import DreamParams


def test_default_layer_is_block10_with_112_channels_at_stride_16():
    info = MODELS["lite0"].layers["block10"]
    assert (info.channels, info.stride) == (112, 16)
    assert MODELS["lite0"].default_layer == "block10"


def test_unknown_model_layer_and_channel_are_refused_before_loading():
    with pytest.raises(UnknownModel, match="lite0"):
        DreamParams.from_mapping({"model": "alexnet"})
    with pytest.raises(UnknownLayer, match="block10"):
        DreamParams.from_mapping({"layer": "mixed4c"})
    with pytest.raises(InvalidParameter, match="112 channels"):
        DreamParams.from_mapping({"channels": "3,200"})


def test_the_catalog_imports_no_torch():
    import subprocess
    import sys

    code = "import sys, dreamlayer.catalog, dreamlayer.params; assert 'torch' not in sys.modules, 'torch imported'"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_every_layer_of_every_network_says_what_it_dreams_from_grain_to_creatures():
    words = [w for _, w in DREAMS_BY_DEPTH]
    for spec in MODELS.values():
        said = [layer.dreams for layer in spec.layers.values()]
        assert all(said), spec.name
        assert said[0] == words[0] and said[-1] == words[-1]  # the first layer dreams grain, the last whole things
        assert [words.index(w) for w in said] == sorted(words.index(w) for w in said)  # deeper dreams bigger
    lite0 = next(m for m in describe_models() if m["name"] == "lite0")
    assert {layer["name"]: layer["dreams"] for layer in lite0["layers"]}["block10"] == "eyes and fur"
