"""The Krita plugin inside real Krita: 5.1 (Qt5, PyQt5) on this machine, 6.0 (Qt6, PyQt6) in the sid chroot.

The plugin is installed as a user would, with ``dreamlayer install-plugin krita``, into a fresh HOME and enabled
in its kritarc; Krita then starts under Xvfb, loads it, and a small test plugin runs tests/krita/krita_cases.py,
which drives ``dreamlayer_krita.dream`` and ``zoom`` against a real dream server.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from .editors import case_result, chroot_ready, install_as_user, read_case_results, require, run_in, workspace

CASES = Path(__file__).with_name("krita")
KRITAS = {"krita5": None, "krita6": "sid"}
KRITARC = "[python]\nenable_dreamlayer_krita=true\nenable_dreamlayer_krita_tests=true\n"


def run_krita(suite: str | None, server_url: str, group: str) -> dict:
    """Real Krita under Xvfb, with the plugin installed by `dreamlayer install-plugin krita` and enabled, running
    one group of tests/krita/krita_cases.py."""
    with workspace(suite) as (here, there):
        home = here / "home"
        install_as_user("krita", home)
        pykrita = home / ".local" / "share" / "krita" / "pykrita"
        assert (pykrita / "dreamlayer.desktop").is_file() and (pykrita / "dreamlayer_krita" / "client.py").is_file()
        shutil.copytree(CASES / "pykrita", pykrita, dirs_exist_ok=True)  # the runner of the cases
        (home / ".config").mkdir(parents=True)
        (home / ".config" / "kritarc").write_text(KRITARC)
        shutil.copy(CASES / "krita_cases.py", here / "krita_cases.py")
        env = {"HOME": str(there / "home"), "DREAMLAYER_TEST_CASES": str(there), "DREAMLAYER_TEST_SERVER": server_url,
               "DREAMLAYER_TEST_OUT": str(there / "out.json"), "DREAMLAYER_TEST_GROUP": group}
        out = here / "out.json"
        for attempt in range(2):
            run = run_in(suite, ["xvfb-run", "-a", "krita", "--nosplash"], env, timeout=600)
            if out.is_file():
                break
            # Krita (or Xvfb) occasionally dies while starting, before any case ran; that alone earns one retry.
            print(f"Krita ended before running any case (exit {run.returncode}); trying again:\n{run.stderr[-2000:]}", file=sys.stderr)
        return read_case_results(out, f"Krita ({group} cases)", run)


@pytest.fixture(scope="module", params=list(KRITAS))
def krita(request, server):
    """Which Krita, and a function running one group of cases in it (once per group and Krita)."""
    suite = KRITAS[request.param]
    if suite is None:
        require(shutil.which("krita") is not None and shutil.which("xvfb-run") is not None, "Krita 5 and Xvfb")
    else:
        require(chroot_ready(suite), f"Krita 6 (the {suite} chroot)")
    runs: dict[str, dict] = {}

    def results(group: str) -> dict:
        if group not in runs:
            runs[group] = run_krita(suite, server.url, group)
        return runs[group]

    return request.param, results


def case(krita, group: str, name: str) -> dict:
    """One case's results; fails, naming the case, if Krita died during it or the case raised."""
    _, results = krita
    return case_result(results(group), name)


def test_runs_the_expected_krita_and_loads_the_installed_plugin(krita):
    name, _ = krita
    for group in ("still", "animation"):
        results = case(krita, group, "setup")
        assert results["krita"].startswith("5." if name == "krita5" else "6.")
        assert results["qt6"] is (name == "krita6")
        assert "/.local/share/krita/pykrita/dreamlayer_krita/" in results["plugin_file"]
        assert all(results["actions"].values()), results["actions"]
        assert "dreamlayer" in results["dockers"]


@pytest.mark.parametrize("depth", ["U8", "U16", "F16", "F32"])
def test_selection_is_dreamed_into_a_new_layer_above_the_source(krita, depth):
    c = case(krita, "still", f"dream_{depth}")
    assert c["layer_depth"] == depth
    assert c["names"] == c["names_before"][:2] + ["Dream (classic)"] + c["names_before"][2:]
    assert c["new_index"] == c["source_index"] + 1
    assert c["bounds"] == [24, 16, 48, 32]  # the selection's bounding box
    assert c["source_unchanged"]
    assert c["core_changed"] > 0.9
    assert c["outside_box_transparent"]
    assert c["unselected_untouched_or_clear"]
    assert c["after_undo"] == c["names_before"]  # adding the layer was one undo step
    assert c["after_redo"] == c["names"]


@pytest.mark.parametrize("start", ["noise", "layer"])
def test_zoom_makes_a_new_animated_layer_a_frame_per_frame(krita, start):
    zoom = case(krita, "animation", f"zoom_{start}")
    assert zoom["animated"] and zoom["keyframes"] == [0, 1, 2, 3]
    assert zoom["name"] == "Dream (zoom)" and zoom["name"] in zoom["names"]
    if start == "layer":
        assert zoom["names"].index(zoom["name"]) == zoom["names"].index("Source") + 1
    assert zoom["fps"] == 12 and zoom["end"] == 3
    assert zoom["nonempty"] and zoom["distinct_frames"] == 4


def test_server_down_gives_a_readable_error_and_adds_no_layer(krita):
    down = case(krita, "still", "server_down")
    assert "Can't reach the dreamlayer server at http://127.0.0.1:9" in down["error"]
    assert down["layers_added"] == 0


def test_other_colour_models_get_a_clear_message(krita):
    grey = case(krita, "still", "grey")
    assert "works on RGB images" in grey["error"] and "Convert Image Color Space" in grey["error"]
    assert grey["layers"] == 2


def test_docker_fills_from_the_server_and_persists_settings(krita):
    docker = case(krita, "still", "docker")
    assert docker["presets"] == ["classic", "deep", "gentle"]
    assert docker["layers"] == 17  # "(default)" and Lite0's 16 blocks
    assert docker["bar"] == [5, 10] and "octave 2 of 4" in docker["message"]
    assert docker["has_preview"]
    assert docker["saved_steps"] == 7 and '"steps": 7' in docker["settings_file"]
    assert "/pykrita/" not in docker["settings_path"]


def test_a_running_dream_can_be_cancelled(krita):
    cancel = case(krita, "still", "cancel")
    assert cancel["saw_running"] and cancel["done"]
    assert cancel["error"] == "The dream was cancelled." and cancel["layers_added"] == 0
