"""Building the networks of ``dreamlayer.catalog`` and reading their layers in one forward pass, stopping early.

torchvision is imported only when one of its networks is built, so the default model (Lite0, embedded) costs no
torchvision import. Weights are loaded from disk and never downloaded, except by ``pull_model``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..catalog import DEFAULT_MODEL, LayerInfo, ModelInfo, get_model
from ..errors import ModelNotDownloaded, UnknownLayer
from .efficientnet_lite import EfficientNetLite0


def _torchvision(name: str, **options) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import torchvision.models

        return getattr(torchvision.models, name)(weights=None, **options)

    return build


_INCEPTION = {"aux_logits": True, "transform_input": False, "init_weights": False}
BUILDERS: dict[str, Callable[[], nn.Module]] = {
    "lite0": EfficientNetLite0,
    "googlenet": _torchvision("googlenet", **_INCEPTION),
    "inception_v3": _torchvision("inception_v3", **_INCEPTION),
    "vgg16": _torchvision("vgg16"),
    "vgg19": _torchvision("vgg19"),
    "resnet50": _torchvision("resnet50"),
}


class _StopForward(Exception):
    """Raised by a hook once the deepest wanted layer has run, so the rest of the net is skipped."""


class DreamNet:
    """A network in eval mode whose named layers can be read in one forward pass, stopping early."""

    def __init__(self, spec: ModelInfo, net: nn.Module, channels_last: bool | None = None):
        self.spec = spec
        self.net = net.eval().requires_grad_(False)
        param = next(net.parameters())
        # oneDNN runs these convolutions about 1.4× faster channels-last on the CPU (bench/RESULTS.md); on GPUs
        # it is measured by bench/gpu_check.py, and until then they keep PyTorch's default layout.
        if channels_last is None:
            channels_last = param.device.type == "cpu"
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self._modules = {name: net.get_submodule(info.path) for name, info in spec.layers.items()}
        self._order = list(spec.layers)  # the catalog lists layers in forward order
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
        """Activations of ``layers`` for an RGB batch in 0..1. Threads may call it at once: each call's hooks
        answer only to its own thread's forward pass."""
        wanted = [self.check_layer(layer) for layer in layers]
        deepest = max(wanted, key=self._order.index)
        found: dict[str, torch.Tensor] = {}
        caller = threading.get_ident()

        def grab(name: str):
            def hook(_module, _inputs, output):
                if threading.get_ident() != caller:
                    return  # another thread's pass through the same network (a ranking beside a dream)
                found[name] = output
                if name == deepest:
                    raise _StopForward

            return hook

        handles = [self._modules[name].register_forward_hook(grab(name)) for name in set(wanted)]
        try:
            self.net(self.normalize(image))
        except _StopForward:
            pass
        finally:
            for handle in handles:
                handle.remove()
        return found

    def normalize(self, image: torch.Tensor) -> torch.Tensor:
        """An RGB batch in 0..1 as the network takes it: its mean and spread, its memory layout."""
        return ((image - self._mean) / self._std).contiguous(memory_format=self.memory_format)

    def layer_info(self, layer: str) -> LayerInfo:
        return self.spec.layers[self.check_layer(layer)]


def load_model(name: str = DEFAULT_MODEL, device: torch.device | str = "cpu", channels_last: bool | None = None) -> DreamNet:
    """Build a model and load its weights from disk; never downloads. ``channels_last``: None picks per device."""
    spec = get_model(name)
    path = spec.weights_path()
    if not path.is_file():
        raise ModelNotDownloaded(
            f"The '{name}' model is not downloaded yet. Run `dreamlayer models pull {name}` once while online."
        )
    net = BUILDERS[spec.name]()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    fold_batchnorm(net.eval())
    dream_net = DreamNet(spec, net.to(device), channels_last)
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
    spec = get_model(name)
    if not spec.embedded and not spec.available():
        try:
            torch.hub.load_state_dict_from_url(spec.weights_url, progress=True, check_hash=True)
        except OSError as exc:  # URLError and friends
            raise ModelNotDownloaded(f"Could not download '{name}': {exc}. Check the internet connection.") from None
    return spec.weights_path()
