"""Live dreams in the engine: the look follows the brush (a stroke changes the dream near it only), an unchanged
picture is not dreamed again, and new settings start afresh. The real default model, at the CPU's live size."""

from __future__ import annotations

import numpy as np
import pytest

from dreamlayer.engine.live import CONTEXT, Box, FEATHER, MARGIN, changed_pixels, live_dream, part_to_dream, where_to_take_new
from dreamlayer.params import preset_params
from dreamlayer.params.live import LiveSettings, live_version
from dreamlayer.params.resolved import resolve_dream

from ..conftest import cat_rgb

SIDE = 1024
RED = (0.9, 0.15, 0.1)


def live_of(seed: int, side: int = SIDE):
    full = resolve_dream(preset_params().replace(seed=seed), side, side)
    return live_version(full, LiveSettings(), "cpu", (side, side), None)


def stroke(picture: np.ndarray, top: int, left: int, size: int) -> np.ndarray:
    painted = picture.copy()
    painted[top:top + size, left:left + size] = RED
    return painted


def distance_from(top: int, left: int, size: int, side: int) -> np.ndarray:
    """Each pixel's distance (in pixels, the larger of across and down) from the stroke's square."""
    yy, xx = np.mgrid[:side, :side]
    return np.maximum(np.maximum(left - xx, xx - (left + size - 1)), np.maximum(top - yy, yy - (top + size - 1))).clip(0)


@pytest.fixture(scope="module")
def cat_1024() -> np.ndarray:
    return cat_rgb(SIDE, SIDE)


@pytest.mark.parametrize(("seed", "size", "top", "left"), [(1, 16, 300, 600), (2, 32, 500, 300)])
def test_a_small_stroke_changes_the_live_dream_near_it_and_hardly_anywhere_else(net, cat_1024, seed, size, top, left):
    # The measure: beyond twice the stroke's size from it, the dream changes less than a tenth as much as
    # within that. Measured over the cat and bench/look-1000x700.jpg, seeds 1 and 2, strokes of 16, 32 and 64 px on
    # 1024²: at most 0.0032 (16 px strokes; none beyond 32 px), so the bound holds with a margin of 31 times.
    # Dreamed afresh rather than kept where nothing changed, the same strokes gave 0.29 to 0.51: the reason for keeping.
    live = live_of(seed)
    first = live_dream(net, cat_1024, live, None, "settings")
    after = live_dream(net, stroke(cat_1024, top, left, size), live, first.memory, "settings")
    change = np.abs(after.dreamed - first.dreamed).mean(axis=-1)
    distance = distance_from(top, left, size, SIDE)
    near, far = change[distance <= size].mean(), change[distance > 2 * size].mean()
    assert after.changed and near > 0.02, near  # the stroke's own live dream is new
    assert far < 0.1 * near, (far, near)


def test_a_change_over_most_of_the_picture_is_dreamed_whole_as_a_fresh_dream(net, cat_1024):
    live = live_of(3)
    first = live_dream(net, cat_1024, live, None, "settings")
    painted = stroke(cat_1024, 100, 100, 800)
    kept = live_dream(net, painted, live, first.memory, "settings").dreamed
    fresh = live_dream(net, painted, live, None, "settings").dreamed
    np.testing.assert_array_equal(kept[100:900, 100:900], fresh[100:900, 100:900])


def test_only_the_part_round_a_small_stroke_is_dreamed_again():
    changed = np.zeros((1024, 1024), bool)
    changed[500:532, 300:332] = True
    box = part_to_dream(changed, (384, 384))
    reach = (MARGIN + 2 * FEATHER + CONTEXT) * 1024 / 384  # picture pixels
    assert (box.top, box.left) == (int(500 - reach), int(300 - reach))
    assert (box.bottom, box.right) == (int(np.ceil(532 + reach)), int(np.ceil(332 + reach)))
    changed[0:1000, 0:600] = True
    assert part_to_dream(changed, (384, 384)) == (0, 1024, 0, 1024)  # most of it: the whole picture


def test_a_selection_cut_by_the_part_is_softened_only_along_the_picture_s_own_closed_sides():
    part = Box(0, 50, 20, 100)  # on the picture's top and right edges, inside it below and on the left
    assert part.open_sides((False, False, False, False), 80, 100) == (False, True, True, False)
    assert part.open_sides((True, False, False, True), 80, 100) == (True, True, True, True)


def test_an_unchanged_picture_is_not_dreamed_again(net, small_cat):
    live = live_of(4, side=160)
    first = live_dream(net, small_cat, live, None, "settings")
    nearly = small_cat + np.float32(0.4 / 255)  # under half an 8-bit level: a float layer's rounding
    again = live_dream(net, nearly, live, first.memory, "settings", cancelled=_never_asked)
    assert not again.changed and again.dreamed is first.dreamed and again.memory is first.memory


def test_other_settings_start_the_dream_afresh(net, small_cat):
    live = live_of(5, side=160)
    first = live_dream(net, small_cat, live, None, "settings")
    other = live_dream(net, small_cat, live, first.memory, "other settings")
    afresh = live_dream(net, small_cat, live, None, "other settings")
    assert other.changed
    np.testing.assert_array_equal(other.dreamed, afresh.dreamed)


def test_what_is_taken_anew_covers_the_change_and_its_margin_and_nothing_far_from_it():
    changed = np.zeros((768, 768), bool)
    changed[380:388, 380:388] = True
    take = where_to_take_new(changed, (384, 384))  # a network pixel is two picture pixels
    assert take.shape == (768, 768) and take[380:388, 380:388].min() == 1.0
    reach = 2 * (MARGIN + 2 * FEATHER)  # in picture pixels
    assert take[384, 380 - 2 * MARGIN + 2] == 1.0 and take[384, 380 - reach - 4] == 0.0
    assert take[:300].max() == 0.0 and take[500:].max() == 0.0
    assert 0 < take[384, 380 - 2 * MARGIN - FEATHER * 2] < 1  # feathered between


def test_a_change_is_more_than_half_an_8_bit_level():
    before = np.zeros((4, 4, 3), np.float32)
    after = before.copy()
    after[0, 0, 1], after[1, 1, 2] = 0.6 / 255, 0.4 / 255
    assert changed_pixels(before, after).tolist() == [[True, False, False, False]] + [[False] * 4] * 3


def _never_asked() -> bool:
    raise AssertionError("an unchanged picture ran a dream")
