"""The gradient step: padding that leaves no trace, and the CUDA-graph cache's plumbing and fallbacks (the opt-in
compiled network: test_compiled.py). There is no GPU here: graphs are captured by a stand-in (named MOCK) that
replays the step from the static buffers into one static output, as a CUDA graph does; the real capture only runs
on CUDA."""

from __future__ import annotations

import numpy as np
import torch
from dreamlayer.engine import dream, render
from dreamlayer.engine.objectives import build_objective
from dreamlayer.params.resolved import resolve_dream
from dreamlayer.engine.policy import EngineOptions
from dreamlayer.engine.steps import (
    _CACHES,
    WARMUP_RUNS,
    GradientStep,
    GraphCache,
    gradient_function,
)
from dreamlayer.params import DreamParams

from ..conftest import cat_rgb

PARAMS = DreamParams(seed=5, octaves=2, steps=4, jitter=8, scale=1.0, step_size=3.0)


def batch(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb).permute(2, 0, 1)[None]


def mock_capture(calls: list):
    """MOCK of steps.capture_cuda: 'replay' recomputes from the static inputs into one reused output buffer."""

    def capture(fn, patch, valid, pool, stream):
        calls.append(tuple(patch.shape))
        outputs: list = []  # made like the first result, as a graph's output has the layout its capture produced

        def replay():
            result = fn(patch, valid)
            if not outputs:
                outputs.append(torch.empty_like(result))
            return outputs[0].copy_(result)

        return replay

    return capture


def energy(net, rgb: np.ndarray) -> float:
    with torch.no_grad():
        return float(net.features(batch(rgb), ["block10"])["block10"].pow(2).mean())


def edge_pull(grad: torch.Tensor) -> tuple[float, float]:
    """How strong the gradient is in the bottom and right 16-pixel bands, against the inside."""
    g = grad.abs().mean(1)[0]
    inside = g[16:-16, 16:-16].mean()
    return float(g[-16:].mean() / inside), float(g[:, -16:].mean() / inside)


def padded_edge_pulls(net, rgb: np.ndarray) -> tuple[tuple[float, float], ...]:
    """edge_pull of the picture alone, padded with white and masked, and padded unmasked (the counter-case)."""
    height, width = rgb.shape[:2]
    picture = batch(rgb)
    gradient = gradient_function(net, build_objective(net, resolve_dream(PARAMS, *picture.shape[:-3:-1]), picture), "fp32")
    padded = torch.nn.functional.pad(picture, (0, 32, 0, 32), mode="constant", value=1.0)
    alone = edge_pull(gradient(picture, None))
    masked = edge_pull(gradient(padded, (height, width))[..., :height, :width])
    unmasked = edge_pull(gradient(padded, None)[..., :height, :width])
    return alone, masked, unmasked


def test_padding_is_masked_out_of_the_objective(net):
    """White padding draws strong features next to the picture's edge; masked out of the objective, they no
    longer pull on the edge, which then gets no more gradient than the unpadded picture's edge."""
    # Over 4 pictures at 160×96 and 200×120 (deterministic: no seed, float error only), bench/test_margins.py:
    # unmasked / masked 1.44-1.91; the share of the white padding's extra pull left after masking,
    # (m - a) / (u - a), -0.97..0.18 (no masking: 1). "Masked no more than alone" (m < 1.1 a, the old bound)
    # held on this picture only: 0.71-1.33 over the others, as white context still reaches the edge's features.
    for a, m, u in zip(*padded_edge_pulls(net, cat_rgb(160, 96))):
        assert u > 1.2 * m
        assert m < (a + u) / 2  # masking removes at least half the padding's pull


def bucket_padding_measures(net, picture: np.ndarray, seeds: tuple[int, ...] = (5, 6, 7)) -> dict[str, float]:
    """The bucketed (GPU-like) dream against the CPU's, on one picture: one step's correlation inside; the
    bucketed dream's energy gain over the CPU dream's, a ratio, its mean over the seeds; and the largest change of
    the bottom and right 10-pixel bands against the inside's. bench/test_margins.py runs it over seeds and
    pictures."""
    height, width = picture.shape[:2]
    step = DreamParams(seed=3, octaves=1, steps=1, jitter=0, scale=1.0)
    gpu_like = EngineOptions(accelerator=True, graphs=False)
    one_cpu, one_gpu = dream(net, picture, step) - picture, dream(net, picture, step, options=gpu_like) - picture
    base = energy(net, picture)
    ratios, bottom, right = [], [], []
    for seed in seeds:
        bucketed = dream(net, picture, PARAMS.replace(seed=seed), options=gpu_like)
        aligned = dream(net, picture, PARAMS.replace(seed=seed))
        ratios.append((energy(net, bucketed) - base) / (energy(net, aligned) - base))
        change = np.abs(bucketed - picture).mean(axis=2)
        inside = change[height // 4:3 * height // 4, width // 4:3 * width // 4].mean()
        bottom.append(change[-10:].mean() / inside)
        right.append(change[:, -10:].mean() / inside)
    return {
        "one_step_corr": float(np.corrcoef(one_cpu[:-32, :-32].ravel(), one_gpu[:-32, :-32].ravel())[0, 1]),
        "gain_ratio": float(np.mean(ratios)), "bottom_edge": float(max(bottom)), "right_edge": float(max(right)),
    }


def test_bucket_padding_does_not_change_the_dream(net):
    """300×180 pads to 320×192 on a GPU (buckets) and to 304×192 on the CPU: one step agrees closely inside
    (the padding is context only for the edge), a dream gains the same energy, and the bottom and right edges
    change no more than the inside.

    Gradient ascent is chaotic: one dream's gain moves by a few per cent with the last bits of its arithmetic
    (the thread count, the machine), whichever policy makes it. So the gains are compared as the mean of three
    seeds' ratios, and the fine check is the one step, which has no chaos to grow."""
    m = bucket_padding_measures(net, cat_rgb(300, 180))
    # Margins from bench/test_margins.py (bench/RESULTS.md, issue 19), over 4 pictures, 5 seed triples and
    # OMP_NUM_THREADS=1 and 2. The counter-case there (the bucket's extra padding white and not masked out of
    # the objective) gives 0.959-0.980 and a mean gain ratio of -0.047..-0.036.
    assert m["one_step_corr"] > 0.985  # measured 0.994-0.999 (no jitter, one step: float error only)
    # The mean of three seeds' ratios: measured |ratio - 1| 0.003-0.022; one seed's alone spread to 0.043 here
    # and 0.050 on another machine (this test's old 0.05 bound failed there).
    assert abs(m["gain_ratio"] - 1) < 0.04
    assert m["bottom_edge"] < 1.3 and m["right_edge"] < 1.3  # measured 0.74-0.90 and 0.62-0.98


def test_graph_cache_warms_up_captures_and_replays_the_same_gradients(net):
    picture = batch(cat_rgb(128, 96))
    objective = build_objective(net, resolve_dream(PARAMS, *picture.shape[:-3:-1]), picture)
    calls: list = []
    graphed = GradientStep(net, objective, "fp32", GraphCache(capture=mock_capture(calls), cuda=False))
    eager = GradientStep(net, objective, "fp32")
    patches = [picture + 0.01 * k for k in range(WARMUP_RUNS + 3)]
    grads = [graphed(p, (96, 128)).clone() for p in patches]
    assert calls == [(1, 3, 96, 128)]  # captured once, after the warm-up runs
    for patch, grad in zip(patches, grads):
        assert torch.equal(grad, eager(patch, (96, 128)))
    padded = torch.nn.functional.pad(picture, (0, 16, 0, 16), mode="reflect")
    for _ in range(WARMUP_RUNS + 1):
        again = graphed(padded, (96, 128))
    assert torch.equal(again, eager(padded, (96, 128)))  # the valid size reaches the graph's static input


def test_a_failed_capture_leaves_the_shape_eager(net, caplog):
    picture = batch(cat_rgb(128, 96))
    objective = build_objective(net, resolve_dream(PARAMS, *picture.shape[:-3:-1]), picture)

    def failing(*_args):
        raise RuntimeError("operation not permitted when stream is capturing")

    cache = GraphCache(capture=failing, cuda=False)
    graphed, eager = GradientStep(net, objective, "fp32", cache), GradientStep(net, objective, "fp32")
    for _ in range(WARMUP_RUNS + 3):
        assert torch.equal(graphed(picture, (96, 128)), eager(picture, (96, 128)))
    assert len(cache.failures) == 1 and "stream is capturing" in caplog.text


def test_picture_dependent_objectives_are_not_graphed(net):
    picture = batch(cat_rgb(128, 96))
    calls: list = []
    objective = build_objective(net, resolve_dream(PARAMS.replace(channels="strongest:3"), *picture.shape[:-3:-1]), picture)
    step = GradientStep(net, objective, "fp32", GraphCache(capture=mock_capture(calls), cuda=False))
    for _ in range(WARMUP_RUNS + 2):
        step(picture, (96, 128))
    assert objective.static_key is None and calls == []


def test_a_dream_through_the_graph_path_is_the_eager_dream(net, monkeypatch):
    """MOCK graphs in the real dream loop: the same picture, bit for bit, and every shape captured once."""
    picture = cat_rgb(150, 100)
    calls: list = []
    monkeypatch.setattr(render, "graphs_available", lambda _device: True)
    monkeypatch.setitem(_CACHES, net, GraphCache(capture=mock_capture(calls), cuda=False))
    options = EngineOptions(accelerator=True, graphs=True)
    graphed = dream(net, picture, PARAMS, options=options)
    eager = dream(net, picture, PARAMS, options=EngineOptions(accelerator=True, graphs=False))
    assert np.array_equal(graphed, eager)
    assert sorted(calls) == [(1, 3, 80, 112), (1, 3, 112, 160)]
