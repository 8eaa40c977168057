"""The worker's side of a dream job: models kept warm, the engine run, GPU out-of-memory handled, results encoded."""

from __future__ import annotations

import gc
import io
import logging
import tempfile
import threading
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..engine import DreamNet, dream, load_model
from ..engine.devices import DEFAULT_TILE
from ..engine.animate import FrameDreamer
from ..engine.zoom import noise_picture, zoom_frames
from ..errors import DreamlayerError
from ..images import Picture, SettingsRecord, encode_picture, to_uint8
from ..video import MIME_TYPES, FrameWriter
from .jobs import Job, JobQueue, Result
from .pixels import encode_raw
from .uploads import DreamRequest, VideoRequest, ZoomRequest

log = logging.getLogger("dreamlayer.server")
SMALLEST_RETRY_TILE = 256


class GpuOutOfMemory(DreamlayerError):
    code = "gpu_out_of_memory"


class DreamRunner:
    """Runs dream jobs on one device. Models are loaded once and kept; only the worker thread calls ``__call__``."""

    def __init__(self, device: torch.device, warm_model: str | None = "lite0"):
        self.device = device
        self._nets: dict[str, DreamNet] = {}
        self._lock = threading.Lock()
        if warm_model:
            self.net(warm_model)

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
        return {"zoom": self.zoom, "video": self.video}.get(job.kind, self.dream)(job, queue)

    def video(self, job: Job, queue: JobQueue) -> Result:
        """Each frame dreamed in turn and kept as PNG for fetching, then the film of them all."""
        request: VideoRequest = job.request
        dreamer = FrameDreamer(self.net(request.params.model), request.params, request.settings,
                               progress=lambda p: queue.report_progress(job, p), cancelled=job.should_stop)
        with tempfile.TemporaryDirectory(prefix="dreamlayer-video-") as scratch:
            path = Path(scratch) / f"video.{request.settings.format}"
            with FrameWriter(path, request.settings.fps or 24.0) as writer:
                for frame in request.frames:
                    dreamed = dreamer(frame)
                    writer.write(dreamed)
                    queue.report_frame(job, _preview_png(torch.from_numpy(dreamed).permute(2, 0, 1)))
            return Result(path.read_bytes(), MIME_TYPES[request.settings.format])

    def zoom(self, job: Job, queue: JobQueue) -> Result:
        """Stream the frames to a video file in a scratch folder, keep each as PNG for fetching, return the film."""
        request: ZoomRequest = job.request
        net = self.net(request.params.model)
        start = request.start if request.start is not None else noise_picture(request.width, request.height, request.params.seed)
        with tempfile.TemporaryDirectory(prefix="dreamlayer-zoom-") as scratch:
            path = Path(scratch) / f"zoom.{request.settings.format}"
            with FrameWriter(path, request.settings.fps) as writer:
                for frame in zoom_frames(net, start, request.params, request.settings,
                                         progress=lambda p: queue.report_progress(job, p), cancelled=job.should_stop):
                    writer.write(frame)
                    queue.report_frame(job, _preview_png(torch.from_numpy(frame).permute(2, 0, 1)))
            return Result(path.read_bytes(), MIME_TYPES[request.settings.format])

    def dream(self, job: Job, queue: JobQueue) -> Result:
        request: DreamRequest = job.request
        net = self.net(request.params.model)

        def run(params):
            return dream(
                net, request.picture.rgb, params, mask=request.mask, guide=request.guide, mask_open_sides=request.open_sides,
                progress=lambda p: queue.report_progress(job, p),
                preview=lambda _octave, image: queue.report_preview(job, _preview_png(image)),
                cancelled=job.should_stop,
            )

        params, rgb = request.params, None
        for attempt in range(2):
            try:
                rgb = run(params)
                break
            except torch.OutOfMemoryError:
                # Retry outside the except block: a held exception keeps the failed step's tensors alive.
                pass
            _release_gpu_memory()
            if attempt == 0:
                smaller = max(SMALLEST_RETRY_TILE, (params.tile or DEFAULT_TILE) // 2)
                log.warning("job %s ran out of GPU memory; retrying with %d-pixel tiles", job.id, smaller)
                params = params.replace(tile=smaller)
        if rgb is None:
            raise GpuOutOfMemory("The GPU ran out of memory, even with smaller tiles. Try a smaller picture or a larger feature scale.")
        settings = SettingsRecord(params.to_dict(), request.guide_print, request.mask_print)
        return encode_result(request, request.picture.with_pixels(rgb), settings)


def encode_result(request: DreamRequest, picture: Picture, settings: SettingsRecord) -> Result:
    """The result in the form of the upload: raw bytes in the same layout and depth, or the same file format;
    either way with the seed that ran in a header."""
    seed = {"X-Dreamlayer-Seed": str(request.params.seed)}
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
