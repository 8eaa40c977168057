"""Issue 15's GPU check: every row of the issue's table, side by side with the 2015 port, in one run.

Prints markdown tables for bench/RESULTS.md, headed with the date, the card and the commit: the issue's rows with
their goals, then the levers (graphs, bf16, channels-last, cuDNN's kernel search, optionally torch.compile) with
each one's time and objective gain against eager fp32, and notes (graph captures that failed, the warm-up's time).
About two minutes on an H100 or H200 (the issue allows six, so a short rental can run it twice).

``--quick`` runs every row at tiny sizes on whatever device there is, in seconds, with no goals checked:
tests/engine/test_render.py runs it so that the script cannot rot.

    python bench/gpu_check.py [--quick] [--device auto] [--compile]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_speed import energy  # noqa: E402
from plain_deepdream import plain_lite0, reference_dream  # noqa: E402
from common import CAT, PeakRss, header  # noqa: E402
from dreamlayer.engine import dream, load_model, pick_device  # noqa: E402
from dreamlayer.engine.devices import enable_kernel_search  # noqa: E402
from dreamlayer.engine.policy import EngineOptions  # noqa: E402
from dreamlayer.engine.steps import graph_cache  # noqa: E402
from dreamlayer.engine.zoom import ZoomSettings, noise_picture, zoom_frames  # noqa: E402
from dreamlayer.params import preset_params  # noqa: E402
from dreamlayer.video import BackgroundFrames, FrameWriter  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    view: int  # the long side a default dream's network view has (the engine's 1024)
    base: int  # the "1024²" rows
    new: tuple[tuple[int, int], ...]  # (width, height) of first dreams at unseen sizes
    big: int  # the "4096²" rows
    huge: int  # the "16384²" row
    zoom: int
    frames: int
    repeats: int
    seeds: int  # for objective gains, which swing by several percent from one seed to another
    steps: int = 10  # per octave, as the classic preset and the port take them

    @property
    def quick(self) -> bool:
        return self.view != 1024

    def port(self, plain, batch: torch.Tensor) -> torch.Tensor:
        return reference_dream(plain, batch, 0, self.steps)


FULL = Sizes(1024, 1024, ((1000, 700), (1333, 777), (2000, 1500), (3000, 2000), (777, 1200)), 4096, 16384, 1024, 30, 5, 3)
QUICK = Sizes(96, 96, ((100, 70), (133, 77)), 128, 256, 64, 1, 1, 1, steps=2)
GiB = 2**30


def picture(width: int, height: int) -> np.ndarray:
    return np.asarray(Image.open(CAT).convert("RGB").resize((width, height), Image.BILINEAR), np.float32) / 255


def default_params(sizes: Sizes, width: int, height: int, **changes):
    """The classic preset at the default feature scale (its view 1024 pixels long; ``sizes.view`` when quick)."""
    scale = max(width, height) / sizes.view if sizes.quick else None
    return preset_params("classic").replace(seed=0, scale=scale, steps=sizes.steps, **changes)


def measure(run, device: torch.device, repeats: int = 1) -> tuple[float, float, object]:
    """Median seconds, peak memory in GiB (the GPU's allocations, or this process's RSS), the last result."""
    times, peak, out = [], 0.0, None
    for _ in range(repeats):
        if device.type != "cuda":
            with PeakRss() as rss:
                start = time.perf_counter()
                out = run()
                times.append(time.perf_counter() - start)
            peak = max(peak, rss.peak / GiB)
            continue
        # No sampling thread on a GPU: it would compete with the kernel launches for the interpreter.
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        out = run()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        peak = max(peak, torch.cuda.max_memory_allocated() / GiB)
    return statistics.median(times), peak, out


def gain(net, before: np.ndarray, after) -> float:
    to_batch = lambda a: torch.as_tensor(np.ascontiguousarray(a)).permute(2, 0, 1)[None].to(net.device)  # noqa: E731
    return energy(net, to_batch(after)) / energy(net, to_batch(before))


class Table:
    def __init__(self, quick: bool):
        self.quick, self.rows = quick, []

    def add(self, what: str, engine: str, port: str, goal: str, met: bool | None) -> None:
        verdict = "n/a (quick)" if self.quick or met is None else ("yes" if met else "**no**")
        self.rows.append(f"| {what} | {engine} | {port} | {goal} | {verdict} |")

    def print(self) -> None:
        print("| what | engine | 2015 port | goal | met? |\n|---|---|---|---|---|")
        print("\n".join(self.rows), flush=True)


def warm_base(net, plain, sizes: Sizes, device, table: Table) -> None:
    rgb = picture(sizes.base, sizes.base)
    params = default_params(sizes, sizes.base, sizes.base)
    if not sizes.quick:
        dream(net, rgb, params)  # the first dream at this size: shapes and graphs
    seconds, peak, _ = measure(lambda: dream(net, rgb, params), device, sizes.repeats)
    batch = torch.from_numpy(rgb).permute(2, 0, 1)[None].contiguous().to(device)
    if not sizes.quick:
        sizes.port(plain, batch)
    port, port_peak, _ = measure(lambda: sizes.port(plain, batch), device, sizes.repeats)
    table.add(f"{sizes.base}² default dream, warm", f"{seconds:.3f} s, {peak:.2f} GiB", f"{port:.3f} s, {port_peak:.2f} GiB",
              "≤ 0.08 s", seconds <= 0.08)


def new_sizes(net, sizes: Sizes, device, table: Table) -> None:
    ratios = []
    for width, height in sizes.new:
        run = partial(dream, net, picture(width, height), default_params(sizes, width, height))
        first, _, _ = measure(run, device)
        repeat, _, _ = measure(run, device, sizes.repeats)
        ratios.append((f"{width}×{height}", first, repeat))
    text = "; ".join(f"{name} {first:.2f}/{repeat:.2f} s ({first / repeat:.1f}×)" for name, first, repeat in ratios)
    worst = max(first / repeat for _, first, repeat in ratios)
    table.add("first dream at a new size / repeat, one-off process (no kernel search)", text, "—", "≤ 1.5×", worst <= 1.5)


def fresh_server(sizes: Sizes, device, quick: bool, table: Table) -> dict:
    """A new process as `dreamlayer serve` starts: warm-up, then its first dreams."""
    command = [sys.executable, __file__, "--child", "--device", device.type] + (["--quick"] if quick else [])
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise SystemExit(f"the fresh-process child failed:\n{run.stderr[-3000:]}")
    child = json.loads(run.stdout.strip().splitlines()[-1])
    table.add(f"first dream in a fresh server process, {sizes.base}²",
              f"{child['first']:.3f} s after a {child['warm_up']:.1f} s warm-up (repeat {child['repeat']:.3f} s)", "—",
              "≤ 0.5 s", child["first"] <= 0.5)
    text = "; ".join(f"{name} {first:.2f}/{repeat:.2f} s ({first / repeat:.1f}×)" for name, first, repeat in child["new"])
    worst = max(first / repeat for _, first, repeat in child["new"])
    table.add("first dream at a new size / repeat, server after warm-up", text, "—", "≤ 1.5×", worst <= 1.5)
    return child


def child(args: argparse.Namespace) -> None:
    """The fresh process of ``fresh_server``: prints one line of JSON."""
    from dreamlayer.server.dreaming import DreamRunner

    sizes, device = (QUICK if args.quick else FULL), pick_device(args.device)
    start = time.perf_counter()
    runner = DreamRunner(device, "lite0")
    runner.wait_until_warm()
    warm_up = time.perf_counter() - start
    net, rgb = runner.net("lite0"), picture(sizes.base, sizes.base)
    params = default_params(sizes, sizes.base, sizes.base)
    first, _, _ = measure(lambda: dream(net, rgb, params, options=runner.options), device)
    repeat, _, _ = measure(lambda: dream(net, rgb, params, options=runner.options), device, sizes.repeats)
    new = []
    for width, height in sizes.new:
        run = partial(dream, net, picture(width, height), default_params(sizes, width, height), options=runner.options)
        once, _, _ = measure(run, device)
        again, _, _ = measure(run, device, sizes.repeats)
        new.append((f"{width}×{height}", once, again))
    print(json.dumps({"warm_up": warm_up, "first": first, "repeat": repeat, "new": new}))


def big_pictures(net, plain, sizes: Sizes, device, table: Table) -> None:
    every_pixel(net, plain, sizes, device, table)
    rgb = picture(sizes.big, sizes.big)
    params = default_params(sizes, sizes.big, sizes.big)
    if not sizes.quick:
        dream(net, rgb, params)
    seconds, peak, _ = measure(lambda: dream(net, rgb, params), device, sizes.repeats)
    table.add(f"{sizes.big}² default", f"{seconds:.3f} s, {peak:.2f} GiB", "—", "≤ 0.2 s", seconds <= 0.2)
    huge = picture(sizes.huge, sizes.huge)  # 3 GiB of float32 in host memory, where it stays
    params = default_params(sizes, sizes.huge, sizes.huge)
    seconds, peak, _ = measure(lambda: dream(net, huge, params), device)
    table.add(f"{sizes.huge}² default", f"{seconds:.2f} s, {peak:.2f} GiB on the device", "—", "≤ 4 GiB", peak <= 4)


def every_pixel(net, plain, sizes: Sizes, device, table: Table) -> None:
    """``--scale 1`` on the big picture: whole if it fits the card, in tiles under a 4 GiB budget; the port."""
    side = sizes.big
    rgb = picture(side, side)
    scale1 = default_params(sizes, side, side).replace(scale=1.0)
    small_card = EngineOptions(memory_budget=4 * GiB)
    batch = torch.from_numpy(rgb).permute(2, 0, 1)[None].contiguous().to(device)
    if not sizes.quick:  # each once first: these shapes are new to the process
        dream(net, rgb, scale1), dream(net, rgb, scale1, options=small_card), sizes.port(plain, batch)
    engine, engine_peak, out = measure(lambda: dream(net, rgb, scale1), device)
    tiled, tiled_peak, _ = measure(lambda: dream(net, rgb, scale1, options=small_card), device)
    port, port_peak, port_out = measure(lambda: sizes.port(plain, batch), device)
    port_gain = gain(net, rgb, port_out[0].permute(1, 2, 0).cpu().numpy())
    table.add(f"{side}² `--scale 1` (every pixel seen)",
              f"{engine:.2f} s, {engine_peak:.2f} GiB ({engine / port:.2f}× the port; gain {gain(net, rgb, out) / port_gain:.2f}× "
              f"the port's); 4 GiB budget: {tiled:.2f} s, {tiled_peak:.2f} GiB",
              f"{port:.2f} s, {port_peak:.2f} GiB", "≤ 0.5× the port", engine <= 0.5 * port)


def zoom_rows(net, sizes: Sizes, device, table: Table) -> None:
    results = {(octaves, encode): zoom_fps(net, sizes, octaves, encode) for octaves in (1, 4) for encode in (False, True)}
    text = lambda o: f"{results[o, False]:.1f} frames/s dreaming, {results[o, True]:.1f} with MP4 encoding"  # noqa: E731
    table.add(f"zoom film {sizes.zoom}², 5 steps a frame, 1 octave", text(1), "—", "≥ 60 frames/s", results[1, True] >= 60)
    table.add(f"zoom film {sizes.zoom}², 5 steps a frame, 4 octaves", text(4), "—", "≥ 20 frames/s", results[4, True] >= 20)


def zoom_fps(net, sizes: Sizes, octaves: int, encode: bool) -> float:
    params = default_params(sizes, sizes.zoom, sizes.zoom, octaves=octaves)
    settings = ZoomSettings(frames=sizes.frames + 2, steps_per_frame=5)
    stamps = []
    with tempfile.TemporaryDirectory() as scratch:
        writer = FrameWriter(Path(scratch) / "zoom.mp4", 24)
        with writer, BackgroundFrames(writer.write if encode else lambda _frame: None) as frames:
            for frame in zoom_frames(net, noise_picture(sizes.zoom, sizes.zoom, 0), params, settings):
                frames.put(frame)
                stamps.append(time.perf_counter())
        stamps[-1] = time.perf_counter()  # the film is done when the encoder is
    return (len(stamps) - 2) / (stamps[-1] - stamps[1])  # after the first two frames (new shapes, graphs)


def cli_row(sizes: Sizes, device, quick: bool, table: Table) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        source, out = Path(scratch) / "in.png", Path(scratch) / "out.png"
        Image.fromarray((picture(sizes.base, sizes.base) * 255).astype(np.uint8)).save(source)
        command = [sys.executable, "-m", "dreamlayer", "dream", str(source), str(out), "--device", device.type, "--seed", "0"]
        command += ["--octaves", "1", "--steps", "1"] if quick else []
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True, timeout=600)
        seconds = time.perf_counter() - start
        if run.returncode != 0 or not out.is_file():
            raise SystemExit(f"`dreamlayer dream` failed:\n{run.stderr[-3000:]}")
    table.add(f"`dreamlayer dream` on the device, whole process, {sizes.base}²", f"{seconds:.2f} s", "—", "≤ 4 s", seconds <= 4)


def levers(net, sizes: Sizes, device, compile_too: bool) -> list[str]:
    """The base size's default dream under each lever, against eager fp32: time (warm) and objective gain."""
    rgb = picture(sizes.base, sizes.base)
    cl = load_model("lite0", device, channels_last=True)
    variants = [("eager fp32 (graphs off)", net, "fp32", EngineOptions(graphs=False)),
                ("graphs fp32 (the default on CUDA)", net, "fp32", None), ("graphs bf16", net, "bf16", None),
                ("graphs fp32, channels-last", cl, "fp32", None), ("graphs bf16, channels-last", cl, "bf16", None)]
    if compile_too:
        variants += [("torch.compile + graphs fp32", net, "fp32", EngineOptions(compile_backend="inductor")),
                     ("torch.compile + graphs bf16", net, "bf16", EngineOptions(compile_backend="inductor"))]
    rows, reference = [], None
    for label, model, precision, options in variants:
        params = default_params(sizes, sizes.base, sizes.base, precision=precision)
        run = partial(dream, model, rgb, params, options=options)
        first, _, _ = measure(run, device)
        seconds, peak, _ = measure(run, device, sizes.repeats)
        gains = [gain(net, rgb, dream(model, rgb, params.replace(seed=seed), options=options)) for seed in range(sizes.seeds)]
        mean_gain = sum(gains) / len(gains)
        reference = reference or (seconds, mean_gain)
        rows.append(f"| {label} | {first:.3f} | {seconds:.3f} | {peak:.2f} | {mean_gain:.2f} | "
                    f"{seconds / reference[0]:.2f} | {mean_gain / reference[1]:.3f} |")
    rows.append(kernel_search_row(sizes, device, rgb, reference))
    return rows


def kernel_search_row(sizes: Sizes, device, rgb: np.ndarray, reference: tuple[float, float]) -> str:
    """cuDNN's kernel search (on in the server only): its first dream pays the search. Last: it stays on."""
    if not enable_kernel_search(device):
        return "| cuDNN kernel search | — | — | — | — | — | — (CUDA only) |"
    net = load_model("lite0", device)  # a fresh network: new graphs, captured with the searched kernels
    params = default_params(sizes, sizes.base, sizes.base)
    first, _, _ = measure(lambda: dream(net, rgb, params), device)
    seconds, peak, out = measure(lambda: dream(net, rgb, params), device, sizes.repeats)
    return (f"| graphs fp32 + cuDNN kernel search | {first:.3f} | {seconds:.3f} | {peak:.2f} | {gain(net, rgb, out):.2f} | "
            f"{seconds / reference[0]:.2f} | {gain(net, rgb, out) / reference[1]:.3f} (one seed) |")


def graph_check(net, sizes: Sizes, device) -> str:
    """Do captured graphs compute what the eager step computes? Max difference of one step's gradient."""
    from dreamlayer.engine.objectives import build_objective
    from dreamlayer.engine.steps import GradientStep
    from dreamlayer.params.resolved import resolve_dream

    patch = torch.rand((1, 3, sizes.base, sizes.base), device=device)
    objective = build_objective(net, resolve_dream(preset_params("classic"), sizes.base, sizes.base), patch)
    eager = GradientStep(net, objective, "fp32")(patch, (sizes.base, sizes.base))
    if device.type != "cuda":
        return "graphs vs eager: not on this device"
    step = GradientStep(net, objective, "fp32", graph_cache(net), variant="check")
    for _ in range(4):
        graphed = step(patch, (sizes.base, sizes.base)).clone()
    difference = float((graphed - eager).abs().max() / eager.abs().max())
    return f"graphs vs eager, one {sizes.base}² gradient: max difference {difference:.1e} of the largest value"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, any device, seconds; no goals checked")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (minutes of compiling)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    started, sizes, device = time.perf_counter(), (QUICK if args.quick else FULL), pick_device(args.device)
    net, plain = load_model("lite0", device), plain_lite0(device)
    print(header(device) + ("  (quick: tiny sizes, goals not checked)" if args.quick else ""), flush=True)
    table = Table(args.quick)
    warm_base(net, plain, sizes, device, table)
    new_sizes(net, sizes, device, table)
    child_result = fresh_server(sizes, device, args.quick, table)
    big_pictures(net, plain, sizes, device, table)
    zoom_rows(net, sizes, device, table)
    cli_row(sizes, device, args.quick, table)
    table.print()
    print(f"\nLevers, {sizes.base}² default dream (time in s: first call, then warm median; gain: objective gain):\n")
    print("| variant | first (s) | warm (s) | peak (GiB) | gain | time vs eager fp32 | gain vs eager fp32 |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(levers(net, sizes, device, args.compile)))
    failures = graph_cache(net).failures if device.type == "cuda" else []
    print(f"\n- {graph_check(net, sizes, device)}\n- graph captures that failed: {failures or 'none'}"
          f"\n- server warm-up in the fresh process: {child_result['warm_up']:.1f} s"
          f"\n- this check took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
