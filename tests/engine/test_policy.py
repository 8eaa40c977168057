"""How a dream uses a GPU, decided by pure functions and tested here on the CPU: buckets, tile or whole picture
from a memory budget, bands of full-resolution rows, graphs, and the measured activation footprint."""

from __future__ import annotations

import random

import pytest
from dreamlayer.engine.buckets import (
    bucket_floor,
    bucket_shapes,
    bucket_side,
    padded_side,
)
from dreamlayer.engine.footprint import activation_bytes_per_pixel
from dreamlayer.engine.policy import (
    DEFAULT_TILE,
    EngineOptions,
    activation_budget,
    band_rows,
    choose_tile,
    use_graphs,
)
from dreamlayer.engine.render import plan_dream
from dreamlayer.params.resolved import resolve_dream
from dreamlayer.params import DreamParams
from dreamlayer.params import preset_params

GiB = 2**30


def test_buckets_round_up_by_at_most_an_eighth_onto_the_layer_grid():
    for length in range(64, 5000):
        bucket = bucket_side(length, 16)
        assert length <= bucket <= max(length * 1.125, length + 15) + 16 and bucket % 16 == 0
        assert bucket_side(bucket, 16) == bucket  # a bucket is its own bucket
    assert [bucket_side(n, 16) for n in (373, 522, 731, 1000, 1024, 1025)] == [384, 576, 768, 1024, 1024, 1152]
    assert padded_side(731, 16, bucketed=False) == 736  # the CPU only aligns


def test_pictures_of_any_size_fall_into_few_buckets():
    """Default dreams of 3000 pictures of random sizes, 512 to 8192 a side: their octaves take over 4000
    distinct shapes, which fall into under 200 buckets."""
    params, rng = preset_params("classic"), random.Random(0)
    sizes, buckets = set(), set()
    for _ in range(3000):
        width, height = rng.randint(512, 8192), rng.randint(512, 8192)
        octaves = resolve_dream(params, width, height).octaves
        sizes.update(octaves)
        buckets.update(bucket_shapes(octaves, 16))
    assert len(sizes) > 4000 and len(buckets) < 200


def test_bucket_floor_is_the_largest_bucket_that_fits():
    for length in range(8, 5000, 7):
        below = bucket_floor(length)
        assert below <= length and bucket_side(below) == below and bucket_side(below + 1) > length


def test_the_budget_is_a_share_of_free_memory_capped_by_the_server():
    assert activation_budget(free_bytes=10 * GiB, cap_bytes=None) == int(8.5 * GiB)
    assert activation_budget(free_bytes=10 * GiB, cap_bytes=4 * GiB) == 4 * GiB
    assert activation_budget(free_bytes=2 * GiB, cap_bytes=4 * GiB) == int(1.7 * GiB)
    assert activation_budget(free_bytes=None, cap_bytes=None) == 4 * GiB


def test_a_gpu_dreams_the_whole_picture_when_it_fits_and_the_largest_tile_otherwise():
    per_pixel = 1300.0  # Lite0 block 10, fp32, with margins
    assert choose_tile(0, True, (1024, 768), per_pixel, 4 * GiB, 16) == 1024  # whole
    assert choose_tile(0, True, (4096, 4096), per_pixel, 70 * GiB, 16) == 4096  # an H100 holds 4096² whole
    tile = choose_tile(0, True, (4096, 4096), per_pixel, 4 * GiB, 16)
    assert 1024 <= tile < 4096 and tile * tile * per_pixel <= 4 * GiB and tile % 16 == 0 and bucket_floor(tile) == tile
    assert choose_tile(0, True, (4096, 4096), per_pixel, 1, 16) == 256  # never below the smallest useful tile
    assert choose_tile(0, False, (4096, 4096), per_pixel, 70 * GiB, 16) == DEFAULT_TILE  # the CPU keeps its tiles
    assert choose_tile(512, True, (4096, 4096), per_pixel, 70 * GiB, 16) == 512  # an artist's choice wins


def test_bands_bound_full_resolution_memory_on_a_gpu_only():
    assert band_rows(16384, 16384, 512 * 2**20, accelerator=False) == 16384
    rows = band_rows(16384, 16384, 512 * 2**20, accelerator=True)
    assert 16 <= rows < 16384 and rows * 16384 * 3 * 4 <= 512 * 2**20
    assert band_rows(700, 1000, 512 * 2**20, accelerator=True) == 700  # small pictures in one piece


def test_graphs_only_where_cuda_has_them_unless_turned_off():
    assert use_graphs(None, "cuda", True) and not use_graphs(False, "cuda", True)
    assert not use_graphs(None, "cpu", False) and not use_graphs(None, "mps", False)
    assert not use_graphs(True, "cuda", False)  # an old torch without CUDA graphs


def test_activation_footprint_is_measured_per_pixel_and_precision(net):
    fp32 = activation_bytes_per_pixel(net, ["block10"], "fp32")
    assert 500 < fp32 < 2000  # the H200 measured 15.5 GiB for a whole 4096² picture: ~990 bytes a pixel
    # Byte counts of the tensors autograd saves, from their shapes and dtypes: the same on every machine and
    # thread count, so these bounds are not arithmetic margins (bf16 halves every float tensor: 0.5).
    assert 0.4 < activation_bytes_per_pixel(net, ["block10"], "bf16") / fp32 < 0.6
    assert activation_bytes_per_pixel(net, ["block4"], "fp32") < fp32  # a shallower layer keeps less


@pytest.mark.parametrize("budget, whole", [(64 * GiB, True), (2 * GiB, False)])
def test_plan_follows_the_budget(net, budget, whole):
    resolved = resolve_dream(DreamParams(scale=1.0), 4096, 4096)
    plan = plan_dream(net, resolved, (4096, 4096), EngineOptions(accelerator=True, memory_budget=budget))
    assert plan.bucketed and (plan.tile >= 4096) == whole
    assert plan.band_rows < 4096  # a 4096² picture is blended in bands
    cpu = plan_dream(net, resolved, (4096, 4096), EngineOptions())
    assert (cpu.tile, cpu.bucketed, cpu.band_rows, cpu.graphs) == (DEFAULT_TILE, False, 4096, False)
