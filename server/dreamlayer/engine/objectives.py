"""What the dream maximises: a weighted sum of terms, each reading one layer of the network.

A term is the L2 energy of a layer (all of its channels, the N strongest, or chosen ones), or, with a guide image,
the similarity of each feature vector to its best match among the guide's (google/deepdream's ``objective_guide``).
With a guide both are kept, the guide's weighted by ``guide_weight``: each step's size is normalised, so only
the balance between terms can steer the dream (a guide term alone, at any weight, would dream the same).
Energies are summed over space rather than averaged, so a pixel's gradient does not depend on how the picture was
cut into tiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..params.resolved import ResolvedDream
from .models import DreamNet
from .resize import resize

# Channel strength is measured on a copy of the picture no larger than this, which is plenty to rank channels.
_RANKING_SIDE = 512


@dataclass(frozen=True)
class Term:
    layer: str
    weight: float
    channels: torch.Tensor | None = None  # indices, or None for the whole layer
    guide: torch.Tensor | None = None  # (C, M) guide feature vectors

    def value(self, activation: torch.Tensor) -> torch.Tensor:
        a = activation.float()
        if self.channels is not None:
            a = a.index_select(1, self.channels)
        if self.guide is None:
            return self.weight * a.pow(2).sum() / a.shape[1]
        x = a.flatten(2)[0]  # (C, N)
        best = (self.guide.T @ x).argmax(0)  # each position's closest guide feature
        return self.weight * (x * self.guide[:, best]).sum() / a.shape[1]


@dataclass(frozen=True)
class Objective:
    terms: tuple[Term, ...]

    @property
    def layers(self) -> list[str]:
        return list(dict.fromkeys(t.layer for t in self.terms))

    @property
    def static_key(self) -> tuple | None:
        """What identifies this objective when it holds no tensors (plain layer energies), so that a CUDA graph
        captured for it can be replayed for another dream; None when it depends on the picture or a guide."""
        if any(t.channels is not None or t.guide is not None for t in self.terms):
            return None
        return tuple((t.layer, t.weight) for t in self.terms)

    def __call__(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return sum(t.value(features[t.layer]) for t in self.terms)


def build_objective(net: DreamNet, resolved: ResolvedDream, image: torch.Tensor, guide: torch.Tensor | None = None) -> Objective:
    """Turn the resolved dream (and the picture, for strongest channels; the guide, if any) into an Objective."""
    params, layers, choice = resolved.params, resolved.layers, resolved.channels
    names = [net.check_layer(name) for name, _ in layers]
    with torch.no_grad():
        probe = _features_at_most(net, image, names, _RANKING_SIDE) if choice and choice.strongest else {}
        guide_features = _features_at_most(net, guide, names, _RANKING_SIDE) if guide is not None else {}
    terms = []
    for name, weight in layers:
        channels = None
        if choice is not None:
            channels = _pick_channels(net, name, choice.indices, choice.strongest, probe.get(name))
        terms.append(Term(name, weight, channels))
        if guide is not None and params.guide_weight > 0:
            g = guide_features[name].float()[0]
            if channels is not None:
                g = g.index_select(0, channels)
            terms.append(Term(name, weight * params.guide_weight, channels, g.flatten(1)))
    return Objective(tuple(terms))


def ranking_size(net: DreamNet, size: tuple[int, int], layers: list[str], side: int = _RANKING_SIDE) -> tuple[int, int]:
    """The size a picture is looked at to rank channels or read a guide: at most ``side``, at least the layer's."""
    h, w = size
    factor = min(1.0, side / max(h, w))
    min_side = max(net.layer_info(name).min_size for name in layers)
    return max(min_side, round(h * factor)), max(min_side, round(w * factor))


def _features_at_most(net: DreamNet, image: torch.Tensor, layers: list[str], side: int) -> dict[str, torch.Tensor]:
    size = ranking_size(net, tuple(image.shape[-2:]), layers, side)
    return net.features(resize(image.to(net.device), size), layers)


def _pick_channels(net: DreamNet, layer: str, indices: tuple[int, ...], strongest: int, probe: torch.Tensor | None) -> torch.Tensor:
    if strongest:
        # "Find the kernel that fires hardest and make it fire harder": rank by mean activation on the picture.
        ranking = probe.float().mean(dim=(0, 2, 3)).argsort(descending=True)
        return ranking[:strongest].to(net.device)
    return torch.tensor(indices, device=net.device)


