"""Choosing where the arithmetic runs, and in what precision; what the device can tell about itself.

The device is chosen once and passed in. cuDNN's kernel search (``torch.backends.cudnn.benchmark``) stays off
here: the first dream of a process would pay a search of many seconds (15.6 s measured on an H200), which a
one-off ``dreamlayer dream`` never earns back. The server turns it on in its start-up warm-up, where it is paid
once before the first artist's dream (server/dreaming.py).
"""

from __future__ import annotations

import contextlib

import torch

from ..errors import InvalidParameter
from .policy import DEFAULT_TILE

__all__ = ["DEFAULT_TILE", "autocast", "enable_kernel_search", "free_memory", "graphs_available", "pick_device"]

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def pick_device(name: str | None = None, precision: str | None = None) -> torch.device:
    """``None`` or ``"auto"``: CUDA, then Apple MPS, then the CPU. With a ``precision``, a device that cannot run it
    is refused here, before any model loads."""
    device = _device(name)
    if precision is not None:
        check_precision(device.type, precision)
    return device


def _device(name: str | None) -> torch.device:
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


def precisions(device_type: str) -> tuple[str, ...]:
    """The precisions a device runs: fp16 needs a GPU (the CPU's autocast has no fp16)."""
    return tuple(name for name in _DTYPES if name != "fp16" or device_type not in ("cpu", "meta"))


def check_precision(device_type: str, precision: str) -> None:
    """Refuse a precision the device cannot run, before any work."""
    if precision not in precisions(device_type):
        raise InvalidParameter("fp16 needs a GPU; on the CPU use bf16 or fp32.")


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """Mixed precision for the network. Its weight cache is off: each step casts once anyway, and a CUDA graph
    must not capture casts cached outside it."""
    check_precision(device.type, precision)
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=_DTYPES[precision], cache_enabled=False)


def free_memory(device: torch.device) -> int | None:
    """Bytes a dream could still allocate on a CUDA device (free on the card plus what PyTorch holds unused);
    None for devices that do not say."""
    if device.type != "cuda":
        return None
    free, _total = torch.cuda.mem_get_info(device)
    return free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)


def graphs_available(device: torch.device) -> bool:
    return device.type == "cuda" and hasattr(torch.cuda, "CUDAGraph") and hasattr(torch.cuda, "graph")


def enable_kernel_search(device: torch.device) -> bool:
    """Let cuDNN time its kernels for each new shape (``cudnn.benchmark``); for a long-lived server only."""
    if device.type != "cuda":
        return False
    torch.backends.cudnn.benchmark = True
    return True
