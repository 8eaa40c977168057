"""The DeepDream loop on the real default model, with small pictures so the suite stays fast on two cores."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from dreamlayer.engine import dream
from dreamlayer.engine.color import luminance
from dreamlayer.engine.objectives import build_objective
from dreamlayer.params.resolved import resolve_dream
from dreamlayer.errors import Cancelled
from dreamlayer.params import DreamParams, default_scale

from ..conftest import cat_rgb

# Small pictures get a small jitter, as 32 pixels is to the 1024-pixel view the presets are tuned for.
QUICK = DreamParams(seed=7, octaves=2, steps=8, step_size=3.0, jitter=8, scale=1.0)

# The measured ranges beside the thresholds below come from bench/test_margins.py (tables in bench/RESULTS.md,
# issue 19): the test's picture at seeds 1-5 and three other pictures (two crops of the cat, the bench's photo) at
# the test's seed, each with OMP_NUM_THREADS=1 and 2.


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
    assert energy(net, out) > 1.5 * energy(net, small_cat)  # measured 1.89-2.57 (no dream: 1)


def test_tensor_in_tensor_out(net, small_cat):
    x = torch.from_numpy(small_cat).permute(2, 0, 1)
    out = dream(net, x, QUICK.replace(steps=1, octaves=1))
    assert isinstance(out, torch.Tensor) and out.shape == x.shape


def seed_difference(net, picture: np.ndarray, seed: int = 7) -> float:
    """Mean difference between the dreams of two neighbouring seeds."""
    return float(np.abs(dream(net, picture, QUICK.replace(seed=seed)) - dream(net, picture, QUICK.replace(seed=seed + 1))).mean())


def test_same_seed_same_picture_other_seed_other_picture(net, small_cat):
    a = dream(net, small_cat, QUICK)
    b = dream(net, small_cat, QUICK)
    c = dream(net, small_cat, QUICK.replace(seed=8))
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 0.01  # seed s against s + 1: measured 0.055-0.059 (the seed ignored: 0); was 1e-3


def masked_changes(net, picture: np.ndarray, params: DreamParams = QUICK) -> dict[str, float]:
    """A dream through a mask with a feathered left edge: the largest change outside, the mean change inside, and
    the mean change on the feather's lower half."""
    h, w = picture.shape[:2]
    mask = np.zeros((h, w), np.float32)
    mask[20:90, 40:120] = 1.0
    mask[20:90, 30:40] = np.linspace(0, 1, 10)[None, :]  # a feathered edge
    change = np.abs(dream(net, picture, params, mask=mask) - picture)
    return {"outside_max": float(change[mask == 0].max()), "inside": float(change[mask == 1].mean()),
            "edge": float(change[20:90, 30:35].mean())}


def test_mask_leaves_the_outside_untouched_and_blends_the_edge(net, small_cat):
    m = masked_changes(net, small_cat)
    assert m["outside_max"] <= 1 / 255  # measured 0 (the mask ignored: inside-like changes)
    assert m["inside"] > 0.02  # measured 0.040-0.046 (no dream: 0)
    # The feather's lower half against the inside: measured 0.050-0.099; the feather taken as selected: about 1 (was < 1).
    assert 0 < m["edge"] < 0.5 * m["inside"]


def luma_and_chroma_change(net, picture: np.ndarray, params: DreamParams = QUICK) -> tuple[float, float]:
    """A colour-preserving dream's mean change in brightness, and its mean change in chroma against that."""
    out = dream(net, picture, params.replace(preserve_colors=True))
    chroma_in = picture - luminance(torch.from_numpy(picture).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    chroma_out = out - luminance(torch.from_numpy(out).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    luma_change = float(np.abs(out.mean(2) - picture.mean(2)).mean())
    return luma_change, float(np.abs(chroma_out - chroma_in).mean()) / luma_change


def test_preserve_colors_keeps_chroma(net, small_cat):
    luma_change, chroma_per_luma = luma_and_chroma_change(net, small_cat)
    assert luma_change > 0.02  # measured 0.044-0.047 (no dream: 0)
    assert chroma_per_luma < 0.1  # measured 0.0028-0.0048


def chosen_over_other_gain(net, picture: np.ndarray, params: DreamParams = QUICK) -> float:
    """Dreaming the 4 strongest channels: their energy gain against the other channels'."""
    params = params.replace(channels="strongest:4")
    x = torch.from_numpy(picture).permute(2, 0, 1)[None]
    chosen = build_objective(net, resolve_dream(params, *x.shape[:-3:-1]), x).terms[0].channels.tolist()
    others = [c for c in range(112) if c not in chosen]
    out = dream(net, picture, params)
    gain_chosen = energy(net, out, channels=chosen) / energy(net, picture, channels=chosen)
    gain_others = energy(net, out, channels=others) / energy(net, picture, channels=others)
    return gain_chosen / gain_others


def test_strongest_channels_grow_more_than_the_rest(net, small_cat):
    assert chosen_over_other_gain(net, small_cat) > 1.5  # measured 2.69-3.56 (every channel alike: about 1)


def stripes_guide(picture: np.ndarray) -> np.ndarray:
    guide = np.zeros_like(picture)
    guide[..., 2] = np.indices(picture.shape[:2]).sum(0) % 16 < 8  # blue stripes
    return guide


def guide_similarity(net, picture: np.ndarray, guide: np.ndarray) -> float:
    """Cosine similarity of the picture's and the guide's mean block10 features."""
    t, g = (torch.from_numpy(a).permute(2, 0, 1)[None] for a in (picture, guide))
    with torch.no_grad():
        a = net.features(t, ["block10"])["block10"].mean((0, 2, 3))
        b = net.features(g, ["block10"])["block10"].mean((0, 2, 3))
    return float(torch.nn.functional.cosine_similarity(a, b, dim=0))


def guided_dreams(net, picture: np.ndarray, params: DreamParams = QUICK) -> dict[str, np.ndarray]:
    """The dream unguided, and guided by the stripes at strength 1 and 20."""
    guide, params = stripes_guide(picture), params.replace(guide_weight=1.0)
    return {"unguided": dream(net, picture, params), "guided": dream(net, picture, params, guide=guide),
            "stronger": dream(net, picture, params.replace(guide_weight=20.0), guide=guide)}


def test_guide_image_pulls_features_towards_the_guide(net, small_cat):
    guide, params = stripes_guide(small_cat), QUICK.replace(guide_weight=1.0)
    x, g = (torch.from_numpy(a).permute(2, 0, 1)[None] for a in (small_cat, guide))
    assert any(t.guide is not None for t in build_objective(net, resolve_dream(params, *x.shape[:-3:-1]), x, g).terms)
    dreams = guided_dreams(net, small_cat)
    similarity = {name: guide_similarity(net, picture, guide) for name, picture in dreams.items()}
    # Orderings within one run: guided - unguided measured 0.028-0.093, strength 20 - 1 0.148-0.344.
    assert similarity["guided"] > similarity["unguided"]
    # The strength steers: more of it pulls further towards the guide, none of it is no guide at all.
    assert similarity["stronger"] > similarity["guided"]
    assert np.array_equal(dream(net, small_cat, params.replace(guide_weight=0.0), guide=guide), dreams["unguided"])


def laplacian_difference_and_gain(net, picture: np.ndarray, params: DreamParams = QUICK) -> tuple[float, float]:
    """How much a 4-level Laplacian normalisation changes the dream, and its energy gain."""
    a = dream(net, picture, params)
    b = dream(net, picture, params.replace(laplacian=4))
    return float(np.abs(a - b).mean()), energy(net, b) / energy(net, picture)


def test_laplacian_normalisation_changes_the_dream(net, small_cat):
    difference, gain = laplacian_difference_and_gain(net, small_cat)
    assert difference > 0.01  # measured 0.063-0.065 (the setting ignored: 0); was 1e-3
    assert gain > 1.5  # measured 2.07-2.83


def test_tiled_and_untiled_agree_without_seams(net):
    """Tiles of 192 on a 384×256 picture (2×3 overlapping tiles) against one pass over the whole picture.

    Gradient ascent is chaotic: half a level of noise on the input already decorrelates a 4-step dream. So one
    step must agree almost exactly, and four steps must agree better than that noise does.
    """
    m = tiling_measures(net, cat_rgb(384, 256))
    # No jitter: the seed only moves the control's noise, so the pictures vary (4 pictures, 2 noise draws, 1 and
    # 2 threads). One step: measured 0.978-0.987 (this picture 0.987); 0.98 held on this picture only.
    assert m["one_step_corr"] > 0.97
    assert m["tiled_corr"] > m["noisy_corr"]  # a paired control in one run: the gap measured 0.035-0.153
    # A seam would show as columns or rows where the tiled detail jumps more than elsewhere: measured 1.46-1.81
    # (x, this picture the largest) and 1.27-1.57 (y). Tiles cut hard mid-overlap instead of blended give no
    # seam here either (1.48-1.68, 1.28-1.29): tiles on one feature grid compute the same texture.
    assert m["seam_x"] < 2.0 and m["seam_y"] < 2.0


def tiling_measures(net, picture: np.ndarray, seed: int = 3) -> dict[str, float]:
    """Tiles of 192 against one pass (384×256 makes 2×3 tiles): one step's correlation; four steps' correlation,
    and that of the whole dream of the picture with half a level of noise; the largest row and column jump of
    the tiled detail against the median jump."""
    params = DreamParams(seed=seed, octaves=1, steps=1, jitter=0, scale=1.0)
    corr = lambda a, b: np.corrcoef(a.ravel(), b.ravel())[0, 1]  # noqa: E731
    one_whole = dream(net, picture, params.replace(tile=1024)) - picture
    one_tiled = dream(net, picture, params.replace(tile=192)) - picture
    params = params.replace(steps=4)
    whole = dream(net, picture, params.replace(tile=1024)) - picture
    tiled = dream(net, picture, params.replace(tile=192)) - picture
    noise = np.random.default_rng(seed - 3).uniform(-0.5 / 255, 0.5 / 255, picture.shape).astype(np.float32)
    noisy_picture = (picture + noise).clip(0, 1)
    noisy = dream(net, noisy_picture, params.replace(tile=1024)) - noisy_picture
    jumps_x = np.abs(np.diff(tiled, axis=1)).mean(axis=(0, 2))
    jumps_y = np.abs(np.diff(tiled, axis=0)).mean(axis=(1, 2))
    return {"one_step_corr": float(corr(one_whole, one_tiled)), "tiled_corr": float(corr(whole, tiled)),
            "noisy_corr": float(corr(whole, noisy)), "seam_x": float(jumps_x.max() / np.median(jumps_x)),
            "seam_y": float(jumps_y.max() / np.median(jumps_y))}


def test_same_dream_relative_to_the_picture_at_two_resolutions(net):
    """The same picture at 192 and 384 pixels, with the feature scale following the size, dreams alike;
    a fixed feature scale (the naive way) gives the larger picture finer, different features."""
    following, fixed = two_resolution_correlations(net, cat_rgb(192, 128))
    # No jitter: 4 pictures × 1 and 2 threads: following 0.50-0.56, following / fixed 3.0-3.8 (the naive fixed
    # scale is the counter-case: its correlation is the "fixed" one, 0.14-0.17).
    assert following > 0.4 and following > 2 * fixed


def two_resolution_correlations(net, small: np.ndarray, seed: int = 1) -> tuple[float, float]:
    """A 192×128 picture's dream at scale 0.5 against its 384×256 enlargement's at scale 1 (following) and at 0.5
    (fixed), each brought to the small size."""
    large = np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((384, 256), Image.BICUBIC), np.float32) / 255
    params = DreamParams(seed=seed, octaves=2, steps=4, jitter=0)

    def detail_at_small_size(picture, scale):
        d = dream(net, picture, params.replace(scale=scale)) - picture
        return np.asarray(Image.fromarray(d.mean(2)).resize((192, 128), Image.BOX))

    reference = detail_at_small_size(small, 0.5)
    corr = lambda a, b: np.corrcoef(a.ravel(), b.ravel())[0, 1]  # noqa: E731
    following = corr(reference, detail_at_small_size(large, 1.0))
    fixed = corr(reference, detail_at_small_size(large, 0.5))
    return float(following), float(fixed)


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
