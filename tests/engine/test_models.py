"""The networks built from the model catalog: the catalog's layer table matches the built networks, features stop
at the deepest layer wanted, batch norms fold away, and torchvision models load offline from the torch cache. (The
catalog alone: tests/test_catalog.py; Lite0's own network and weights: test_efficientnet_lite.py.)"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from dreamlayer.catalog import MODELS
from dreamlayer.engine import load_model
from dreamlayer.engine.models import BUILDERS, DreamNet
from dreamlayer.errors import ModelNotDownloaded


@pytest.mark.parametrize("name", list(MODELS))
def test_the_catalog_matches_the_built_network(name):
    """Channels and strides as the built network really has them, found by a shape-only pass on the meta device."""
    spec = MODELS[name]
    with torch.device("meta"):
        net = DreamNet(spec, BUILDERS[name]())
        probe = 512
        found = net.features(torch.empty(1, 3, probe, probe), list(spec.layers))
    assert spec.default_layer in spec.layers
    for layer, info in spec.layers.items():
        assert (info.channels, info.stride) == (found[layer].shape[1], round(probe / found[layer].shape[2])), layer
        assert info.min_size >= 4 * info.stride


def test_features_stop_at_the_deepest_wanted_layer(net):
    x = torch.rand(1, 3, 96, 96)
    found = net.features(x, ["block3", "block10"])
    assert set(found) == {"block3", "block10"}
    assert found["block10"].shape == (1, 112, 6, 6)


def test_torchvision_model_without_weights_names_the_pull_command(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ModelNotDownloaded, match="dreamlayer models pull googlenet"):
        load_model("googlenet")


def test_torchvision_model_loads_from_a_state_dict_in_the_torch_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    spec = MODELS["googlenet"]
    torch.manual_seed(0)
    reference = BUILDERS["googlenet"]()
    path = spec.weights_path()
    assert path.parent == tmp_path / "hub" / "checkpoints"
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)

    loaded = load_model("googlenet")
    x = torch.rand(1, 3, 128, 128)
    got = loaded.features(x, ["inception4c"])["inception4c"]
    assert got.shape[1] == spec.layers["inception4c"].channels
    assert np.isfinite(got.numpy()).all()
    # The stored weights, batch norms folded in: the same activations as the model they were saved from.
    captured = {}
    reference.eval().inception4c.register_forward_hook(lambda _m, _i, out: captured.setdefault("a", out))
    with torch.no_grad():
        reference((x - 0.5) / 0.5)
    assert torch.allclose(got, captured["a"], atol=1e-4, rtol=1e-4)


def test_batchnorm_folding_keeps_the_activations(net):
    from dreamlayer.engine.efficientnet_lite import EfficientNetLite0
    from dreamlayer.engine.models import fold_batchnorm

    plain = EfficientNetLite0().eval()
    plain.load_state_dict(torch.load(MODELS["lite0"].weights_path(), weights_only=True))
    x = torch.rand(1, 3, 96, 96)
    with torch.no_grad():
        expected = plain((x - 0.5) / 0.5)
        assert fold_batchnorm(plain) == 1 + 1 + 16 * 2 + 15  # stem, head, depthwise+project per block, 15 expands
        assert torch.allclose(plain((x - 0.5) / 0.5), expected, atol=1e-4)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.net.modules())


def test_two_threads_read_one_network_at_once_each_getting_its_own_layers(net):
    """A ranking reads the network beside a running dream: each call's hooks answer only to its own thread."""
    pictures = [torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(i)) for i in range(2)]
    layers = (["block4"], ["block10", "block2"])
    with torch.no_grad():
        alone = [net.features(p, wanted) for p, wanted in zip(pictures, layers)]
    together: list[dict] = [{}, {}]
    errors: list[BaseException] = []

    def read(index: int) -> None:
        try:
            for _ in range(20):
                with torch.no_grad():
                    together[index] = net.features(pictures[index], layers[index])
        except BaseException as exc:  # noqa: BLE001 - reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for got, expected in zip(together, alone):
        assert got.keys() == expected.keys()
        assert all(torch.equal(got[name], expected[name]) for name in got)
