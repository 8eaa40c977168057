"""The Flask application factory; ``dreamlayer serve`` runs the app under waitress (serve.py)."""

from __future__ import annotations

import time
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import torch
from flask import Flask

from ..atlas import default_cache_folder
from ..engine import pick_device
from ..engine.policy import EngineOptions
from .dreaming import DreamRunner
from .errors import register_error_handlers
from .films import FilmFolder
from .forms import StrictRequest
from .jobs import JobQueue
from .lifetime import Activity
from .atlas_maker import AtlasMaker
from .atlas_routes import atlas as atlas_routes
from .live_lanes import LiveLanes
from .live_routes import live as live_routes
from .routes import v1
from .security import init_security
from .services import EXTENSION_KEY, Services
from .streams import StreamGate
from .limits import Limits

DEFAULTS: dict[str, Any] = {
    "HOST": "127.0.0.1",
    "PORT": 37326,
    "TOKEN": None,
    "DEVICE": "auto",
    "WARM_MODEL": "lite0",
    "MAX_UPLOAD_BYTES": 512 * 2**20,  # a dream's or zoom's body: a 8192² RGBA u16 layer with its mask
    # A video's body: its frames go to disk as they are read. 4K frames as PNG are 10-25 MB: a few seconds' worth.
    "MAX_VIDEO_UPLOAD_BYTES": 4 * 2**30,
    "MAX_VIDEO_FRAMES": 10_000,  # a video's frames: multipart parts, each a file the parser opens
    "MAX_PIXELS": 8192 * 8192,
    # Network pixels × steps. The classic preset costs ~20 M; this allows ~100 of those in one job.
    "MAX_COST": 2_000_000_000,
    # Where films' job folders go (a fresh folder inside it, removed when the server stops); None: the temp folder.
    "FILM_FOLDER": None,
    "FILM_DISK": None,  # the most bytes the films' folders may hold together; None: whatever the disk has free
    "MAX_QUEUED": 8,
    "RESULT_TTL": 600.0,  # seconds a finished job stays fetchable, however many jobs come after it
    # Bytes of kept results, zoom frames and previews; beyond it the oldest go first (see retention.py).
    "MAX_KEPT_BYTES": 2**30,
    "MAX_STREAMS": 32,  # event streams open at once; each holds a waitress thread (see streams.py)
    "CONNECTION_LIMIT": 1000,  # open connections, idle or slow ones included (see serve.py)
    "CHANNEL_TIMEOUT": 30,  # seconds before an idle or stalled connection is closed
    # GPU memory (GiB) a dream may plan for; None: 85 % of what the card has free. Pictures whose network view
    # fits are dreamed whole (fastest); larger ones in the largest tiles that fit.
    "GPU_MEMORY_BUDGET": None,
    "WARM_UP": True,  # on a CUDA GPU: choose kernels and capture graphs for common shapes at start-up
    "COMPILE": False,  # torch.compile the network per shape: tens of seconds per new shape, so off by default
    # A Ray cluster to dream on (serve --cluster): "auto" (this machine's Ray, or one started for the server), or its
    # head's HOST:PORT; None: this machine's device. Live dreams and atlases stay on this machine's device.
    "CLUSTER": None,
    "WORKER_CPUS": 1,  # a cluster's CPU workers: cores (and torch threads) each
    "CLUSTER_WORKERS": None,  # at most this many workers; None: one per GPU, or per WORKER_CPUS cores
    "CACHE_FOLDER": None,  # where channel atlases are kept; None: $DREAMLAYER_CACHE or the user's cache folder
}
# Form parts beside a video's frames: its settings, each at most once (duplicates are refused).
FORM_FIELDS = 100


def largest_upload(config: Mapping[str, Any]) -> int:
    """The largest body any route takes: what waitress refuses beyond from its Content-Length, unread."""
    return max(config["MAX_UPLOAD_BYTES"], config["MAX_VIDEO_UPLOAD_BYTES"])


def engine_options(config: Mapping[str, Any]) -> EngineOptions:
    """The engine's device options from the server's configuration."""
    budget = config.get("GPU_MEMORY_BUDGET")
    return EngineOptions(memory_budget=int(float(budget) * 2**30) if budget else None,
                         compile_backend="inductor" if config.get("COMPILE") else None)


def create_app(config: Mapping[str, Any] | None = None, runner: DreamRunner | None = None) -> Flask:
    """Build the app, load the warm model and start the worker. ``runner`` replaces the real one in tests."""
    app = Flask(__name__)
    app.request_class = StrictRequest
    app.config.from_mapping(DEFAULTS)
    app.config.update(config or {})
    app.config["MAX_CONTENT_LENGTH"] = largest_upload(app.config)  # each route's own cap: limits.check_upload_size
    app.config["MAX_FORM_MEMORY_SIZE"] = 1 * 2**20  # plain form fields; files are counted by MAX_CONTENT_LENGTH
    app.config["MAX_FORM_PARTS"] = app.config["MAX_VIDEO_FRAMES"] + FORM_FIELDS
    # When this server started (seconds since the epoch), in /v1/health: a plugin that sees it change knows the
    # server restarted (and forgot its jobs) even if it never saw it go.
    app.config["STARTED"] = time.time()
    app.debug = False  # never: the Werkzeug debugger runs code for whoever can reach it
    app.json.sort_keys = False  # keep the model's order: presets gentle to deep, settings as an editor shows them

    cluster = _join_cluster(app.config) if app.config["CLUSTER"] else None
    # On a cluster, this machine's own device makes live dreams and atlases only: its model loads when first asked.
    runner = runner or DreamRunner(pick_device(app.config["DEVICE"]), None if cluster else app.config["WARM_MODEL"],
                                   options=engine_options(app.config), warm_up=app.config["WARM_UP"])
    queue = JobQueue(cluster or runner, app.config["MAX_QUEUED"], app.config["RESULT_TTL"], app.config["MAX_KEPT_BYTES"],
                     workers=cluster.workers if cluster else 1, local_device=cluster is None)
    limits = Limits(app.config["MAX_PIXELS"], app.config["MAX_COST"],
                    FilmFolder(app.config["FILM_FOLDER"], app.config["FILM_DISK"]), app.config["MAX_UPLOAD_BYTES"],
                    app.config["MAX_VIDEO_UPLOAD_BYTES"], app.config["MAX_VIDEO_FRAMES"],
                    torch.device((cluster or runner).device).type)
    activity = Activity()
    atlas_maker = AtlasMaker(lambda name: runner.net(name), queue, Path(app.config["CACHE_FOLDER"] or default_cache_folder()))
    live = LiveLanes(lambda job, memory, stop: job.run(runner, memory, stop), queue.turn)
    app.extensions[EXTENSION_KEY] = Services(queue, runner, limits, StreamGate(app.config["MAX_STREAMS"]), activity,
                                             atlas_maker, live, cluster)
    app.before_request(activity.touch)
    init_security(app)
    register_error_handlers(app)
    app.register_blueprint(v1)
    app.register_blueprint(atlas_routes)
    app.register_blueprint(live_routes)
    queue.start()
    return app


def _join_cluster(config: Mapping[str, Any]) -> Any:
    from ..cluster import ClusterOptions, start_cluster  # Ray is imported here only: never without --cluster

    return start_cluster(ClusterOptions(config["CLUSTER"], config["WORKER_CPUS"], config["CLUSTER_WORKERS"],
                                        config["WARM_MODEL"]), engine_options(config))
