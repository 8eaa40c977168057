"""Where the arithmetic runs and in what precision: a device and a precision it cannot run are refused before any
model loads, and what the CPU can tell about itself."""

from __future__ import annotations

import pytest
import torch

from dreamlayer.engine.devices import (
    autocast,
    check_precision,
    enable_kernel_search,
    free_memory,
    graphs_available,
    pick_device,
    precisions,
)
from dreamlayer.errors import InvalidParameter

CPU = torch.device("cpu")


def test_a_named_device_is_taken_and_an_unknown_one_refused_by_name():
    assert pick_device("cpu") == CPU
    with pytest.raises(InvalidParameter, match="Unknown device 'toaster'. Use auto, cpu, cuda or mps."):
        pick_device("toaster")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_is_refused_where_there_is_none():
    with pytest.raises(InvalidParameter, match="No CUDA GPU is available here"):
        pick_device("cuda")


def test_fp16_needs_a_gpu():
    assert precisions("cpu") == ("fp32", "bf16")
    assert precisions("cuda") == ("fp32", "bf16", "fp16")
    check_precision("cpu", "bf16")
    with pytest.raises(InvalidParameter, match="fp16 needs a GPU"):
        check_precision("cpu", "fp16")
    with pytest.raises(InvalidParameter, match="fp16 needs a GPU"):
        pick_device("cpu", "fp16")  # refused with the device, before any model loads


def test_autocast_runs_the_network_in_the_precision_asked_for():
    a, b = torch.rand(4, 4), torch.rand(4, 4)
    with autocast(CPU, "fp32"):
        assert (a @ b).dtype == torch.float32
    with autocast(CPU, "bf16"):
        assert (a @ b).dtype == torch.bfloat16
    with pytest.raises(InvalidParameter):
        autocast(CPU, "fp16")


def test_the_cpu_has_no_free_memory_figure_no_graphs_and_no_kernel_search():
    before = torch.backends.cudnn.benchmark
    assert free_memory(CPU) is None
    assert not graphs_available(CPU)
    assert enable_kernel_search(CPU) is False and torch.backends.cudnn.benchmark == before
