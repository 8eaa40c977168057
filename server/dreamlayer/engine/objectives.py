"""What the dream maximises: a weighted sum of terms, each reading one layer of the network.

A term is the L2 energy of a layer (all of its channels, or the N strongest), the summed activation of chosen
channels, or, with a guide image, the similarity of each feature vector to its best match among the guide's
(google/deepdream's ``objective_guide``).
With a guide both are kept, the guide's weighted by ``guide_weight``: each step's size is normalised, so only
the balance between terms can steer the dream (a guide term alone, at any weight, would dream the same).
Chosen channels (``channels=3,17``) are dreamed as the channel atlas draws them: their activation is raised, signed
(lucent's ``channel`` objective), so a dream grows what the channel's picture shows. The L2 energy would also
deepen a channel's negative responses, which in Lite0's linear block outputs are as common as positive ones.
Energies are summed over space rather than averaged, so a pixel's gradient does not depend on how the picture was
cut into tiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..params.resolved import ResolvedDream
from .models import DreamNet
from .ranking import features_at_most, mean_activations, strongest_first


@dataclass(frozen=True)
class Term:
    layer: str
    weight: float
    channels: torch.Tensor | None = None  # indices, or None for the whole layer
    guide: torch.Tensor | None = None  # (C, M) guide feature vectors
    signed: bool = False  # raise the activation itself (chosen channels), not its square

    def value(self, activation: torch.Tensor) -> torch.Tensor:
        a = activation.float()
        if self.channels is not None:
            a = a.index_select(1, self.channels)
        if self.guide is None:
            return self.weight * (a.sum() if self.signed else a.pow(2).sum()) / a.shape[1]
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
        probe = features_at_most(net, image, names) if choice and choice.strongest else {}
        guide_features = features_at_most(net, guide, names) if guide is not None else {}
    terms = []
    for name, weight in layers:
        channels = None
        if choice is not None:
            channels = _pick_channels(net, name, choice.indices, choice.strongest, probe.get(name))
        terms.append(Term(name, weight, channels, signed=choice is not None and not choice.strongest))
        if guide is not None and params.guide_weight > 0:
            g = guide_features[name].float()[0]
            if channels is not None:
                g = g.index_select(0, channels)
            terms.append(Term(name, weight * params.guide_weight, channels, g.flatten(1)))
    return Objective(tuple(terms))


def _pick_channels(net: DreamNet, layer: str, indices: tuple[int, ...], strongest: int, probe: torch.Tensor | None) -> torch.Tensor:
    if strongest:
        # "Find the kernel that fires hardest and make it fire harder": rank by mean activation on the picture.
        return strongest_first(mean_activations(probe))[:strongest].to(net.device)
    return torch.tensor(indices, device=net.device)


