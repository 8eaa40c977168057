"""Softening a selection's hard edge: a ramp inside it, nothing outside, the document's edges and wide feathers
left alone."""

from __future__ import annotations

import torch


def test_a_hard_selection_edge_gets_a_ramp_inside_it_and_nothing_outside():
    from dreamlayer.engine.masks import soften_edges

    # Box averages of a mask, no dream: the bounds below are geometry (a 5-pixel ramp), the same on every machine
    # up to float error; the 0.02 of the last check is the ramp's own rounding, not a margin.
    mask = torch.zeros(1, 1, 40, 60)
    mask[..., 10:30, 20:50] = 1.0
    soft = soften_edges(mask, 5, (False,) * 4)
    assert torch.equal(soft[mask == 0], mask[mask == 0])  # unselected stays unselected
    assert (soft <= mask).all()
    row = soft[0, 0, 20, 20:35]
    assert row[0] < 0.2 and row[-1] == 1.0 and (row[1:] >= row[:-1]).all()  # rises over about 5 pixels
    assert 0.7 < float(soft[0, 0, 20, 24]) < 1.0

    # A selection filling the picture: its sides are the selection's edges unless they are the document's.
    whole = torch.ones(1, 1, 20, 20)
    assert soften_edges(whole, 4, (True,) * 4).eq(1).all()
    closed_left = soften_edges(whole, 4, (True, True, False, True))
    assert closed_left[0, 0, 10, 0] < 0.2 and closed_left[0, 0, 10, -1] == 1.0

    # A feather wider than the softness is the artist's own edge: left alone.
    feathered = torch.linspace(0, 1, 60).expand(1, 1, 40, 60).clone()
    assert torch.allclose(soften_edges(feathered, 5), feathered, atol=0.02)
