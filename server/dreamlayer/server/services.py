"""What the app holds while it runs (the job queue, the runner, the limits, the stream gate), kept in ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from .atlas_maker import AtlasMaker
from .dreaming import DreamRunner
from .jobs import JobQueue
from .lifetime import Activity
from .live_lanes import LiveLanes
from .streams import StreamGate
from .limits import Limits

EXTENSION_KEY = "dreamlayer"


@dataclass
class Services:
    queue: JobQueue
    runner: DreamRunner
    limits: Limits
    streams: StreamGate
    activity: Activity
    atlas: AtlasMaker
    live: LiveLanes
    cluster: Any = None  # the ClusterRunner on a cluster (serve --cluster); typed loosely so Ray is never imported here


def services() -> Services:
    return current_app.extensions[EXTENSION_KEY]
