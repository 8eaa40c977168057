"""A studio on loopback, as the README's studio section sets one up: a Ray head and a second Ray node (separate
processes, one core each), and ``dreamlayer serve --cluster`` pointed at the head, so two CPU workers of one core
each; and, to compare pixels with, a single-machine ``dreamlayer serve`` with one thread (a CPU worker of one core
dreams with one thread, and a CPU's float sums may be ordered by the thread count)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ..editors import REPO, require
from ..same_dream import free_port, serve_process

RAY_READY_SECONDS = 120


def ray_command() -> list[str]:
    return [str(Path(sys.executable).with_name("ray")) if Path(sys.executable).with_name("ray").exists()
            else shutil.which("ray") or "ray"]


def environment(threads: int) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "server"), "OMP_NUM_THREADS": str(threads),
            "RAY_USAGE_STATS_ENABLED": "0",
            # As the README's studio section says: Ray's token authentication, on every node and on the server.
            "RAY_AUTH_MODE": "token"}


@contextlib.contextmanager
def studio_ray(folder: Path) -> Iterator[str]:
    """``ray start --head`` and ``ray start --address`` as a second node, one core each; the head's address."""
    port = free_port()
    env = environment(1)
    address = f"127.0.0.1:{port}"
    starts = [[*ray_command(), "start", "--head", f"--port={port}", "--num-cpus=1", "--num-gpus=0",
               "--include-dashboard=false", "--node-ip-address=127.0.0.1", "--disable-usage-stats"],
              [*ray_command(), "start", f"--address={address}", "--num-cpus=1", "--num-gpus=0",
               "--node-ip-address=127.0.0.1", "--disable-usage-stats"]]
    try:
        for command in starts:
            run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=RAY_READY_SECONDS)
            assert run.returncode == 0, f"{' '.join(command)} failed:\n{run.stdout}\n{run.stderr}"
        yield address
    finally:
        subprocess.run([*ray_command(), "stop", "--force"], env=env, capture_output=True, timeout=120)


@pytest.fixture(scope="package")
def studio(tmp_path_factory) -> Iterator[str]:
    """The cluster's server's URL: two CPU workers of one core each, on two Ray nodes."""
    require(importlib.util.find_spec("ray") is not None, "Ray (pip install -e '.[cluster]')")
    folder = tmp_path_factory.mktemp("studio")
    with studio_ray(folder) as address, \
            serve_process(["--cluster", address, "--device", "cpu"], folder / "serve.log", environment(1), 300) as url:
        health = requests.get(f"{url}/v1/health", timeout=10).json()
        assert len(health["cluster"]["workers"]) == 2, health
        yield url


@pytest.fixture(scope="package")
def single(tmp_path_factory) -> Iterator[str]:
    """A single-machine server dreaming with one thread, as each worker does."""
    folder = tmp_path_factory.mktemp("single")
    with serve_process(["--device", "cpu"], folder / "serve.log", environment(1)) as url:
        yield url
