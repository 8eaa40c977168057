"""Shared fixtures: the real default model, loaded once per session, and small pictures made from the shipped cat."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dreamlayer.engine import load_model

REPO = Path(__file__).resolve().parents[1]
CAT = REPO / "examples" / "chelsea.png"

# The channel atlas's pictures go to a folder of this run's, never the user's cache: set before any server starts,
# so every server, command and editor the tests start (they inherit the environment) shares it.
_ATLAS_CACHE = tempfile.TemporaryDirectory(prefix="dreamlayer-test-cache-")
os.environ["DREAMLAYER_CACHE"] = _ATLAS_CACHE.name

# CI and the developers' machines have two cores; more threads than that only adds contention.
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope="session")
def net():
    return load_model("lite0", "cpu")


def cat_rgb(width: int, height: int) -> np.ndarray:
    """The shipped cat photo at (width, height), float RGB in 0..1."""
    image = Image.open(CAT).convert("RGB").resize((width, height), Image.BICUBIC)
    return np.asarray(image, dtype=np.float32) / 255.0


@pytest.fixture
def small_cat() -> np.ndarray:
    return cat_rgb(160, 112)


@pytest.fixture(scope="session")
def server():
    """The dream server as `dreamlayer serve` runs it (waitress, loopback, no token), on a free port."""
    from .live_server import start_server

    live = start_server()
    yield live
    live.stop()


@pytest.fixture
def held():
    """A server whose jobs run until released (tests/held_runner.py): a job stays running as long as a test needs,
    and no network runs. Yields the server and the runner."""
    from .held_runner import HeldRunner
    from .live_server import start_server

    runner = HeldRunner()
    live = start_server(runner=runner)
    yield live, runner
    runner.release()
    live.stop()
