"""An independent fuzzer against the real server: ``schemathesis run URL/v1/openapi.json --checks all``.

Every check schemathesis has runs: no 5xx; status codes, content types, headers and bodies as described; requests
the description allows are accepted and those it forbids refused; ``Allow`` on every 405; a deleted job is gone; and
its stateful phase follows the links between operations (submit, then status, events, preview, frames, result,
cancel, delete). Two checks are replaced by the hooks in ``schemathesis_hooks.py`` with the same checks that let
through the two refusals the description declares but JSON Schema cannot state (a full queue, and a job over this
server's caps); the hooks also make picture parts real pictures.

The run is the command-line tool, as a reviewer would run it, on a real waitress server on loopback with the real
default model. A fixed seed keeps CI's run the same from one commit to the next; its output is shown on failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dreamlayer.server.openapi import build_spec

from .live_server import start_server

ROOT = Path(__file__).resolve().parent.parent
# 30 cases an operation in every phase: about 140 s on two cores (2026-12, 1,372 cases).
MAX_EXAMPLES = 30


@pytest.fixture(scope="module")
def fuzz_server():
    # A tight cost budget keeps accepted dreams tiny (larger ones are refused as over_budget, which the hooks let
    # through). The queue is long enough that it rarely fills; when it does, its 503 queue_full is declared.
    live = start_server({"MAX_COST": 500_000, "MAX_QUEUED": 10_000, "MAX_PIXELS": 512 * 512})
    yield live
    live.stop()


@pytest.mark.slow
def test_schemathesis_with_every_check_finds_nothing(fuzz_server, tmp_path):
    # The CLI of the schemathesis this Python has (.ci/newest-test-tools runs the tests in a scratch environment
    # with a newer one), else the one on PATH.
    beside = Path(sys.executable).with_name("schemathesis")
    cli = str(beside) if beside.is_file() else shutil.which("schemathesis")
    assert cli, "schemathesis is one of the test tools: pip install -e '.[test]'"
    command = [cli, "run", f"{fuzz_server.url}/v1/openapi.json", "--checks", "all",
               "--exclude-checks", "not_a_server_error,positive_data_acceptance",  # replaced by the hooks' own
               "--max-examples", str(MAX_EXAMPLES), "--seed", "1", "--workers", "1",
               "--generation-database", "none", "--no-color", "--report-dir", str(tmp_path)]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
    summary = run.stdout[-6000:]
    sys.stdout.write(summary)
    assert run.returncode == 0, f"schemathesis found problems (exit {run.returncode}):\n{summary}\n{run.stderr[-3000:]}"
    # It really fuzzed: every operation of the description was tested (schemathesis leaves out the document it
    # was loaded from, /v1/openapi.json itself).
    operations = sum(method in ("get", "post", "put", "patch", "delete") for path in build_spec()["paths"].values() for method in path)
    tested = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", run.stdout)
    assert tested and len(set(tested.groups())) == 1 and int(tested[1]) >= operations - 1, summary
