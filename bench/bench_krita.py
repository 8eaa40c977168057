"""How long a dream takes in Krita from the call (the Dream button's path) to the new layer, on this machine.

Starts the real server in this process, installs the plugin into a scratch HOME, and runs Krita 5's kritarunner.

    python bench/bench_krita.py [--size 2048]
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dreamlayer.plugins import install  # noqa: E402
from tests.live_server import start_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    args = parser.parse_args()
    live = start_server({"MAX_PIXELS": args.size * args.size})
    with tempfile.TemporaryDirectory() as home:
        pykrita = Path(home) / "pykrita"
        install("krita", pykrita)
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO / "bench" / "krita"),
               "DREAMLAYER_TEST_PLUGINS": str(pykrita), "DREAMLAYER_TEST_SERVER": live.url,
               "DREAMLAYER_TEST_OUT": str(Path(home) / "out.json"), "DREAMLAYER_BENCH_SIZE": str(args.size),
               "DREAMLAYER_BENCH_IMAGE": str(REPO / "examples" / "chelsea.png")}
        run = subprocess.run(["kritarunner", "-s", "time_dream", "-f", "run"], env=env, capture_output=True, text=True, timeout=1200)
        out = Path(home) / "out.json"
        if not out.is_file():
            sys.exit(f"Krita wrote no result:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
        result = json.loads(out.read_text())
    live.stop()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    print(f"date {datetime.date.today()}  Krita {result['krita']}  server on CPU  commit {commit}")
    print("| layer | preset | call to new layer (s) |")
    print("|---|---|---|")
    print(f"| {result['size'][0]}×{result['size'][1]} U8 | classic | {result['seconds']:.2f} |")


if __name__ == "__main__":
    main()
