"""Live Dream's settings: how much smaller and quicker a live dream is than the dream Keep makes of it.

A live dream is the artist's dream made for speed while they paint: the network sees the picture at the live size
(its long side; the device's default when 0), with at most ``live_octaves`` scales of ``live_steps`` iterations
each, each iteration stronger in proportion so the look stays near the full dream's. The seed is fixed for a lane
when the dream's is left to chance, so a stroke changes the dream near the stroke only. ``live_pause`` is the
editor's: how long the canvas must rest before it asks.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from typing import ClassVar

from dreamlayer_editor.layers import DRAWN_SEEDS

from .dream import MAX_FEATURE_SCALE, DreamParams
from .knobs import Knobs, knob
from .resolved import ResolvedDream, resolve_dream

# The network's view on a CPU and on a GPU: what keeps a 1024² canvas's live dream near half a second on two CPU
# cores and near a tenth of a second on one GPU (bench/RESULTS.md, "live").
LIVE_SIZE_CPU, LIVE_SIZE_GPU = 384, 1024
STRONGEST_STEP = next(setting.knob.hi for setting in DreamParams.settings() if setting.name == "step_size")


@dataclass(frozen=True)
class LiveSettings(Knobs):
    live_size: int = knob(0, "Live size", "The long side, in pixels, at which the network sees the canvas while Live "
                          f"is on: smaller is quicker and coarser. 0: {LIVE_SIZE_CPU} on a CPU, {LIVE_SIZE_GPU} on a GPU.",
                          lo=0, hi=4096, step=64, section="live")
    live_octaves: int = knob(2, "Live scales", "At most this many scales in a live dream.", lo=1, hi=12, section="live")
    live_steps: int = knob(3, "Live iterations", "Iterations per scale in a live dream; each is stronger in proportion.",
                           lo=1, hi=50, section="live")
    live_pause: float = knob(0.25, "Live pause", "Seconds the canvas must rest before Live dreams it again.",
                             lo=0.05, hi=5.0, step=0.05, section="live")

    KIND: ClassVar[str] = "live dream"

    def network_side(self, device_type: str) -> int:
        """The long side the network sees: the setting, or the device's default."""
        return self.live_size or (LIVE_SIZE_CPU if device_type == "cpu" else LIVE_SIZE_GPU)


def lane_seed(lane: str) -> int:
    """A lane's own fixed seed, for dreams whose seed is left to chance."""
    return zlib.crc32(lane.encode()) % DRAWN_SEEDS


def live_version(full: ResolvedDream, live: LiveSettings, device_type: str, size: tuple[int, int], document: tuple[int, int] | None) -> ResolvedDream:
    """The live dream of ``full`` (the dream as its request resolved it) for a picture of ``size`` (width, height).

    Never dearer than ``full``: a larger feature scale of the artist's stays, and so do fewer scales or iterations.
    Fewer iterations are each stronger, so the live dream changes the picture about as much (up to the strongest
    step the Strength knob allows).
    The seed is ``full``'s: a live request that leaves it to chance gets its lane's (``lane_seed``)."""
    params: DreamParams = full.params
    long_side = max(document or size)
    scale = min(MAX_FEATURE_SCALE, max(params.scale or 0.0, long_side / live.network_side(device_type)))
    steps = min(params.steps, live.live_steps)
    lighter = replace(params, scale=scale, octaves=min(params.octaves, live.live_octaves), steps=steps,
                      step_size=min(STRONGEST_STEP, params.step_size * params.steps / steps))
    return resolve_dream(lighter, *size, document)
