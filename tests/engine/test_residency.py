"""The full-resolution picture stays off the GPU: bands give the one-piece numbers, and a 16384² dream's device
memory is that of its 1024² view. No GPU here, so the device is PyTorch's "meta" device (shapes without data)
with a ledger of live tensors, and host↔device moves go through a recording ``Transfers``."""

from __future__ import annotations

import copy
import weakref

import numpy as np
import pytest
import torch
from dreamlayer.engine import dream
from dreamlayer.engine.models import DreamNet
from dreamlayer.engine.policy import EngineOptions
from dreamlayer.engine.residency import Residency, Transfers, _rows_of
from dreamlayer.engine.resize import resize
from dreamlayer.params import DreamParams
from dreamlayer.params import preset_params
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from ..conftest import cat_rgb

GiB = 2**30


class RecordingTransfers(Transfers):
    """Real transfers (host to host here), recording the size of every tensor sent to the device."""

    def __init__(self, device: torch.device):
        super().__init__(device)
        self.sent: list[int] = []

    def to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        self.sent.append(tensor.numel() * tensor.element_size())
        return super().to_device(tensor)


@pytest.mark.parametrize("size, target", [((301, 517), (97, 133)), ((97, 133), (301, 517)), ((300, 120), (150, 240))])
def test_shrinking_in_bands_gives_the_one_piece_numbers(size, target):
    picture = torch.rand((1, 3, *size))
    banded = Residency(Transfers(torch.device("cpu")), band_rows=37)
    assert torch.allclose(banded.shrink(picture, target), resize(picture, target), atol=1e-6)


def test_enlarging_rows_matches_interpolate():
    image = torch.rand((1, 3, 23, 40))
    whole = resize(image, (97, 40))
    rows = torch.cat([_rows_of(image, 97, slice(top, min(97, top + 10))) for top in range(0, 97, 10)], dim=-2)
    assert torch.allclose(rows, whole, atol=1e-6)


@pytest.mark.parametrize("preserve_colors", [False, True])
def test_finishing_in_bands_gives_the_one_piece_result(preserve_colors):
    picture, detail = torch.rand((1, 3, 150, 97)), 0.2 * torch.randn((1, 3, 41, 29))
    mask = torch.rand((1, 1, 150, 97))
    whole = Residency(Transfers(torch.device("cpu")), band_rows=150).finish(picture, detail, mask, preserve_colors)
    banded = Residency(Transfers(torch.device("cpu")), band_rows=16)
    assert torch.allclose(banded.finish(picture, detail, mask, preserve_colors), whole, atol=1e-6)


def test_a_gpu_dream_sends_only_bands_and_gives_the_same_picture(net):
    """The GPU policy on the CPU: the picture goes over in bands of at most band_bytes, never whole, and the
    dream is the one the CPU policy makes (same buckets here: 208×144 is its own bucket)."""
    picture = cat_rgb(200, 140)
    params = DreamParams(seed=7, octaves=2, steps=2, jitter=8, scale=2.0)
    band_bytes = 200 * 6 * 12 * 16  # 16 rows
    transfers = RecordingTransfers(net.device)
    on_gpu = dream(net, picture, params, options=EngineOptions(accelerator=True, band_bytes=band_bytes), transfers=transfers)
    on_cpu = dream(net, picture, params)
    assert isinstance(on_gpu, np.ndarray) and on_gpu.shape == picture.shape
    assert max(transfers.sent) <= 16 * 200 * 3 * 4 < picture.nbytes
    assert sum(transfers.sent) >= 2 * picture.nbytes  # shrunk once, blended once
    assert np.abs(on_gpu - on_cpu).max() < 1e-4  # float error: measured 3e-8-6e-8 over 3 seeds and 4 pictures, 1 and 2 threads


class DeviceLedger(TorchDispatchMode):
    """Live bytes of tensors on one device, by storage, and their peak: an allocator's view, without a GPU."""

    def __init__(self, device: str):
        super().__init__()
        self.device, self.live, self.current, self.peak, self.largest = device, {}, 0, 0, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for tensor in tree_leaves(out):
            if isinstance(tensor, torch.Tensor) and tensor.device.type == self.device:
                self._track(tensor)
        return out

    def _track(self, tensor: torch.Tensor) -> None:
        storage = tensor.untyped_storage()
        key = storage._cdata
        if key not in self.live:
            self.live[key] = [0, storage.nbytes()]
            self.current += storage.nbytes()
            self.peak, self.largest = max(self.peak, self.current), max(self.largest, storage.nbytes())
        self.live[key][0] += 1
        weakref.finalize(tensor, self._release, key)

    def _release(self, key: int) -> None:
        self.live[key][0] -= 1
        if self.live[key][0] == 0:
            self.current -= self.live.pop(key)[1]


class MetaTransfers(Transfers):
    """MOCK: there is no GPU; 'meta' tensors have shapes and no data, so results are not copied back."""

    def __init__(self):
        super().__init__(torch.device("meta"))
        self.sent: list[int] = []

    def to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        self.sent.append(tensor.numel() * tensor.element_size())
        return torch.empty(tensor.shape, device="meta")

    def to_host(self, target: torch.Tensor, tensor: torch.Tensor) -> None:
        assert target.shape == tensor.shape


def test_a_16384_square_default_dream_keeps_under_4_gib_on_the_device(net):
    """The issue's 16384² default dream took 9.05 GiB of GPU memory, three copies of the picture; here the
    device holds the 1024² view, its activations and bands of rows."""
    side = 16384
    meta_net = DreamNet(net.spec, copy.deepcopy(net.net).to("meta"), channels_last=False)
    picture = torch.zeros((3, 1, 1)).expand(3, side, side)  # a host picture that takes no memory
    params = preset_params("classic").replace(seed=0, steps=2)
    transfers, ledger = MetaTransfers(), DeviceLedger("meta")
    with ledger:
        out = dream(meta_net, picture, params, options=EngineOptions(accelerator=True, memory_budget=40 * GiB),
                    transfers=transfers)
    assert out.device.type == "cpu" and out.shape == picture.shape
    full = 3 * 4 * side * side  # 3 GiB
    # Bytes on the meta device, from shapes alone: no arithmetic, the same on every machine.
    assert ledger.largest < full / 8 and max(transfers.sent) < full / 8
    assert ledger.peak < 4 * GiB
    assert ledger.current < 0.5 * GiB  # what is still alive after the dream (activations freed)
