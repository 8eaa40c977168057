"""The studio's server on Ray (dreamlayer.cluster), on this machine's CPU: throughput with one worker and with two,
side by side in one run, and what one 512² dream pays for going through Ray rather than running in the server.

Everything goes through the server's own job queue (server/jobs.py), as a dream sent over HTTP does, minus HTTP:
- "throughput": ``--dreams`` dreams of 256² queued at once, on a pool of one worker, then of two (one core each),
  alternating for ``--rounds`` rounds; dreams a minute for each.
- "overhead": one 512² dream of the default preset at a time, in this process with one thread (a single-machine server's runner) and on
  one Ray worker of one core, alternating; the worker's time over the runner's, less one.

    python bench/bench_cluster.py [--rounds 2] [--dreams 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import ray
import torch
from common import header

from dreamlayer.cluster import ClusterOptions, ClusterRunner, start_cluster
from dreamlayer.cluster.pool import WorkerPool
from dreamlayer.images import Picture
from dreamlayer.params import preset_params
from dreamlayer.params.resolved import resolve_dream
from dreamlayer.server.dream_requests import DreamRequest
from dreamlayer.server.dreaming import DreamRunner
from dreamlayer.server.jobs import JobQueue

DONE = ("done", "failed", "cancelled")


def request(size: int, seed: int, quick: bool = True) -> DreamRequest:
    """A dream of a size² picture of noise: quick (2 octaves of 6 steps, feature scale 1), or the default preset's."""
    rgb = np.random.default_rng(seed).random((size, size, 3), dtype=np.float32)
    params = preset_params().replace(seed=seed, scale=1.0, octaves=2, steps=6) if quick else preset_params().replace(seed=seed)
    return DreamRequest(Picture(rgb, np.ones((size, size), np.float32)), resolve_dream(params, size, size),
                        None, None, None, "PNG")


def run_all(queue: JobQueue, requests: list[DreamRequest]) -> float:
    """Seconds from queueing every request to the last one done."""
    started = time.perf_counter()
    jobs = [queue.submit(r) for r in requests]
    while any(queue.get(job.id).state not in DONE for job in jobs):
        time.sleep(0.01)
    assert all(job.state == "done" for job in jobs), [job.error for job in jobs]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dreams", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    cluster = start_cluster(ClusterOptions("auto", worker_cpus=1, max_workers=2))
    workers = cluster.pool.workers
    queues = {n: JobQueue(ClusterRunner(WorkerPool(workers[:n]), "cpu", ""), max_queued=64, workers=n, local_device=False)
              for n in (1, 2)}
    local = JobQueue(DreamRunner(torch.device("cpu"), "lite0"), max_queued=64)
    for queue in (*queues.values(), local):
        queue.start()
    print(header(torch.device("cpu")), f" ray {ray.__version__}  workers: {len(workers)} of 1 core")

    run_all(queues[2], [request(256, seed) for seed in range(2)])  # warm: both workers have dreamed once
    seconds: dict[int, list[float]] = {1: [], 2: []}
    for round_ in range(args.rounds):
        for n in (1, 2):
            seconds[n].append(run_all(queues[n], [request(256, 100 * round_ + seed) for seed in range(args.dreams)]))
    print(f"\nthroughput: {args.dreams} dreams of 256² (2 octaves × 6 steps) queued at once, {args.rounds} rounds")
    print(f"{'workers':>8} {'dreams/min':>11} {'seconds':>20}")
    rates = {n: 60 * args.dreams / statistics.median(s) for n, s in seconds.items()}
    for n, s in seconds.items():
        print(f"{n:>8} {rates[n]:>11.1f} {' '.join(f'{x:.1f}' for x in s):>20}")
    print(f"two workers / one: {rates[2] / rates[1]:.2f}×")

    # What Ray adds to a dream is a fixed cost (sending the request, the worker's thread and events, the result
    # back) plus a little per step: timed on a tiny dream, where this machine's noise (±10% between two runs of
    # the same 512² dream) does not hide it, then set against a 512² dream's time.
    tiny = DreamRequest(request(64, 0).picture, resolve_dream(preset_params().replace(seed=0, scale=1.0, octaves=1,
                                                                                        steps=1), 64, 64), None, None, None, "PNG")
    run_all(local, [tiny]), run_all(queues[1], [tiny])
    tiny_direct, tiny_ray = [], []
    for _ in range(20):
        tiny_direct.append(run_all(local, [tiny]))
        tiny_ray.append(run_all(queues[1], [tiny]))
    added = statistics.median(tiny_ray) - statistics.median(tiny_direct)
    run_all(local, [request(512, 0, quick=False)])  # warm
    direct, through = [], []
    for repeat in range(args.repeats):
        direct.append(run_all(local, [request(512, repeat, quick=False)]))
        through.append(run_all(queues[1], [request(512, repeat, quick=False)]))
    d, t = statistics.median(direct), statistics.median(through)
    pairs = statistics.median(b / a for a, b in zip(direct, through))
    print("\noverhead: what a dream pays for going through Ray (one worker of 1 core, against the server's own "
          "runner with 1 thread, alternating)")
    print(f"{'tiny dream (64², 1 step)':>28} {1000 * statistics.median(tiny_direct):>7.0f} ms in the server, "
          f"{1000 * statistics.median(tiny_ray):.0f} ms on Ray (medians of 20): +{1000 * added:.0f} ms a dream")
    print(f"{'512², the default preset':>28} {d:>7.2f} s in the server ({' '.join(f'{x:.2f}' for x in direct)})")
    print(f"{'':>28} {t:>7.2f} s on Ray    ({' '.join(f'{x:.2f}' for x in through)})")
    print(f"{'overhead':>28} {100 * added / d:>+7.1f} % of a 512² dream: the fixed cost over its time "
          f"(goal: at most +5 %)")
    print(f"{'':>28} {100 * (pairs - 1):>+7.1f} % median of the {args.repeats} pairs' ratios (this machine's noise "
          f"included)")
    for queue in (*queues.values(), local):
        queue.shutdown()
    cluster.leave()


if __name__ == "__main__":
    main()
