"""The spread of every numeric threshold in the tests that depends on the dream's arithmetic (issue 19, item 6).

Each quantity is computed by the test's own helper (imported from tests/), over several seeds and, where the
quantity does not change with the seed (no jitter) or the test uses one picture, over a few pictures: the test's
resize of the cat, two crops of it and bench/look-1000x700.jpg at the test's size. Each group runs in a child
process per thread count (OMP_NUM_THREADS=1 and 2), and the table gives the measured min / median / max over all of
them against the threshold, and the margin left (the distance from the threshold to the worst value).

    PYTHONPATH=server python bench/test_margins.py                 # both thread counts, a markdown table
    PYTHONPATH=server python bench/test_margins.py --only steps    # one group
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEEDS = [1, 2, 3, 4, 5]
OTHER_PICTURES = ["cat-left", "cat-right", "look"]


def picture(name: str, width: int, height: int) -> np.ndarray:
    """A shipped picture at (width, height), float RGB in 0..1: the tests' cat, a crop of it, or the bench's photo."""
    from PIL import Image

    from tests.conftest import CAT, cat_rgb

    if name == "cat":
        return cat_rgb(width, height)
    if name == "look":
        image = Image.open(REPO / "bench" / "look-1000x700.jpg").convert("RGB")
    else:
        image = Image.open(CAT).convert("RGB")
        w, h = image.size
        image = image.crop((0, 0, 2 * w // 3, h) if name == "cat-left" else (w // 3, h // 4, w, h))
    return np.asarray(image.resize((width, height), Image.BICUBIC), np.float32) / 255.0


def samples(width: int, height: int, seeds: list[int] = SEEDS, test_seed: int | None = None):
    """(label, picture, seed): the test's picture at every seed, then the other pictures at the test's own seed."""
    for seed in seeds:
        yield f"cat s{seed}", picture("cat", width, height), seed
    for name in OTHER_PICTURES:
        yield name, picture(name, width, height), test_seed if test_seed is not None else seeds[0]


# Each group: name -> function(net) giving rows {quantity: [(label, value), ...]}.
GROUPS: dict[str, Callable] = {}


def group(fn: Callable) -> Callable:
    GROUPS[fn.__name__.removeprefix("measure_")] = fn
    return fn


def collect(rows: dict, label: str, values: dict) -> None:
    for quantity, value in values.items():
        rows.setdefault(quantity, []).append((label, float(value)))


@group
def measure_dream(net) -> dict:
    from tests.engine import test_gradients as g, test_objectives as o, test_render as t

    rows: dict = {}
    for label, cat, seed in samples(160, 112, test_seed=7):
        params = t.QUICK.replace(seed=seed)
        out = t.dream(net, cat, params)
        luma, chroma = t.luma_and_chroma_change(net, cat, params)
        difference, laplacian_gain = g.laplacian_difference_and_gain(net, cat, params)
        masked = t.masked_changes(net, cat, params)
        guide = o.stripes_guide(cat)
        similarity = {name: o.guide_similarity(net, d, guide) for name, d in o.guided_dreams(net, cat, params).items()}
        collect(rows, label, {
            "dream: energy gain (> 1.5)": t.energy(net, out) / t.energy(net, cat),
            "dream: seed s vs s+1 mean diff (> 0.01)": t.seed_difference(net, cat, seed),
            "dream: mask outside max change (<= 1/255)": masked["outside_max"],
            "dream: mask inside mean change (> 0.02)": masked["inside"],
            "dream: mask feather / inside (< 0.5)": masked["edge"] / masked["inside"],
            "dream: preserve_colors luma change (> 0.02)": luma,
            "dream: preserve_colors chroma / luma (< 0.1)": chroma,
            "dream: strongest:4 gain / others' (> 1.5)": o.chosen_over_other_gain(net, cat, params),
            "dream: laplacian=4 mean diff (> 0.01)": difference,
            "dream: laplacian=4 energy gain (> 1.5)": laplacian_gain,
            "dream: guide similarity, guided - unguided (> 0)": similarity["guided"] - similarity["unguided"],
            "dream: guide similarity, strength 20 - 1 (> 0)": similarity["stronger"] - similarity["guided"],
        })
    return rows


@group
def measure_tiles(net) -> dict:
    from tests.engine import test_render as t, test_tiling as tiles

    rows: dict = {}
    # jitter 0: the seed only moves the control's noise, so the pictures are what varies.
    for label, cat, seed in samples(384, 256, seeds=[3, 4], test_seed=3):
        m = tiles.tiling_measures(net, cat, seed)
        collect(rows, label, {"tiles: one step corr (> 0.97)": m["one_step_corr"],
                              "tiles: 4 steps corr - noisy control's (> 0)": m["tiled_corr"] - m["noisy_corr"],
                              "tiles: seam jump / median, x (< 2)": m["seam_x"],
                              "tiles: seam jump / median, y (< 2)": m["seam_y"]})
    for label, small, seed in samples(192, 128, seeds=[1], test_seed=1):
        following, fixed = t.two_resolution_correlations(net, small, seed)
        collect(rows, label, {"resolutions: following corr (> 0.4)": following, "resolutions: fixed corr": fixed,
                              "resolutions: following / fixed (> 2)": following / fixed})
    return rows


@group
def measure_counter_tiles(net) -> dict:
    """The tiling test's counter-case: tiles cut hard in the middle of their overlap instead of blended (the
    engine's blending weights patched here, for this measurement only)."""
    import torch

    from dreamlayer.engine import tiling
    from tests.engine import test_tiling as t

    original = tiling._ramp

    def hard(length, overlap, ramp_start, ramp_end, device):
        weight = torch.ones(length, device=device)
        if ramp_start:
            weight[:overlap // 2] = 0.0
        if ramp_end:
            weight[length - overlap // 2:] = 0.0
        return weight

    rows: dict = {}
    for case, patch in [("hard-cut tiles", lambda: setattr(tiling, "_ramp", hard))]:
        patch()
        try:
            for name in ["cat", "look"]:
                m = t.tiling_measures(net, picture(name, 384, 256))
                collect(rows, name, {f"COUNTER {case}: one step corr": m["one_step_corr"],
                                     f"COUNTER {case}: 4 steps corr - noisy control's": m["tiled_corr"] - m["noisy_corr"],
                                     f"COUNTER {case}: seam jump / median, x": m["seam_x"],
                                     f"COUNTER {case}: seam jump / median, y": m["seam_y"]})
        finally:
            tiling._ramp = original
    return rows


@group
def measure_steps(net) -> dict:
    from tests.engine import test_steps as t

    rows: dict = {}
    triples = [(5, 6, 7), (1, 2, 3), (2, 3, 4), (3, 4, 5), (8, 9, 10)]
    for label, cat, seeds in [(f"cat s{a}-{c}", picture("cat", 300, 180), (a, b, c)) for a, b, c in triples] + \
            [(name, picture(name, 300, 180), triples[0]) for name in OTHER_PICTURES]:
        m = t.bucket_padding_measures(net, cat, seeds)
        collect(rows, label, {"buckets: one step corr (> 0.985)": m["one_step_corr"],
                              "buckets: 3 seeds' mean energy gain ratio - 1 (signed)": m["gain_ratio"] - 1,
                              "buckets: |3 seeds' mean energy gain ratio - 1| (< 0.04)": abs(m["gain_ratio"] - 1),
                              "buckets: bottom edge / inside (< 1.3)": m["bottom_edge"],
                              "buckets: right edge / inside (< 1.3)": m["right_edge"]})
    for name in ["cat", *OTHER_PICTURES]:
        for size in [(160, 96), (200, 120)]:
            alone, masked, unmasked = t.padded_edge_pulls(net, picture(name, *size))
            edges = list(zip(alone, masked, unmasked))
            collect(rows, f"{name} {size[0]}x{size[1]}", {
                "padding: share of the padding's pull left masked, (m - a) / (u - a) (< 0.5)": max((m - a) / (u - a) for a, m, u in edges),
                "padding: unmasked / masked, worst edge (> 1.2)": min(u / m for a, m, u in edges)})
    return rows


@group
def measure_counter_buckets(net) -> dict:
    """The bucket test's counter-case: where a patch is padded by 16 columns or more (only the GPU policy's buckets
    pad 300 columns that far: to 320, where the CPU pads to 304) the padding is white and not masked out of the
    objective. The engine is patched here, for this measurement only."""
    import torch

    from dreamlayer.engine import steps, tiling

    from tests.engine import test_steps as t

    originals = {"visible": steps.visible, "_pad_to": tiling._pad_to}

    def visible(activation, stride, valid):
        if activation.shape[-1] * stride - int(valid[1]) >= 16:
            return torch.ones_like(activation[:1, :1])
        return originals["visible"](activation, stride, valid)

    def pad_to(image, height, width):
        if width - image.shape[-1] >= 16:
            return torch.nn.functional.pad(image, (0, width - image.shape[-1], 0, height - image.shape[-2]), value=1.0)
        return originals["_pad_to"](image, height, width)

    steps.visible, tiling._pad_to = visible, pad_to
    try:
        rows: dict = {}
        for label, cat in [("cat s5-7", picture("cat", 300, 180)), ("look s5-7", picture("look", 300, 180))]:
            m = t.bucket_padding_measures(net, cat)
            collect(rows, label, {"COUNTER bucket padding white, unmasked: one step corr": m["one_step_corr"],
                                  "COUNTER bucket padding white, unmasked: 3 seeds' energy gain ratio - 1": m["gain_ratio"] - 1,
                                  "COUNTER bucket padding white, unmasked: bottom edge / inside": m["bottom_edge"],
                                  "COUNTER bucket padding white, unmasked: right edge / inside": m["right_edge"]})
        return rows
    finally:
        steps.visible, tiling._pad_to = originals["visible"], originals["_pad_to"]


@group
def measure_models(net) -> dict:
    import torch

    from tests.engine.test_efficientnet_lite import IMAGENET_CATS

    rows: dict = {}
    for name in ["cat", "cat-left", "cat-right"]:
        x = torch.from_numpy(picture(name, 224, 224)).permute(2, 0, 1)[None]
        with torch.no_grad():
            probs = net.net((x - 0.5) / 0.5).softmax(1)[0]
        collect(rows, name, {"models: cat classes' probability (> 0.8)": probs[list(IMAGENET_CATS)].sum()})
    return rows


@group
def measure_residency(net) -> dict:
    from dreamlayer.engine import dream
    from dreamlayer.engine.policy import EngineOptions
    from dreamlayer.params import DreamParams
    from tests.engine.test_residency import RecordingTransfers

    rows: dict = {}
    for label, cat, seed in samples(200, 140, seeds=[7, 1, 2], test_seed=7):
        params = DreamParams(seed=seed, octaves=2, steps=2, jitter=8, scale=2.0)
        options = EngineOptions(accelerator=True, band_bytes=200 * 6 * 12 * 16)
        on_gpu = dream(net, cat, params, options=options, transfers=RecordingTransfers(net.device))
        collect(rows, label, {"residency: banded vs CPU max diff (< 1e-4)": np.abs(on_gpu - dream(net, cat, params)).max()})
    return rows


@group
def measure_video(net) -> dict:
    from tests.engine import test_animate as t

    rows: dict = {}
    for seed in SEEDS:
        params = t.PARAMS.replace(seed=seed)
        film, fixed = (t.dream_clip(net, 12, params, follow_motion=follow) for follow in (True, False))
        with_flow, without = t.carried(film), t.carried(fixed)
        changes, details = t.still_flicker(film)
        collect(rows, f"s{seed}", {"video: carried corr with flow (> 0.3)": with_flow, "video: carried corr without flow": without,
                                   "video: with flow - without (> 0.4)": with_flow - without,
                                   "video: still change / detail (< 0.25)": changes / details,
                                   "video: still detail (> 0.01)": details})
    for seed in SEEDS[:3]:
        params = t.PARAMS.replace(seed=seed)
        steady, loose = t.creep(t.dream_clip(net, 100, params)), t.creep(t.dream_clip(net, 100, params, stabilize=False))
        collect(rows, f"s{seed}", {"video creep: detail mean (< 0.01)": steady["detail_mean"],
                                   "video creep: detail spread ratio - 1 (< 0.25)": steady["detail_spread"],
                                   "video creep: frame mean (< 0.03)": steady["frame_mean"],
                                   "video creep: unsteadied spread ratio - 1 (> 0.25)": loose["detail_spread"]})
    return rows


@group
def measure_zoom(net) -> dict:
    from tests.engine import test_zoom as t

    rows: dict = {}
    for label, cat, seed in samples(128, 96, test_seed=2):
        pairs = t.progression(net, cat, t.FAST.replace(seed=seed))
        collect(rows, label, {"zoom: enlarged corr, worst pair (> 0.8)": min(z for z, _ in pairs),
                              "zoom: enlarged - still corr, worst pair (> 0)": min(z - s for z, s in pairs)})
    for seed in SEEDS[:3]:
        params, noise = t.FAST.replace(seed=seed + 1), seed + 2  # the test's: seed 2, noise 3
        steady, loose = t.drift(net, True, noise, params), t.drift(net, False, noise, params)
        collect(rows, f"s{seed + 1} n{noise}", {
            "zoom drift: mean (< 0.03)": steady["mean"],
            "zoom drift: spread vs target (< 0.1)": steady["spread"],
            "zoom drift: spread vs middle (< 0.1)": steady["spread_late"],
            "zoom drift unsteadied: mean / 0.03 or spread / 0.1, larger (> 1)": max(loose["mean"] / 0.03, loose["spread"] / 0.1)})
    return rows


@group
def measure_surfaces(net) -> dict:
    """The CLI's 16-bit and flatten tests and the server's dreamed-at-all checks, through the same commands and
    requests as the tests, with the seed varied; the editors' core_changed by the editors' own request (a raw
    BGRA u8 upload with the feathered selection as mask) on the Krita cases' source picture."""
    import tempfile

    import requests

    from dreamlayer.cli import main
    from dreamlayer.images.deep import decode_16bit, encode_png16
    from tests import test_cli_pictures as cp
    from tests.live_server import TINY, png_bytes, start_server, wait_done
    from PIL import Image

    rows: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        pixels = cp.deep_pixels(alpha=True)
        (folder / "in.png").write_bytes(encode_png16(pixels, cp.SRGB, (300.0, 300.0)))
        for seed in SEEDS:
            fast = [*cp.FAST[:-4], "--seed", str(seed), "--scale", "1"]
            main(["dream", str(folder / "in.png"), str(folder / "out.png"), *fast])
            result = decode_16bit((folder / "out.png").read_bytes(), "PNG", True)
            main(["dream", str(cp.rgba_png(folder, opaque=False)), str(folder / "out.jpg"), *fast, "--flatten", "white"])
            with Image.open(folder / "out.jpg") as image:
                flat = np.asarray(image, np.int16)
            collect(rows, f"s{seed}", {
                "cli 16-bit: not multiples of 257 (> 0.9)": (result[..., :3] % 257 != 0).mean(),
                "cli 16-bit: mean change, 16-bit levels (> 100)": np.abs(result[..., :3].astype(np.int64) - pixels[..., :3]).mean(),
                "cli flatten: transparent column mean (> 245)": flat[:, 0].mean()})

    server = start_server()
    try:
        def dreamed(fields: dict, **request) -> bytes:
            if fields:
                request["data"] = fields
            r = requests.post(f"{server.url}/v1/dreams", timeout=5, **request)
            assert r.status_code == 202, r.text
            assert wait_done(server, r.json()["id"])["state"] == "done"
            return requests.get(f"{server.url}/v1/jobs/{r.json()['id']}/result", timeout=5).content

        upload = png_bytes(64, 48, "RGBA")
        source = np.asarray(Image.open(io_bytes(upload)), np.int16)
        rng = np.random.default_rng(0)
        noise = (rng.random((48, 64, 4)) * 65535).astype("<u2")
        noise[..., 3] = 40000
        grey = np.dstack([(np.full((48, 64, 3), 0.5) * 255).astype(np.uint8), np.full((48, 64), 255, np.uint8)])
        half = np.zeros((48, 64), np.uint8)
        half[:, 32:] = 255
        editor, selection, core = krita_case_picture()
        docker, box = docker_case_picture()
        for seed in SEEDS:
            tiny = {**TINY, "seed": str(seed)}
            png = np.asarray(Image.open(io_bytes(dreamed(tiny, files={"image": ("in.png", upload, "image/png")}))), np.int16)
            fields = {**tiny, "width": "64", "height": "48", "layout": "BGRA", "depth": "u16"}
            raw = np.frombuffer(dreamed(fields, files={"image": ("image.raw", noise.tobytes(), "application/octet-stream")}), "<u2").reshape(48, 64, 4)
            query = {**tiny, "width": 64, "height": 48, "mask_depth": "u8", "steps": 4}
            bare = np.frombuffer(dreamed({}, params=query, data=grey.tobytes() + half.tobytes(),
                                         headers={"Content-Type": "application/octet-stream"}), np.uint8).reshape(48, 64, 4)
            fields = {"preset": "classic", "octaves": "1", "steps": "4", "step_size": "6", "seed": str(seed),
                      "width": "96", "height": "64", "layout": "BGRA", "depth": "u8", "mask_depth": "u8"}
            files = {"image": ("image.raw", editor.tobytes(), "application/octet-stream"),
                     "mask": ("mask.raw", selection.tobytes(), "application/octet-stream")}
            layer = np.frombuffer(dreamed(fields, files=files), np.uint8).reshape(64, 96, 4)
            fields = {"preset": "gentle", "steps": "3", "step_size": "6", "seed": str(seed),
                      "width": "96", "height": "64", "layout": "BGRA", "depth": "u8", "mask_depth": "u8"}
            files = {"image": ("image.raw", docker.tobytes(), "application/octet-stream"),
                     "mask": ("mask.raw", box.tobytes(), "application/octet-stream")}
            soft = np.frombuffer(dreamed(fields, files=files), np.uint8).reshape(64, 96, 4)
            edge, middle = docker_edge_and_core_change(docker, soft)
            collect(rows, f"s{seed}", {
                "server png: mean change, levels (> 0.5)": np.abs(png[..., :3] - source[..., :3]).mean(),
                "server raw u16: mean change, 16-bit levels (> 100)": np.abs(raw[..., :3].astype(np.int64) - noise[..., :3]).mean(),
                "server bare+mask: mean change inside, levels (> 0.5)": np.abs(bare[:, 32:, :3].astype(int) - grey[:, 32:, :3]).mean(),
                "editors u8: core pixels changed (> 0.9)": (layer[core] != editor[core]).any(axis=-1).mean(),
                "krita docker: hard box's core change, levels (> 2)": middle,
                "krita docker: box edge / core change (< 0.25)": edge / middle})
    finally:
        server.stop()
    return rows


def io_bytes(data: bytes):
    import io

    return io.BytesIO(data)


def krita_case_picture() -> tuple[np.ndarray, np.ndarray, tuple[slice, slice]]:
    """tests/krita/krita_cases.py's source picture (B,G,R,A u8), feathered selection and selection core, made
    by its own formulas (that module runs only inside Krita)."""
    width, height, (x0, y0, w, h), feather = 96, 64, (24, 16, 48, 32), 6
    y, x = np.indices((height, width))
    r, g, b = (x * 7 % 64) / 80 + 0.1, (y * 5 % 48) / 70 + 0.2, ((x + y) % 32) / 50 + 0.15
    bgra = (np.dstack([b, g, r, np.ones_like(r)]) * 255 + 0.5).astype(np.uint8)
    inside = np.minimum.reduce([x - x0, x0 + w - 1 - x, y - y0, y0 + h - 1 - y])
    mask = np.where(inside >= 0, np.minimum(255, (255 * (inside + 1)) // feather), 0).astype(np.uint8)
    return bgra, mask, (slice(y0 + feather, y0 + h - feather), slice(x0 + feather, x0 + w - feather))


BOX = (24, 16, 48, 32)  # tests/krita/docker_cases.py's hard-edged selection: x, y, w, h


def docker_case_picture() -> tuple[np.ndarray, np.ndarray]:
    """tests/krita/docker_cases.py's pattern (B,G,R,A u8) and its hard-edged box selection."""
    y, x = np.indices((64, 96))
    bgra = np.dstack([x * 7 % 256, y * 5 % 256, (x + y) * 3 % 256, np.full_like(x, 255)]).astype(np.uint8)
    x0, y0, w, h = BOX
    mask = np.zeros((64, 96), np.uint8)
    mask[y0:y0 + h, x0:x0 + w] = 255
    return bgra, mask


def docker_edge_and_core_change(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """docker_cases.edge_and_core_change on arrays: mean channel change along the box's outermost pixels, and in
    its middle half."""
    x0, y0, w, h = BOX
    change = np.abs(after[..., :3].astype(int) - before[..., :3]).mean(axis=-1)
    ring = np.zeros(change.shape, bool)
    ring[y0:y0 + h, x0:x0 + w] = True
    ring[y0 + 1:y0 + h - 1, x0 + 1:x0 + w - 1] = False
    return float(change[ring].mean()), float(change[y0 + h // 4:y0 + 3 * h // 4, x0 + w // 4:x0 + 3 * w // 4].mean())


def child(names: list[str], out: Path) -> None:
    import torch

    from dreamlayer.engine import load_model
    import tests.conftest  # noqa: F401  (the tests' thread setting)

    net = load_model("lite0", "cpu")
    results = {"threads": torch.get_num_threads(), "groups": {}}
    for name in names:
        started = time.process_time()
        rows = GROUPS[name](net)
        results["groups"][name] = {"rows": rows, "cpu_s": time.process_time() - started}
        print(f"  {name}: {time.process_time() - started:.0f} s CPU", file=sys.stderr, flush=True)
    out.write_text(json.dumps(results))


def threshold_of(quantity: str) -> tuple[str, float] | None:
    """'(> 0.8)' / '(< 1e-4)' / '(<= 1/255)' at the end of a quantity's name: (direction, value)."""
    if not quantity.endswith(")") or "(" not in quantity:
        return None
    words = quantity[quantity.rindex("(") + 1:-1].split()
    if len(words) != 2 or words[0] not in ("<", ">", "<=", ">="):
        return None
    sign, value = words
    return sign, float(eval(value, {}))  # noqa: S307 (our own literals: 1/255, 1e-3)


def table(runs: list[dict]) -> str:
    lines = ["| quantity (threshold) | n | min | median | max | margin left | worst at |", "|---|---|---|---|---|---|---|"]
    names = list(runs[0]["groups"])
    for name in names:
        quantities = runs[0]["groups"][name]["rows"]
        for quantity in quantities:
            values = [(f"{label} t{run['threads']}", v) for run in runs for label, v in run["groups"][name]["rows"][quantity]]
            numbers = np.array([v for _, v in values])
            found = threshold_of(quantity)
            margin, worst = "—", ""
            if found:
                sign, limit = found
                index = int(numbers.argmin() if ">" in sign else numbers.argmax())
                left = numbers[index] - limit if ">" in sign else limit - numbers[index]
                relative = f" ({left / abs(limit):.0%})" if limit else ""
                margin, worst = f"{left:.3g}{relative}", values[index][0]
            lines.append(f"| {quantity} | {len(numbers)} | {numbers.min():.4g} | {np.median(numbers):.4g} | "
                         f"{numbers.max():.4g} | {margin} | {worst} |")
    cpu = ", ".join(f"{name} {sum(run['groups'][name]['cpu_s'] for run in runs):.0f}" for name in names)
    return "\n".join(lines) + f"\n\nCPU seconds per group, both thread counts: {cpu}.\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(GROUPS), choices=list(GROUPS))
    parser.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--raw", type=Path, help="also write every measured value, by label, to this JSON file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.only, args.child)
        return
    runs = []
    for threads in args.threads:
        out = Path(f"/tmp/test_margins-{os.getpid()}-t{threads}.json")
        print(f"OMP_NUM_THREADS={threads}:", file=sys.stderr, flush=True)
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        subprocess.run([sys.executable, __file__, "--child", str(out), "--only", *args.only], env=env, check=True)
        runs.append(json.loads(out.read_text()))
        out.unlink()
    if args.raw:
        args.raw.write_text(json.dumps(runs, indent=1))
    print(table(runs))


if __name__ == "__main__":
    main()
