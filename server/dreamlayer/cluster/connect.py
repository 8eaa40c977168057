"""Joining the Ray cluster and starting the workers: one per GPU, or, where the cluster has no GPU, one per
``worker_cpus`` cores.

``auto`` joins the Ray already running on this machine (``ray start --head``), or starts one of its own that
stops with the server. Any other address is a cluster's head, as ``ray start --head`` printed it (``HOST:6379``).
Workers are counted when the server starts: a machine that joins the cluster later serves after a restart.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import ray
from ray.exceptions import GetTimeoutError, RayError

from ..engine.policy import EngineOptions
from ..errors import DreamlayerError
from .pool import Worker, WorkerPool
from .runner import ClusterRunner
from .worker import DreamWorker

log = logging.getLogger("dreamlayer.cluster")
NAMESPACE = "dreamlayer"
START_SECONDS = 300.0  # how long the workers may take to start and load their model (a slow disk, a first CUDA init)


class ClusterUnavailable(DreamlayerError):
    code = "cluster_unavailable"


@dataclass(frozen=True)
class ClusterOptions:
    address: str  # "auto", or the head's HOST:PORT
    worker_cpus: int = 1  # the cores each CPU worker takes (and the threads torch uses there)
    max_workers: int | None = None  # None: as many as the cluster has room for
    warm_model: str | None = "lite0"


def connect(address: str) -> None:
    if ray.is_initialized():
        return
    try:
        # log_to_driver: the workers' logs stay in Ray's log folder, not in the server's own log.
        ray.init(address=None if address == "auto" else address, namespace=NAMESPACE, log_to_driver=False,
                 include_dashboard=False, configure_logging=False)
    except (ConnectionError, RayError, ValueError, RuntimeError) as exc:
        raise ClusterUnavailable(f"Can't join the Ray cluster at '{address}': {exc}. Start it first with "
                                 "`ray start --head` on its head machine, and give that machine's address "
                                 "(HOST:6379), or give `--cluster auto` for one on this machine.") from None


def plan_workers(resources: dict[str, float], options: ClusterOptions) -> tuple[str, int]:
    """The workers' device and how many: one per GPU, else one per ``worker_cpus`` cores."""
    gpus = int(resources.get("GPU", 0))
    device, count = ("cuda", gpus) if gpus else ("cpu", int(resources.get("CPU", 0)) // options.worker_cpus)
    if options.max_workers:
        count = min(count, options.max_workers)
    if count < 1:
        raise ClusterUnavailable(f"The Ray cluster has {resources.get('CPU', 0):g} cores and no GPU: not enough for "
                                 f"one worker of {options.worker_cpus} cores. Give a smaller --worker-cpus, or add "
                                 "machines to the cluster.")
    return device, count


def start_cluster(options: ClusterOptions, engine: EngineOptions | None = None) -> ClusterRunner:
    """Join the cluster, start the workers, wait until each has its model loaded, and give the runner of them."""
    connect(options.address)
    device, count = plan_workers(ray.cluster_resources(), options)
    resources = {"num_gpus": 1, "num_cpus": 1} if device == "cuda" else {"num_cpus": options.worker_cpus}
    handles = []
    for index in range(count):
        name = f"worker-{index + 1}"
        # max_restarts: Ray starts a dead worker again (elsewhere, if its machine left); the job it ran is run
        # again by the front (runner.py), so Ray itself retries no task.
        handles.append((name, DreamWorker.options(**resources, max_restarts=-1, max_task_retries=0).remote(
            name, device, options.worker_cpus, options.warm_model, engine or EngineOptions())))
    started = time.perf_counter()
    workers = []
    for name, handle in handles:
        try:
            about = ray.get(handle.about.remote(), timeout=max(1.0, START_SECONDS - (time.perf_counter() - started)))
        except GetTimeoutError:
            raise ClusterUnavailable(f"Worker {name} did not start within {START_SECONDS:g} s: the cluster may lack "
                                     "the cores or GPUs it asked for. See `ray status`.") from None
        except RayError as exc:
            raise ClusterUnavailable(f"Worker {name} could not start: {exc}. Every machine of the cluster needs the "
                                     "same dreamlayer and torch as this one.") from None
        workers.append(Worker(handle, name, about))
    per = "1 GPU" if device == "cuda" else f"{options.worker_cpus} core{'s' if options.worker_cpus > 1 else ''}"
    description = f"cluster: {count} {device} worker{'s' if count > 1 else ''} of {per} each"
    log.info("%s, ready in %.1f s", description, time.perf_counter() - started)
    return ClusterRunner(WorkerPool(workers), device, description)
