"""The DeepDream loop on the real default model, with small pictures so the suite stays fast on two cores."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from dreamlayer.engine import dream
from dreamlayer.engine.color import luminance
from dreamlayer.engine.objectives import build_objective
from dreamlayer.errors import Cancelled
from dreamlayer.params import DreamParams, default_scale

from .conftest import cat_rgb

# Small pictures get a small jitter, as 32 pixels is to the 1024-pixel view the presets are tuned for.
QUICK = DreamParams(seed=7, octaves=2, steps=8, step_size=3.0, jitter=8, scale=1.0)


def energy(net, rgb: np.ndarray, layer: str = "block10", channels: list[int] | None = None) -> float:
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None]
    with torch.no_grad():
        a = net.features(x, [layer])[layer]
    if channels is not None:
        a = a[:, channels]
    return float(a.pow(2).mean())


def test_dream_raises_the_target_layers_energy(net, small_cat):
    out = dream(net, small_cat, QUICK)
    assert out.shape == small_cat.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert energy(net, out) > 1.5 * energy(net, small_cat)


def test_tensor_in_tensor_out(net, small_cat):
    x = torch.from_numpy(small_cat).permute(2, 0, 1)
    out = dream(net, x, QUICK.replace(steps=1, octaves=1))
    assert isinstance(out, torch.Tensor) and out.shape == x.shape


def test_same_seed_same_picture_other_seed_other_picture(net, small_cat):
    a = dream(net, small_cat, QUICK)
    b = dream(net, small_cat, QUICK)
    c = dream(net, small_cat, QUICK.replace(seed=8))
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 1e-3


def test_mask_leaves_the_outside_untouched_and_blends_the_edge(net, small_cat):
    h, w = small_cat.shape[:2]
    mask = np.zeros((h, w), np.float32)
    mask[20:90, 40:120] = 1.0
    mask[20:90, 30:40] = np.linspace(0, 1, 10)[None, :]  # a feathered edge
    out = dream(net, small_cat, QUICK, mask=mask)
    outside = mask == 0
    assert np.abs(out[outside] - small_cat[outside]).max() <= 1 / 255
    inside = mask == 1
    assert np.abs(out[inside] - small_cat[inside]).mean() > 0.02
    edge_change = np.abs(out - small_cat)[20:90, 30:35].mean()
    assert 0 < edge_change < np.abs(out - small_cat)[inside].mean()


def test_preserve_colors_keeps_chroma(net, small_cat):
    out = dream(net, small_cat, QUICK.replace(preserve_colors=True))
    chroma_in = small_cat - luminance(torch.from_numpy(small_cat).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    chroma_out = out - luminance(torch.from_numpy(out).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    luma_change = np.abs(out.mean(2) - small_cat.mean(2)).mean()
    assert luma_change > 0.02
    assert np.abs(chroma_out - chroma_in).mean() < 0.1 * luma_change


def test_strongest_channels_grow_more_than_the_rest(net, small_cat):
    params = QUICK.replace(channels="strongest:4")
    x = torch.from_numpy(small_cat).permute(2, 0, 1)[None]
    chosen = build_objective(net, params, x).terms[0].channels.tolist()
    others = [c for c in range(112) if c not in chosen]
    out = dream(net, small_cat, params)
    gain_chosen = energy(net, out, channels=chosen) / energy(net, small_cat, channels=chosen)
    gain_others = energy(net, out, channels=others) / energy(net, small_cat, channels=others)
    assert gain_chosen > 1.5 * gain_others


def test_guide_image_pulls_features_towards_the_guide(net, small_cat):
    guide = np.zeros_like(small_cat)
    guide[..., 2] = np.indices(small_cat.shape[:2]).sum(0) % 16 < 8  # blue stripes
    params = QUICK.replace(guide_weight=1.0)
    x = torch.from_numpy(small_cat).permute(2, 0, 1)[None]
    g = torch.from_numpy(guide).permute(2, 0, 1)[None]

    def similarity(img):
        t = torch.from_numpy(img).permute(2, 0, 1)[None]
        with torch.no_grad():
            a = net.features(t, ["block10"])["block10"].mean((0, 2, 3))
            b = net.features(g, ["block10"])["block10"].mean((0, 2, 3))
        return float(torch.nn.functional.cosine_similarity(a, b, dim=0))

    guided = dream(net, small_cat, params, guide=guide)
    unguided = dream(net, small_cat, params)
    assert any(t.guide is not None for t in build_objective(net, params, x, g).terms)
    assert similarity(guided) > similarity(unguided)
    # The strength steers: more of it pulls further towards the guide, none of it is no guide at all.
    stronger = dream(net, small_cat, params.replace(guide_weight=20.0), guide=guide)
    assert similarity(stronger) > similarity(guided)
    assert np.array_equal(dream(net, small_cat, params.replace(guide_weight=0.0), guide=guide), unguided)


def test_laplacian_normalisation_changes_the_dream(net, small_cat):
    a = dream(net, small_cat, QUICK)
    b = dream(net, small_cat, QUICK.replace(laplacian=4))
    assert np.abs(a - b).mean() > 1e-3
    assert energy(net, b) > 1.5 * energy(net, small_cat)


def test_tiled_and_untiled_agree_without_seams(net):
    """Tiles of 192 on a 384×256 picture (2×3 overlapping tiles) against one pass over the whole picture.

    Gradient ascent is chaotic: half a level of noise on the input already decorrelates a 4-step dream. So one
    step must agree almost exactly, and four steps must agree better than that noise does.
    """
    picture = cat_rgb(384, 256)
    params = DreamParams(seed=3, octaves=1, steps=1, jitter=0, scale=1.0)
    corr = lambda a, b: np.corrcoef(a.ravel(), b.ravel())[0, 1]  # noqa: E731

    one_whole = dream(net, picture, params.replace(tile=1024)) - picture
    one_tiled = dream(net, picture, params.replace(tile=192)) - picture
    assert corr(one_whole, one_tiled) > 0.98

    params = params.replace(steps=4)
    whole = dream(net, picture, params.replace(tile=1024)) - picture
    tiled = dream(net, picture, params.replace(tile=192)) - picture
    noise = np.random.default_rng(0).uniform(-0.5 / 255, 0.5 / 255, picture.shape).astype(np.float32)
    noisy_picture = (picture + noise).clip(0, 1)
    noisy = dream(net, noisy_picture, params.replace(tile=1024)) - noisy_picture
    assert corr(whole, tiled) > corr(whole, noisy)

    # A seam would show as columns or rows where the tiled detail jumps more than elsewhere.
    jumps_x = np.abs(np.diff(tiled, axis=1)).mean(axis=(0, 2))
    jumps_y = np.abs(np.diff(tiled, axis=0)).mean(axis=(1, 2))
    for jumps in (jumps_x, jumps_y):
        assert jumps.max() < 2.0 * np.median(jumps)


def test_same_dream_relative_to_the_picture_at_two_resolutions(net):
    """The same picture at 192 and 384 pixels, with the feature scale following the size, dreams alike;
    a fixed feature scale (the naive way) gives the larger picture finer, different features."""
    small = cat_rgb(192, 128)
    large = np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((384, 256), Image.BICUBIC), np.float32) / 255
    params = DreamParams(seed=1, octaves=2, steps=4, jitter=0)

    def detail_at_small_size(picture, scale):
        d = dream(net, picture, params.replace(scale=scale)) - picture
        return np.asarray(Image.fromarray(d.mean(2)).resize((192, 128), Image.BOX))

    reference = detail_at_small_size(small, 0.5)
    corr = lambda a, b: np.corrcoef(a.ravel(), b.ravel())[0, 1]  # noqa: E731
    following = corr(reference, detail_at_small_size(large, 1.0))
    fixed = corr(reference, detail_at_small_size(large, 0.5))
    assert following > 0.4 and following > 2 * fixed


def test_default_scale_follows_the_picture_size():
    assert default_scale(4096, 3000) == 4 * default_scale(1024, 700)
    assert default_scale(2048, 2048) == 2.0
    assert default_scale(300, 200) == 0.5  # small pictures are not blown up past 2×


def test_cancel_stops_within_a_step(net, small_cat):
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        dream(net, small_cat, QUICK, cancelled=cancelled)
    assert len(calls) == 4


def test_progress_and_previews_are_reported(net, small_cat):
    seen, previews = [], []
    dream(net, small_cat, QUICK, progress=seen.append, preview=lambda k, img: previews.append((k, img.shape)))
    assert seen[-1].step == seen[-1].total == 16
    assert [p.step for p in seen] == list(range(1, 17))
    assert [k for k, _ in previews] == [1, 2]


def test_a_hard_selection_edge_gets_a_ramp_inside_it_and_nothing_outside():
    from dreamlayer.engine.masks import soften_edges

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
