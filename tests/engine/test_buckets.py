"""Work sizes rounded up to few buckets, so that a GPU sees few distinct shapes; the CPU only aligns."""

from __future__ import annotations

import random

from dreamlayer.engine.buckets import bucket_floor, bucket_shapes, bucket_side, padded_side
from dreamlayer.params import preset_params
from dreamlayer.params.resolved import resolve_dream


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
