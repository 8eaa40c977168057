"""EfficientNet-Lite0 as written here: with the embedded ImageNet weights a working classifier; TensorFlow's "same"
padding; the blocks that keep their input."""

from __future__ import annotations

import torch

from dreamlayer.engine.efficientnet_lite import EfficientNetLite0, SameConv2d

from ..conftest import cat_rgb


IMAGENET_CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


def test_embedded_weights_classify_a_cat_as_a_cat(net):
    x = torch.from_numpy(cat_rgb(224, 224)).permute(2, 0, 1)[None]
    with torch.no_grad():
        probs = net.net((x - 0.5) / 0.5).softmax(1)[0]
    assert probs[list(IMAGENET_CATS)].sum() > 0.8  # this picture and two crops of it, 1 and 2 threads: 0.88-0.96 (bench/test_margins.py)
    assert probs.argmax().item() in IMAGENET_CATS


def test_same_padding_pads_as_tensorflow_does_more_at_the_bottom_and_right():
    conv = SameConv2d(1, 1, 3, stride=2, bias=False)
    torch.nn.init.ones_(conv.weight)
    for side in (7, 8, 9, 10):
        assert conv(torch.ones(1, 1, side, side)).shape[-1] == -(-side // 2)  # ceil(side / stride), as "same" says
    with torch.no_grad():
        out = conv(torch.ones(1, 1, 8, 8))[0, 0]
    # 8 pixels, 3-pixel kernel, stride 2: one pixel of padding in all, after the picture. The first window lies
    # wholly inside (9 ones), the last one half in the padding (4); symmetric padding would give 4 and 9.
    assert (out[0, 0].item(), out[-1, -1].item()) == (9.0, 4.0)


def test_a_block_keeps_its_input_only_where_its_shape_allows():
    kept = [block.has_skip for block in EfficientNetLite0()._blocks]
    assert len(kept) == 16 and kept.count(True) == 9  # the blocks that neither stride nor change their channels
