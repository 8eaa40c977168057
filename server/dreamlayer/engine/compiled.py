"""The network through ``torch.compile``, built once per bucket; opt-in, because compiling takes longer than a
one-off dream (tens of seconds per shape on a GPU, minutes on a CPU).

``DreamNet.features`` stops the forward pass by raising from a hook, which TorchDynamo cannot trace as one graph.
So the compiled path reads the layers from torchvision's feature extractor (an FX graph that ends at the deepest
wanted layer), with Lite0's TF-"same" convolutions kept as leaf modules (their padding depends on the input's
size, which FX cannot trace but Dynamo can). Each shape gets its own extractor and so its own compiled code: no
recompilation limit is reached however many buckets a server sees. Anything that fails to build or compile
falls back to ``DreamNet.features`` for that shape, with a warning.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Sequence

import torch
from torch import nn

from .models import DreamNet
from .steps import FeaturesFn

log = logging.getLogger("dreamlayer.engine")
_KEPT: weakref.WeakKeyDictionary[DreamNet, dict[str, FeaturesFn]] = weakref.WeakKeyDictionary()


def compiled_features(net: DreamNet, backend: str) -> FeaturesFn:
    """``features(image, layers)`` as ``net.features``, through a per-shape ``torch.compile`` build; kept per
    network and backend, so each shape compiles once per process."""
    kept = _KEPT.setdefault(net, {})
    if backend not in kept:
        kept[backend] = _per_shape(net, backend)
    return kept[backend]


def _per_shape(net: DreamNet, backend: str) -> FeaturesFn:
    builds: dict[tuple, Callable[[torch.Tensor], dict[str, torch.Tensor]] | None] = {}

    def features(image: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        key = (tuple(image.shape), tuple(layers))
        if key not in builds:
            builds[key] = _build(net, list(layers), backend)
        build = builds[key]
        if build is not None:
            try:
                return build(image)
            except Exception as error:  # noqa: BLE001 - compilers fail in many ways; the eager path is always right
                log.warning("torch.compile failed for %s (%s: %s); using the eager network", key[0], type(error).__name__, error)
                builds[key] = None
        return net.features(image, layers)

    return features


class _Normalized(nn.Module):
    """The network with its input normalisation inside, so the compiled graph starts at the picture itself."""

    def __init__(self, net: DreamNet):
        super().__init__()
        self.net, self.normalize = net.net, net.normalize

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(self.normalize(image))


def _build(net: DreamNet, layers: list[str], backend: str) -> Callable[[torch.Tensor], dict[str, torch.Tensor]] | None:
    try:
        from torchvision.models.feature_extraction import create_feature_extractor

        from .efficientnet_lite import SameConv2d

        nodes = {"net." + net.layer_info(layer).path: layer for layer in layers}
        extractor = create_feature_extractor(_Normalized(net), nodes, tracer_kwargs={"leaf_modules": [SameConv2d]})
        return torch.compile(extractor, backend=backend, dynamic=False, fullgraph=True)
    except Exception as error:  # noqa: BLE001
        log.warning("Could not prepare torch.compile (%s: %s); using the eager network", type(error).__name__, error)
        return None
