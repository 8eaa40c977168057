"""The channel atlas: how long a whole layer takes, how long opening it again takes, and whether each picture
shows its own channel. Prints tables for bench/RESULTS.md (issue 22, items 6 and 7).

    PYTHONPATH=server python bench/bench_atlas.py                 # Lite0 block10, every channel
    PYTHONPATH=server python bench/bench_atlas.py --layer block4 --device cuda

Quality, for every channel of the layer:
- top-3: on its own picture, the channel's mean activation ranks among the layer's 3 highest (goal: ≥ 90%);
- own/next: its mean activation over the highest other channel's, on its picture;
- correlation: the median correlation of two pictures' pixels, over every pair (goal: < 0.3);
- dream gain: dreaming the shipped cat with one channel (channels=N), that channel's mean activation grows by
  how many times more than the other channels' mean activation does (over ``--dream-channels`` channels).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dreamlayer.atlas import AtlasCache, make_thumbnails  # noqa: E402
from dreamlayer.engine import dream, load_model, pick_device  # noqa: E402
from dreamlayer.params import preset_params  # noqa: E402


def pictures(cache: AtlasCache, channels: list[int]) -> torch.Tensor:
    arrays = [np.asarray(Image.open(io.BytesIO(cache.read(c))).convert("RGB"), np.float32) / 255 for c in channels]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)


def quality(net, layer: str, batch: torch.Tensor) -> dict[str, float]:
    with torch.no_grad():
        means = torch.cat([net.features(part.to(net.device), [layer])[layer].float().mean(dim=(2, 3)).cpu()
                           for part in batch.split(16)])
    own = means.diagonal()
    ranks = (means > own[:, None]).sum(1)
    others = means.clone()
    others.fill_diagonal_(float("-inf"))
    x = batch.flatten(1)
    x = (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True)
    correlation = (x @ x.T) / x.shape[1]
    pairs = correlation[torch.triu_indices(len(x), len(x), 1).unbind()]
    return {"top1": float((ranks == 0).float().mean()), "top3": float((ranks < 3).float().mean()),
            "own_over_next": float((own / others.max(1).values).median()),
            "median_correlation": float(pairs.median()), "worst_correlation": float(pairs.max())}


def dream_gain(net, layer: str, channel: int, picture: np.ndarray) -> float:
    params = preset_params().replace(seed=1, layer=layer, channels=str(channel), octaves=2, steps=6, scale=1.0)
    before = torch.from_numpy(picture).permute(2, 0, 1)[None]
    after = torch.from_numpy(dream(net, picture, params)).permute(2, 0, 1)[None]
    with torch.no_grad():
        a = net.features(before.to(net.device), [layer])[layer].float().mean(dim=(0, 2, 3))
        b = net.features(after.to(net.device), [layer])[layer].float().mean(dim=(0, 2, 3))
    growth = b - a
    others = torch.cat([growth[:channel], growth[channel + 1:]])
    return float(growth[channel] / others.abs().mean())


def open_over_http(folder: Path, model: str, layer: str, count: int) -> float:
    """Seconds for a picker's first look at a made atlas: the atlas asked for, and every picture fetched, from a
    real server on loopback."""
    import requests

    from tests.live_server import start_server

    live = start_server({"CACHE_FOLDER": str(folder)})
    try:
        start = time.perf_counter()
        atlas = requests.get(f"{live.url}/v1/models/{model}/layers/{layer}/atlas", timeout=10).json()
        with requests.Session() as session:
            for channel in atlas["channels"]:
                session.get(live.url + channel["url"], timeout=10).raise_for_status()
        took = time.perf_counter() - start
        assert atlas["state"] == "made" and len(atlas["channels"]) == count
        return took
    finally:
        live.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="lite0")
    parser.add_argument("--layer", default="block10")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dream-channels", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(min(2, torch.get_num_threads())) if args.device == "cpu" else None
    net = load_model(args.model, pick_device(args.device))
    channels = list(range(net.layer_info(args.layer).channels))
    with tempfile.TemporaryDirectory() as folder:
        cache = AtlasCache(Path(folder), args.model, args.layer, 128)
        start = time.perf_counter()
        make_thumbnails(net, cache, tuple(channels))
        if net.device.type == "cuda":
            torch.cuda.synchronize()
        made = time.perf_counter() - start
        start = time.perf_counter()
        again = make_thumbnails(net, cache, tuple(channels))
        opened = time.perf_counter() - start
        batch = pictures(cache, channels)
        reopened = time.perf_counter() - start
        assert again == 0
        over_http = open_over_http(Path(folder), args.model, args.layer, len(channels))
        q = quality(net, args.layer, batch)
    cat = np.asarray(Image.open(ROOT / "examples" / "chelsea.png").convert("RGB").resize((224, 160)), np.float32) / 255
    step = max(1, len(channels) // args.dream_channels)
    gains = [dream_gain(net, args.layer, c, cat) for c in channels[::step][: args.dream_channels]]
    device = torch.cuda.get_device_name() if net.device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"{args.model} {args.layer}: {len(channels)} channels, 128² pictures, {time.strftime('%Y-%m-%d')}, {device}\n")
    print("| whole layer made | opened again (cache checked) | and every picture read | over HTTP: atlas + every picture |")
    print("|---|---|---|---|")
    print(f"| {made:.1f} s | {opened * 1000:.0f} ms | {reopened * 1000:.0f} ms | {over_http * 1000:.0f} ms |\n")
    print("| own channel first | own channel in top 3 | own / next channel (median) | median correlation | largest |")
    print("|---|---|---|---|---|")
    print(f"| {q['top1']:.0%} | {q['top3']:.0%} | {q['own_over_next']:.2f}× | {q['median_correlation']:.3f} | "
          f"{q['worst_correlation']:.3f} |\n")
    print(f"dreaming the cat with one channel, its growth over the others' (mean |growth|), {len(gains)} channels: "
          f"median {statistics.median(gains):.1f}×, least {min(gains):.1f}×")


if __name__ == "__main__":
    main()
