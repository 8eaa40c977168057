"""The Krita plugin inside real Krita: 5.1 (Qt5, PyQt5) on this machine, 6.0 (Qt6, PyQt6) in the sid chroot.

The plugin is installed as a user would, with ``dreamlayer install-plugin krita``, into a fresh HOME; kritarunner
then runs tests/krita/krita_cases.py, which drives ``dreamlayer_krita.dream`` against a real dream server.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .editors import chroot_ready, require, run_in, workspace

CASES = Path(__file__).with_name("krita") / "krita_cases.py"
KRITAS = {"krita5": None, "krita6": "sid"}


def run_krita(suite: str | None, server_url: str) -> dict:
    with workspace(suite) as (here, there):
        home = here / "home"
        install = subprocess.run([sys.executable, "-m", "dreamlayer", "install-plugin", "krita"], env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
                                 capture_output=True, text=True, timeout=60)
        assert install.returncode == 0, install.stderr
        pykrita = home / ".local" / "share" / "krita" / "pykrita"
        assert (pykrita / "dreamlayer.desktop").is_file() and (pykrita / "dreamlayer_krita" / "client.py").is_file()
        shutil.copy(CASES, here / "krita_cases.py")
        env = {
            "HOME": str(there / "home"), "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(there),
            "DREAMLAYER_TEST_SERVER": server_url, "DREAMLAYER_TEST_OUT": str(there / "out.json"),
            "DREAMLAYER_TEST_PLUGINS": str(there / "home" / ".local" / "share" / "krita" / "pykrita"),
        }
        run = run_in(suite, ["kritarunner", "-s", "krita_cases", "-f", "run_all"], env, timeout=600)
        out = here / "out.json"
        # kritarunner often crashes while tearing down after the script returned; the JSON says how the script went.
        assert out.is_file(), f"Krita wrote no results (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        results = json.loads(out.read_text())
    assert "crash" not in results, results["crash"]
    return results


@pytest.fixture(scope="module", params=list(KRITAS))
def krita_results(request, server):
    suite = KRITAS[request.param]
    if suite is None:
        require(shutil.which("kritarunner") is not None, "Krita 5 (kritarunner)")
    else:
        require(chroot_ready(suite), f"Krita 6 (the {suite} chroot)")
    return request.param, run_krita(suite, server.url)


def test_runs_the_expected_krita_and_qt(krita_results):
    name, results = krita_results
    assert results["krita"].startswith("5." if name == "krita5" else "6.")
    assert results["qt6"] is (name == "krita6")


@pytest.mark.parametrize("depth", ["U8", "U16", "F16", "F32"])
def test_selection_is_dreamed_into_a_new_layer_above_the_source(krita_results, depth):
    _, results = krita_results
    case = next(c for c in results["cases"] if c["depth"] == depth)
    assert case["layer_depth"] == depth
    assert case["names"] == case["names_before"][:2] + ["Dream (classic)"] + case["names_before"][2:]
    assert case["new_index"] == case["source_index"] + 1
    assert case["bounds"] == [24, 16, 48, 32]  # the selection's bounding box
    assert case["source_unchanged"]
    assert case["core_changed"] > 0.9
    assert case["outside_box_transparent"]
    assert case["unselected_untouched_or_clear"]


def test_server_down_gives_a_readable_error_and_adds_no_layer(krita_results):
    _, results = krita_results
    assert "Can't reach the dreamlayer server at http://127.0.0.1:9" in results["server_down"]["error"]
    assert results["server_down"]["layers_added"] == 0


def test_other_colour_models_get_a_clear_message(krita_results):
    _, results = krita_results
    assert "works on RGB images" in results["grey"]["error"] and "Convert Image Color Space" in results["grey"]["error"]
    assert results["grey"]["layers"] == 2


def test_docker_fills_from_the_server_and_persists_settings(krita_results):
    _, results = krita_results
    docker = results["docker"]
    assert docker["presets"] == ["classic", "deep", "gentle"]
    assert docker["layers"] == 17  # "(default)" and Lite0's 16 blocks
    assert docker["bar"] == [5, 10] and "octave 2 of 4" in docker["message"]
    assert docker["has_preview"]
    assert docker["saved_steps"] == 7 and '"steps": 7' in docker["settings_file"]
    assert "/pykrita/" not in docker["settings_path"]
