"""bench/gpu_check.py in its quick mode (tiny sizes, on the CPU), so the GPU check cannot rot between rentals."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import REPO


def test_gpu_check_runs_every_row_in_quick_mode():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "server"), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, str(REPO / "bench" / "gpu_check.py"), "--quick", "--device", "cpu"],
                         capture_output=True, text=True, timeout=300, env=env, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert lines[0].startswith("date ") and "commit" in lines[0]
    rows = [line for line in lines if line.startswith("| ") and "n/a (quick)" in line]
    assert len(rows) == 10  # the eight rows, its first-dream row measured both ways, and zoom at two depths
    levers = [line for line in lines if line.startswith("| graphs") or line.startswith("| eager")]
    assert len(levers) >= 5
    assert "graph captures that failed: none" in run.stdout
