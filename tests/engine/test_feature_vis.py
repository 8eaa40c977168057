"""Feature visualisation: each channel's picture excites that channel above the others, the pictures of a layer
differ from each other, a channel's picture is the same in any batch, and dreaming one channel grows it.

The figures for a whole layer (Lite0 block10, 112 channels) are in bench/RESULTS.md ("channel atlas"): own channel
first on its picture for 100% of them, median correlation 0.000. Here one batch of 16, to stay quick.
"""

from __future__ import annotations

import pytest
import torch

from dreamlayer.engine import dream
from dreamlayer.engine.feature_vis import BATCH, ChannelVisualiser, batches, channel_seed, visualise_channels
from dreamlayer.errors import Cancelled

from .test_render import QUICK

SPREAD = list(range(96, 112))  # block10's last batch: one batch of pictures, made at once


@pytest.fixture(scope="module")
def pictures(net):
    return visualise_channels(net, "block10", SPREAD)


def means(net, pictures: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return net.features(pictures, ["block10"])["block10"].float().mean(dim=(2, 3))


def test_each_picture_excites_its_own_channel_among_the_layers_top_three(net, pictures):
    assert pictures.shape == (len(SPREAD), 3, 128, 128)
    m = means(net, pictures)
    ranks = [(m[i] > m[i, c]).sum().item() for i, c in enumerate(SPREAD)]
    # The issue asks for the top 3 for 90% of a layer; measured: first for all 112 of block10 (bench/RESULTS.md).
    assert all(rank < 3 for rank in ranks), ranks


def test_a_layers_pictures_differ_from_each_other(pictures):
    x = pictures.flatten(1)
    x = (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True)
    correlation = (x @ x.T) / x.shape[1]
    pairs = correlation[torch.triu_indices(len(x), len(x), 1).unbind()]
    # Goal: median below 0.3. Measured over every pair of block10's 112: median 0.000, largest 0.36.
    assert pairs.median() < 0.3, pairs.median()


def test_a_channels_picture_is_the_same_alone_or_in_any_batch(net):
    alone = visualise_channels(net, "block10", [33], steps=3)
    batched = visualise_channels(net, "block10", [5, 33, 90], steps=3)
    assert torch.equal(alone[0], batched[1])  # both made in the batch of 32-47
    assert channel_seed("lite0", "block10", 33) == channel_seed("lite0", "block10", 33) != channel_seed("lite0", "block10", 34)


def test_channels_are_made_in_fixed_batches_of_consecutive_numbers():
    assert batches([33], 112) == [list(range(32, 48))]
    assert batches([111, 2, 5], 112) == [list(range(0, 16)), list(range(96, 112))]
    assert batches([40], 40 + 3) == [[32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42]]  # the last batch is what is left


def test_steps_are_counted_and_a_cancel_stops_between_them(net):
    visualiser = ChannelVisualiser(net, "block4", [0, 1], size=32, steps=2)
    assert [visualiser.step().done for _ in range(2)] == [1, 2] and visualiser.finished
    asked = []
    with pytest.raises(Cancelled):
        visualise_channels(net, "block4", [0, BATCH], size=32, steps=2,
                           cancelled=lambda: len(asked) > 2, progress=asked.append)
    assert len(asked) == 3  # three steps ran, then the cancel was seen before the fourth


def test_dreaming_one_channel_grows_it_more_than_the_others(net, small_cat):
    x = torch.from_numpy(small_cat).permute(2, 0, 1)[None]
    for channel in (33, 88):
        out = torch.from_numpy(dream(net, small_cat, QUICK.replace(channels=str(channel)))).permute(2, 0, 1)[None]
        growth = means(net, out)[0] - means(net, x)[0]
        others = torch.cat([growth[:channel], growth[channel + 1:]])
        # Measured 6.2-7.9× the others' mean |growth| over 8 channels (bench/bench_atlas.py); 2× leaves room.
        assert growth[channel] > 2 * others.abs().mean(), (channel, growth[channel], others.abs().mean())
