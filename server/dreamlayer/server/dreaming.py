"""The worker's side of a dream job: models kept warm, the engine run, GPU out-of-memory handled, results encoded.

On a CUDA GPU the runner warms up at start-up, on a thread of its own so the server answers meanwhile: it turns
on cuDNN's kernel search (whose one-time cost, 15 s and more on the first dream, belongs here and not in an
artist's first dream) and dreams once on a grey picture of each common shape, so that the buckets those
pictures fall into have their kernels chosen and their CUDA graphs captured. Jobs wait for the warm-up.
"""

from __future__ import annotations

import gc
import io
import logging
import threading
import time
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from ..engine import DreamNet, dream, load_model
from ..engine.animate import FrameDreamer
from ..engine.devices import DEFAULT_TILE, enable_kernel_search
from ..engine.policy import EngineOptions
from ..engine.steps import WARMUP_RUNS
from ..engine.zoom import noise_picture, zoom_frames
from ..errors import DreamlayerError
from ..images import Picture, SettingsRecord, encode_picture, to_uint8
from ..params import preset_params
from ..video import MIME_TYPES, BackgroundFrames, FrameWriter
from .job import Job, Result
from .jobs import JobQueue
from .pixels import encode_raw
from .dream_requests import DreamRequest
from .film_requests import VideoRequest, ZoomRequest

log = logging.getLogger("dreamlayer.server")
SMALLEST_RETRY_TILE = 256
# Pictures a default dream's network view takes the shape of (long side 1024, see params.dream.default_scale): square,
# 5:4, 4:3, 3:2, 16:9 and 2:1, both ways up.
WARM_UP_SHAPES = [(1024, 1024), *((1024, short) for short in (819, 768, 683, 576, 512)),
                  *((short, 1024) for short in (819, 768, 683, 576, 512))]


class GpuOutOfMemory(DreamlayerError):
    code = "gpu_out_of_memory"


class DreamRunner:
    """Runs dream jobs on one device. Models are loaded once and kept; only the worker thread calls ``__call__``."""

    def __init__(self, device: torch.device, warm_model: str | None = "lite0", *, options: EngineOptions | None = None,
                 warm_up: bool = True):
        self.device = device
        self.options = options or EngineOptions()
        self._nets: dict[str, DreamNet] = {}
        self._lock = threading.Lock()
        self._warm = threading.Event()
        self.warm_up_seconds: float | None = None
        if warm_model:
            self.net(warm_model)
        if warm_model and warm_up and device.type == "cuda":
            threading.Thread(target=self._warm_up, args=(warm_model,), name="dreamlayer-warm-up", daemon=True).start()
        else:
            self._warm.set()

    def _warm_up(self, model: str) -> None:
        start = time.perf_counter()
        try:
            enable_kernel_search(self.device)
            net = self.net(model)
            for height, width in WARM_UP_SHAPES:
                # scale 1 on a 1024-sided picture gives the network view a default dream of that shape gets.
                params = preset_params().replace(seed=0, scale=1.0, steps=WARMUP_RUNS + 2)
                dream(net, np.full((height, width, 3), 0.5, np.float32), params, options=self.options)
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            self.warm_up_seconds = time.perf_counter() - start
            log.info("GPU warm-up: %d shapes in %.1f s", len(WARM_UP_SHAPES), self.warm_up_seconds)
        except Exception:  # noqa: BLE001 - a failed warm-up costs speed, never service
            log.exception("GPU warm-up failed; dreams will run, the first ones slower")
        finally:
            self._warm.set()

    def wait_until_warm(self, timeout: float | None = None) -> bool:
        return self._warm.wait(timeout)

    def net(self, name: str) -> DreamNet:
        with self._lock:
            if name not in self._nets:
                self._nets[name] = load_model(name, self.device)
            return self._nets[name]

    @property
    def loaded_models(self) -> list[str]:
        # No lock: the worker holds it for the seconds a model takes to load, and /v1/health must not wait for that.
        # Copying a dict's keys is atomic under the GIL, and a model is added to it only once it has loaded.
        return list(self._nets)

    def __call__(self, job: Job, queue: JobQueue) -> Result:
        self._warm.wait()  # a capture must not share the GPU with a job
        return {"zoom": self.zoom, "video": self.video}.get(job.kind, self.dream)(job, queue)

    def video(self, job: Job, queue: JobQueue) -> Result:
        """Each frame read from the job folder, dreamed in turn and kept there as PNG for fetching, then the film of
        them all, written there too as the frames come."""
        request: VideoRequest = job.request
        dreamer = FrameDreamer(self.net(request.dream.params.model), request.dream, request.settings,
                               progress=lambda p: queue.report_progress(job, p), cancelled=job.should_stop,
                               options=self.options)
        path = request.store.film_path(request.settings.format)
        with FrameWriter(path, request.settings.fps or 24.0) as writer, BackgroundFrames(self._keeper(job, queue, writer)) as frames:
            for frame in request.source_frames():
                frames.put(dreamer(frame))
        return Result(b"", MIME_TYPES[request.settings.format], path=path)

    @staticmethod
    def _keeper(job: Job, queue: JobQueue, writer: FrameWriter) -> Callable[[np.ndarray], None]:
        """Each finished frame into the film and, as PNG, to its fetchers: on the frames' own thread, so encoding
        overlaps the next frame's dream."""
        def keep(frame: np.ndarray) -> None:
            writer.write(frame)
            queue.report_frame(job, _preview_png(torch.from_numpy(frame).permute(2, 0, 1)))

        return keep

    def zoom(self, job: Job, queue: JobQueue) -> Result:
        """Stream the frames to the film in the job folder and keep each there as PNG for fetching."""
        request: ZoomRequest = job.request
        net = self.net(request.dream.params.model)
        start = request.start if request.start is not None else noise_picture(request.width, request.height, request.dream.params.seed)
        path = request.store.film_path(request.settings.format)
        with FrameWriter(path, request.settings.fps) as writer, BackgroundFrames(self._keeper(job, queue, writer)) as frames:
            for frame in zoom_frames(net, start, request.dream, request.settings, options=self.options,
                                     progress=lambda p: queue.report_progress(job, p), cancelled=job.should_stop):
                frames.put(frame)
        return Result(b"", MIME_TYPES[request.settings.format], path=path)

    def dream(self, job: Job, queue: JobQueue) -> Result:
        request: DreamRequest = job.request
        net = self.net(request.dream.params.model)
        with Previews(lambda png: queue.report_preview(job, png)) as previews:
            return self._dream(job, request, net, queue, previews)

    def _dream(self, job: Job, request: DreamRequest, net: DreamNet, queue: JobQueue, previews: Previews) -> Result:
        def run(resolved):
            return dream(
                net, request.picture.rgb, resolved, mask=request.mask, guide=request.guide, mask_open_sides=request.open_sides,
                progress=lambda p: queue.report_progress(job, p), preview=previews,
                cancelled=job.should_stop, options=self.options,
            )

        resolved, rgb = request.dream, None
        for attempt in range(2):
            try:
                rgb = run(resolved)
                break
            except torch.OutOfMemoryError:
                # Retry outside the except block: a held exception keeps the failed step's tensors alive.
                pass
            _release_gpu_memory()
            if attempt == 0:
                smaller = max(SMALLEST_RETRY_TILE, (resolved.params.tile or DEFAULT_TILE) // 2)
                log.warning("job %s ran out of GPU memory; retrying with %d-pixel tiles", job.id, smaller)
                resolved = resolved.with_tile(smaller)
        if rgb is None:
            raise GpuOutOfMemory("The GPU ran out of memory, even with smaller tiles. Try a smaller picture or a larger feature scale.")
        settings = SettingsRecord(resolved.params.to_dict(), request.guide_print, request.mask_print)
        return encode_result(request, request.picture.with_pixels(rgb), settings)


class Previews:
    """A dream's octave previews, encoded and reported on a thread of their own, so the dream never waits for a
    download and a PNG encoder (20–30 ms for a 1024² preview, a quarter of a GPU dream). While one is encoded only
    the newest waits; the last one is always sent, before the block is left."""

    def __init__(self, report: Callable[[bytes], None]):
        self._report = report
        self._latest: torch.Tensor | None = None
        self._closed = False
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="dreamlayer-previews", daemon=True)

    def __enter__(self) -> Previews:
        self._thread.start()
        return self

    def __call__(self, _octave: int, image: torch.Tensor) -> None:
        with self._ready:
            self._latest = image
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                self._ready.wait_for(lambda: self._latest is not None or self._closed)
                image, self._latest = self._latest, None
            if image is None:
                return
            try:
                self._report(_preview_png(image))
            except Exception:  # noqa: BLE001 - a lost preview must not fail the dream
                log.exception("could not send a preview")

    def __exit__(self, *_exc) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join()


def encode_result(request: DreamRequest, picture: Picture, settings: SettingsRecord) -> Result:
    """The result in the form of the upload: raw bytes in the same layout and depth, or the same file format;
    either way with the seed that ran in a header."""
    seed = {"X-Dreamlayer-Seed": str(request.dream.params.seed)}
    if request.raw_format is not None:
        fmt = request.raw_format
        headers = {"X-Dreamlayer-Width": str(fmt.width), "X-Dreamlayer-Height": str(fmt.height),
                   "X-Dreamlayer-Layout": fmt.layout, "X-Dreamlayer-Depth": fmt.depth, **seed}
        return Result(encode_raw(picture, fmt), "application/octet-stream", headers)
    image_format = request.image_format or "PNG"
    return Result(encode_picture(picture, image_format, settings.to_json()), Image.MIME[image_format], seed)


def _preview_png(image: torch.Tensor) -> bytes:
    pixels = to_uint8(image.permute(1, 2, 0).float().cpu().numpy())
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels), "RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _release_gpu_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
