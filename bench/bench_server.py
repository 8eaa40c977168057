"""What the server adds to a dream: upload, queueing, encoding and download, against the dream itself.

The server's share is the sum of those parts, each timed on its own (the result's encoding is timed by encoding
the same layer again); the end-to-end totals are shown too, but the engine's run-to-run spread on a shared
machine is larger than the share.

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

from dreamlayer_editor.client import DreamClient  # noqa: E402
from dreamlayer_editor.protocol import RawImage  # noqa: E402
from dreamlayer.engine import dream  # noqa: E402
from dreamlayer.images import Picture  # noqa: E402
from dreamlayer.params import preset_params  # noqa: E402
from dreamlayer.server.pixels import RawFormat, encode_raw  # noqa: E402
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
    print("| run | engine alone (s) | through the server (s) | upload (s) | queue wait (s) | encode (s) | download (s) | server's share (s) | share of the dream |")
    print("|---|---|---|---|---|---|---|---|---|")
    dream(net, rgba[..., :3].astype(np.float32) / 255, params)  # warm every octave shape once
    for run in range(1, args.repeats + 1):
        start = time.perf_counter()
        dream(net, rgba[..., :3].astype(np.float32) / 255, params)
        engine = time.perf_counter() - start

        start = time.perf_counter()
        job = client.submit(RawImage(args.size, args.size, rgba.tobytes()), params.to_dict())
        uploaded = time.perf_counter()
        final = list(client.events(job.id))[-1]  # server-sent events: no polling delay, no polling load
        finished = time.perf_counter()
        result = client.result(job.id)
        total = time.perf_counter() - start
        assert len(result.data) == rgba.nbytes
        queue_wait = final.started - final.created
        start_encode = time.perf_counter()
        encode_raw(Picture(rgba[..., :3].astype(np.float32) / 255, rgba[..., 3].astype(np.float32) / 255), RawFormat(args.size, args.size, "RGBA", "u8"))
        encode = time.perf_counter() - start_encode
        download = total - (finished - start)
        share = (uploaded - start) + queue_wait + encode + download
        print(f"| {run} | {engine:.2f} | {total:.2f} | {uploaded - start:.3f} | {queue_wait:.3f} | {encode:.3f} | "
              f"{download:.3f} | {share:.2f} | {100 * share / engine:.1f}% |", flush=True)
    live.stop()


if __name__ == "__main__":
    main()
