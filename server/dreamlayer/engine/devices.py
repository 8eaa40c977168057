"""Choosing where the arithmetic runs, and in what precision. The device is chosen once and passed in."""

from __future__ import annotations

import contextlib

import torch

from ..errors import InvalidParameter

# The largest square the network sees at once. Lite0 keeps roughly 1 GiB of fp32 activations for a 1024² tile up
# to block 10: fine for a laptop and for a 4 GiB GPU. Smaller tiles cost more in overlap (a 1024² view in 512²
# tiles computes 2.25× the pixels).
DEFAULT_TILE = 1024

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def pick_device(name: str | None = None) -> torch.device:
    """``None`` or ``"auto"``: CUDA, then Apple MPS, then the CPU."""
    if name in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InvalidParameter(f"Unknown device '{name}'. Use auto, cpu, cuda or mps.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InvalidParameter("No CUDA GPU is available here. Use --device cpu or leave it on auto.")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise InvalidParameter("Apple's MPS is not available here. Use --device cpu or leave it on auto.")
    return device


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision == "fp16" and device.type == "cpu":
        raise InvalidParameter("fp16 needs a GPU; on the CPU use bf16 or fp32.")
    return torch.autocast(device.type, dtype=_DTYPES[precision])
