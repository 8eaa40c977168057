"""How much device memory the network's backward pass keeps per pixel: measured, not guessed.

A small probe step counts the bytes autograd saves for the backward pass (``saved_tensors_hooks``), which is what
grows with the picture: about 1000 bytes a pixel for Lite0 up to block 10 in fp32, half that in bf16. The count
is the same on every device, so the tile policy can be tested on the CPU; it is taken once per network, layers
and precision and kept.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import torch

from .devices import autocast
from .models import DreamNet

# Two probe sizes: the difference of their counts is what grows with the picture (weights and their bf16
# copies, also saved, do not).
PROBE_SIDES = (192, 256)
_MEASURED: weakref.WeakKeyDictionary[DreamNet, dict[tuple, float]] = weakref.WeakKeyDictionary()


def activation_bytes_per_pixel(net: DreamNet, layers: Sequence[str], precision: str = "fp32") -> float:
    """Bytes autograd keeps per input pixel for reading ``layers`` of ``net`` in ``precision``."""
    known = _MEASURED.setdefault(net, {})
    key = (tuple(sorted(layers)), precision)
    if key not in known:
        small, large = (max(side, *(net.layer_info(layer).min_size for layer in layers)) for side in PROBE_SIDES)
        grown = _saved_bytes(net, list(layers), precision, large) - _saved_bytes(net, list(layers), precision, small)
        known[key] = max(0.0, grown / (large**2 - small**2))
    return known[key]


def _saved_bytes(net: DreamNet, layers: list[str], precision: str, side: int) -> int:
    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        # One storage is often saved by two operations (a convolution's input is the activation before it).
        storages[storage._cdata] = storage.nbytes()
        return tensor

    probe = torch.zeros((1, 3, side, side), device=net.device).requires_grad_(True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor), autocast(net.device, precision):
        net.features(probe, layers)
    return sum(storages.values())
