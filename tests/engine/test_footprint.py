"""The activation footprint: bytes autograd keeps per input pixel, counted from the tensors it saves."""

from __future__ import annotations

from dreamlayer.engine.footprint import activation_bytes_per_pixel


def test_activation_footprint_is_measured_per_pixel_and_precision(net):
    fp32 = activation_bytes_per_pixel(net, ["block10"], "fp32")
    assert 500 < fp32 < 2000  # the H200 measured 15.5 GiB for a whole 4096² picture: ~990 bytes a pixel
    # Byte counts of the tensors autograd saves, from their shapes and dtypes: the same on every machine and
    # thread count, so these bounds are not arithmetic margins (bf16 halves every float tensor: 0.5).
    assert 0.4 < activation_bytes_per_pixel(net, ["block10"], "bf16") / fp32 < 0.6
    assert activation_bytes_per_pixel(net, ["block4"], "fp32") < fp32  # a shallower layer keeps less
