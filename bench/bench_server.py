"""What the server adds to a dream: upload, queueing, encoding and download, against the dream itself.

Runs the real server (waitress on loopback, in this process) and the shared client, with raw RGBA u8 pixels as
the editor plugins send them, and the same dream run directly on the engine, side by side in one run.

    python bench/bench_server.py [--size 2048] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dreamlayer.client import DreamClient, RawImage  # noqa: E402
from dreamlayer.engine import dream  # noqa: E402
from dreamlayer.presets import preset_params  # noqa: E402
from tests.live_server import start_server  # noqa: E402

CAT = Path(__file__).resolve().parents[1] / "examples" / "chelsea.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rgb = np.asarray(Image.open(CAT).convert("RGB").resize((args.size, args.size), Image.BICUBIC))
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    params = preset_params("classic").replace(seed=0)
    live = start_server({"MAX_PIXELS": args.size * args.size})
    client, net = DreamClient(live.url, timeout=600), live.app.extensions["dreamlayer"].runner.net("lite0")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU, {torch.get_num_threads()} threads"
    print(f"date {datetime.date.today()}  device {device}  commit {commit}  image {args.size}² RGBA u8, classic preset")
    print("| run | engine alone (s) | through the server (s) | upload (s) | queue wait (s) | dream + encode (s) | download (s) | overhead (s) | overhead (%) |")
    print("|---|---|---|---|---|---|---|---|---|")
    dream(net, rgba[..., :3].astype(np.float32) / 255, params)  # warm every octave shape once
    for run in range(1, args.repeats + 1):
        start = time.perf_counter()
        dream(net, rgba[..., :3].astype(np.float32) / 255, params)
        engine = time.perf_counter() - start

        start = time.perf_counter()
        job = client.submit(RawImage(args.size, args.size, rgba.tobytes()), params.to_dict())
        uploaded = time.perf_counter()
        final = client.wait(job.id, poll_seconds=0.01)
        finished = time.perf_counter()
        result = client.result(job.id)
        total = time.perf_counter() - start
        assert len(result.data) == rgba.nbytes
        queue_wait = final.raw["started"] - final.raw["created"]
        work = final.raw["finished"] - final.raw["started"]
        overhead = total - engine
        print(f"| {run} | {engine:.2f} | {total:.2f} | {uploaded - start:.3f} | {queue_wait:.3f} | {work:.2f} | "
              f"{total - (finished - start):.3f} | {overhead:.2f} | {100 * overhead / engine:.1f} |", flush=True)
    live.stop()


if __name__ == "__main__":
    main()
