"""The DeepDream loop on the real default model, with small pictures so the suite stays fast on two cores; the
plan it makes for its device; and bench/gpu_check.py, which times the loop on a GPU, in its quick mode."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from dreamlayer.engine import dream
from dreamlayer.engine.color import luminance
from dreamlayer.engine.policy import DEFAULT_TILE, EngineOptions
from dreamlayer.engine.render import plan_dream
from dreamlayer.errors import Cancelled
from dreamlayer.params import DreamParams
from dreamlayer.params.resolved import resolve_dream

from ..conftest import REPO, cat_rgb

GiB = 2**30

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


@pytest.mark.parametrize("budget, whole", [(64 * GiB, True), (2 * GiB, False)])
def test_plan_follows_the_budget(net, budget, whole):
    resolved = resolve_dream(DreamParams(scale=1.0), 4096, 4096)
    plan = plan_dream(net, resolved, (4096, 4096), EngineOptions(accelerator=True, memory_budget=budget))
    assert plan.bucketed and (plan.tile >= 4096) == whole
    assert plan.band_rows < 4096  # a 4096² picture is blended in bands
    cpu = plan_dream(net, resolved, (4096, 4096), EngineOptions())
    assert (cpu.tile, cpu.bucketed, cpu.band_rows, cpu.graphs) == (DEFAULT_TILE, False, 4096, False)


def test_graphs_are_off_on_the_cpu_by_default(net):
    plan = plan_dream(net, resolve_dream(QUICK, 150, 100), (100, 150), EngineOptions())
    assert not plan.graphs and not plan.accelerator and not plan.bucketed


def test_gpu_check_runs_every_row_in_quick_mode():
    """bench/gpu_check.py in its quick mode (tiny sizes, on the CPU), so the GPU check cannot rot between rentals."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "server"), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, str(REPO / "bench" / "gpu_check.py"), "--quick", "--device", "cpu"],
                         capture_output=True, text=True, timeout=300, env=env, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert lines[0].startswith("date ") and "commit" in lines[0]
    rows = [line for line in lines if line.startswith("| ") and "n/a (quick)" in line]
    assert len(rows) == 10  # the eight rows, its first-dream row measured both ways, and zoom at two depths
    levers = [line for line in lines if line.startswith("| graphs") or line.startswith("| eager")]
    assert len(levers) >= 5
    assert "graph captures that failed: none" in run.stdout
