"""How a dream uses a GPU, decided by pure functions and tested here on the CPU: tile or whole picture from a
memory budget, bands of full-resolution rows, graphs. (Buckets and the activation footprint have their own files;
the plan made from all of these is tested in test_render.py.)"""

from __future__ import annotations

from dreamlayer.engine.buckets import bucket_floor
from dreamlayer.engine.policy import (
    DEFAULT_TILE,
    activation_budget,
    band_rows,
    choose_tile,
    use_graphs,
)

GiB = 2**30


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
