"""What the docker says while a dream runs: its place in line, the frame, the scale, the time left."""

from __future__ import annotations

import math

from dreamlayer_editor.protocol import JobStatus


def progress_text(status: JobStatus) -> str:
    """A JobStatus in a painter's words: the place in line, the frame, the scale, the time left."""
    if status.state == "queued":
        return f"Waiting: number {status.queue_position} in line."
    where = f"scale {status.progress.octave} of {status.progress.octaves}" if status.progress.octaves else "starting"
    if status.frames.total:
        where = f"frame {min(status.frames.done + 1, status.frames.total)} of {status.frames.total}, {where}"
    return f"Dreaming: {where}, {time_left(status.eta_seconds)}."


def time_left(seconds: float | None) -> str:
    """The server's estimate in words; rounded up, so a dream still running never says 0 s."""
    if seconds is None:
        return "timing the first steps"
    if seconds < 60:
        return f"about {max(1, math.ceil(seconds))} s left"
    return f"about {math.ceil(seconds / 60)} min left"
