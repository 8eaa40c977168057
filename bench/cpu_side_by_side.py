"""Has the CPU got slower? The engine of another checkout against this one, alternating, in one run.

Each round runs, in a fresh process per engine, the same dream bench_speed.py times (Lite0 block 10, 4 octaves ×
1.4, 10 steps, jitter 32, scale 1, fp32) at each size, and records its wall time, its process CPU time and its
objective gain. Alternating processes spreads a shared machine's load over both engines alike; the CPU time
(user + system of the process) is less disturbed by other programs than the wall time, so both are shown, as
each engine's best over the rounds and as ratios (this checkout over the other).

    python bench/cpu_side_by_side.py --base /path/to/other/checkout [--sizes 512 1024] [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from common import REPO, header

# One dream, timed in a fresh process whose PYTHONPATH picks the engine; prints one line of JSON.
CHILD = r"""
import json, sys, time
import numpy as np, torch
from PIL import Image
from dreamlayer.engine import dream, load_model
from dreamlayer.params import DreamParams
size, seed, cat, threads = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
if threads:
    torch.set_num_threads(threads)
net = load_model("lite0", "cpu")
rgb = np.asarray(Image.open(cat).convert("RGB").resize((size, size), Image.BICUBIC), np.float32) / 255
params = DreamParams(octaves=4, octave_scale=1.4, steps=10, jitter=32, step_size=1.5, scale=1.0, seed=seed)
dream(net, rgb[:64, :64], params.replace(octaves=1, steps=1))  # the process's one-time set-up, outside the timing
wall, cpu = time.perf_counter(), time.process_time()
out = dream(net, rgb, params)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
def energy(image):
    with torch.no_grad():
        return float(net.features(torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None], ["block10"])["block10"].pow(2).mean())
print(json.dumps({"wall": wall, "cpu": cpu, "gain": energy(out) / energy(rgb)}))
"""


def run_once(tree: Path, size: int, seed: int, threads: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "server")}
    done = subprocess.run([sys.executable, "-c", CHILD, str(size), str(seed), str(REPO / "examples" / "chelsea.png"), str(threads)],
                          capture_output=True, text=True, env=env, timeout=1800, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout (its server/ holds the engine)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads in each run (0: torch's default); "
                        "1 keeps a busy machine's contention out of the CPU time")
    args = parser.parse_args()
    trees = {"base": args.base.resolve(), "this": REPO}
    results = {(name, size): [] for name in trees for size in args.sizes}
    for seed in range(args.rounds):  # a different seed each round: one dream's gain swings by several percent
        for size in args.sizes:
            for name, tree in trees.items():
                results[name, size].append(run_once(tree, size, seed, args.threads))
                print(f"round {seed + 1} {size}² {name}: {results[name, size][-1]}", file=sys.stderr, flush=True)
    threads = args.threads or torch.get_num_threads()
    print(header(torch.device("cpu")).replace(f"{torch.get_num_threads()} threads", f"{threads} threads")
          + f"  base {args.base}  rounds {args.rounds}")
    print("| image | wall (s), base / this | ratio | CPU time (s), base / this | ratio | objective gain, base / this |")
    print("|---|---|---|---|---|---|")
    for size in args.sizes:
        base, this = results["base", size], results["this", size]
        best = lambda runs, key: min(r[key] for r in runs)  # noqa: E731
        mean_gain = lambda runs: sum(r["gain"] for r in runs) / len(runs)  # noqa: E731
        print(f"| {size}² | {best(base, 'wall'):.2f} / {best(this, 'wall'):.2f} | {best(this, 'wall') / best(base, 'wall'):.2f} | "
              f"{best(base, 'cpu'):.2f} / {best(this, 'cpu'):.2f} | {best(this, 'cpu') / best(base, 'cpu'):.2f} | "
              f"{mean_gain(base):.2f} / {mean_gain(this):.2f} |", flush=True)


if __name__ == "__main__":
    main()
