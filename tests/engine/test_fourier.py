"""The picture a feature visualisation optimises: decorrelated Fourier coefficients, seen through random transforms."""

from __future__ import annotations

import torch

from dreamlayer.engine.fourier import FourierImage, RandomTransforms


def test_a_fourier_image_is_a_batch_of_pictures_in_range_each_from_its_own_seed():
    image = FourierImage([1, 2, 1], 48)
    pictures = image()
    assert pictures.shape == (3, 3, 48, 48)
    assert 0 < pictures.min() and pictures.max() < 1
    assert torch.equal(pictures[0], pictures[2])  # the same seed starts from the same picture, wherever it sits
    assert not torch.equal(pictures[0], pictures[1])
    # The start is near grey with faint colour: lucent's spread, so the optimiser begins from a quiet picture.
    assert (pictures - 0.5).abs().max() < 0.1


def test_each_frequency_is_scaled_by_one_over_it_so_low_ones_move_as_easily_as_high_ones():
    size = 64
    scale = FourierImage([7], size).scale[0, 0, :, :, 0]
    assert scale[0, 0] == size  # the constant term: 1 / (1 / size), the lowest frequency counted
    assert torch.isclose(scale[0, 1], torch.tensor(float(size)))  # one cycle across the picture
    assert torch.isclose(scale[0, 2], torch.tensor(size / 2.0))  # two cycles: half as much
    assert torch.isclose(scale[size // 2, size // 2], torch.tensor(1 / (0.5 * 2**0.5)))  # the finest, corner


def test_transforms_keep_the_size_plus_padding_and_are_drawn_per_picture_from_its_seed():
    pictures = torch.rand(3, 3, 40, 40)
    first, again = RandomTransforms([5, 6, 5]), RandomTransforms([5, 6, 5])
    seen = first(pictures[[0, 1, 0]])
    assert seen.shape == (3, 3, 40 + 2 * RandomTransforms.PAD, 40 + 2 * RandomTransforms.PAD)
    assert torch.equal(seen, again(pictures[[0, 1, 0]]))  # the same seeds see the same moves
    assert torch.allclose(seen[0], seen[2])  # one seed: one move, whatever else is in the batch
    assert not torch.allclose(first(pictures)[0], seen[0])  # and the next step moves it otherwise
