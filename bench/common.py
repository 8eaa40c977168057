"""What the benchmark scripts share: a peak-memory sampler and the header line naming date, device and commit."""

from __future__ import annotations

import datetime
import platform
import subprocess
import threading
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
CAT = REPO / "examples" / "chelsea.png"


class PeakRss:
    """Samples this process's resident memory every 5 ms; CPU peak memory without extra dependencies."""

    def __enter__(self):
        self.peak, self._stop = self._rss(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096


def header(device: torch.device) -> str:
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{platform.machine()} CPU, {torch.get_num_threads()} threads"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    return f"date {datetime.date.today()}  device {name}  torch {torch.__version__}  commit {commit or '?'}"
