"""How long an artist waits for a managed server: from starting `dreamlayer serve` to its first answer on
/v1/health, and the server's own account of where the time went (loading torch and the server's code, the model
and its warm-up), over a few cold starts; then the first dream's time on the started server.

    python bench/bench_serve_start.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

import torch
from common import REPO, header


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_once() -> tuple[float, str]:
    """Seconds from spawning the server to its first health answer, and its 'ready in' line."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "dreamlayer", "serve", "--port", str(port), "--device", "cpu"],
                              stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(server.stderr.read())
                time.sleep(0.05)
        waited = time.perf_counter() - started
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[1]
    ready = next((line for line in output.splitlines() if "ready in" in line), "")
    return waited, ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(header(torch.device("cpu")))
    print("\n| start | spawn to first health answer (s) | torch and code (s) | model and warm-up (s) |")
    print("|---|---|---|---|")
    waits = []
    for run in range(1, args.repeats + 1):
        waited, ready = start_once()
        waits.append(waited)
        parts = re.findall(r"([\d.]+) s", ready)
        print(f"| {run} | {waited:.2f} | {parts[1] if len(parts) > 2 else '?'} | {parts[2] if len(parts) > 2 else '?'} |", flush=True)
    print(f"\nmedian {statistics.median(waits):.2f} s")


if __name__ == "__main__":
    main()
