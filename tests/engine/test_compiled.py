"""The opt-in compiled network: the eager gradient through torch.compile, and the eager network when compiling
fails."""

from __future__ import annotations

import torch

from dreamlayer.engine.compiled import compiled_features
from dreamlayer.engine.objectives import build_objective
from dreamlayer.engine.steps import GradientStep
from dreamlayer.params.resolved import resolve_dream

from ..conftest import cat_rgb
from .test_steps import PARAMS, batch


def test_compiled_network_gives_the_eager_gradient(net, caplog):
    """torch.compile traces the network as one graph (fullgraph, or it falls back with a warning); the 'eager'
    backend keeps this test quick."""
    picture = batch(cat_rgb(96, 64))
    objective = build_objective(net, resolve_dream(PARAMS, *picture.shape[:-3:-1]), picture)
    compiled = GradientStep(net, objective, "fp32", features=compiled_features(net, "eager"), variant="eager-compiled")
    assert torch.allclose(compiled(picture, (64, 96)), GradientStep(net, objective, "fp32")(picture, (64, 96)), atol=1e-6)
    assert "eager network" not in caplog.text


def test_a_failing_compiler_falls_back_to_the_eager_network(net, caplog):
    picture = batch(cat_rgb(96, 64))
    objective = build_objective(net, resolve_dream(PARAMS, *picture.shape[:-3:-1]), picture)

    def broken_backend(graph_module, example_inputs):
        raise RuntimeError("no compiler here")

    compiled = GradientStep(net, objective, "fp32", features=compiled_features(net, broken_backend))
    assert torch.equal(compiled(picture, (64, 96)), GradientStep(net, objective, "fp32")(picture, (64, 96)))
    assert "eager network" in caplog.text
