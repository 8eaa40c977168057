"""A picture's channels ranked by how hard they fire on it, with their share of the layer's activation."""

from __future__ import annotations

import torch

from dreamlayer.engine.objectives import build_objective
from dreamlayer.engine.ranking import mean_activations, rank_channels, ranking_size
from dreamlayer.params.resolved import resolve_dream

from .test_render import QUICK


def test_channels_are_ranked_strongest_first_with_shares_of_the_positive_activation(net, small_cat):
    picture = torch.from_numpy(small_cat).permute(2, 0, 1)[None]
    ranking = rank_channels(net, picture, "block10")
    assert sorted(r.channel for r in ranking) == list(range(112))
    activations = [r.activation for r in ranking]
    assert activations == sorted(activations, reverse=True)
    assert abs(sum(r.share for r in ranking) - 1) < 1e-5
    assert all(r.share == 0 for r in ranking if r.activation <= 0)
    # The same channels a dream's "strongest:N" picks.
    chosen = build_objective(net, resolve_dream(QUICK.replace(channels="strongest:4"), 160, 112), picture).terms[0].channels
    assert chosen.tolist() == [r.channel for r in ranking[:4]]


def test_a_mask_weighs_each_place_by_how_much_it_is_selected():
    activation = torch.zeros(1, 2, 8, 8)
    activation[0, 0, :, :4] = 1.0  # channel 0 fires on the left half, channel 1 on the right
    activation[0, 1, :, 4:] = 3.0
    left = torch.zeros(8, 8)
    left[:, :4] = 1.0
    assert mean_activations(activation, left).tolist() == [1.0, 0.0]
    assert mean_activations(activation).tolist() == [0.5, 1.5]
    assert mean_activations(activation, torch.zeros(8, 8)).tolist() == [0.5, 1.5]  # nothing selected: the whole


def test_channels_are_ranked_on_a_view_no_larger_than_the_ranking_side(net):
    assert ranking_size(net, (2000, 3000), ["block10"]) == (341, 512)
    assert ranking_size(net, (100, 150), ["block10"]) == (100, 150)  # smaller pictures as they are
    smallest = net.layer_info("block15").min_size
    assert ranking_size(net, (20, 30), ["block15"]) == (smallest, smallest)  # never below what the layer needs
