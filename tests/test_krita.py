"""The Krita plugin inside real Krita: 5.1 (Qt5, PyQt5) on this machine, 6.0 (Qt6, PyQt6) in the sid chroot.

The plugin is installed as a user would, with ``dreamlayer install-plugin krita``, into a fresh HOME and enabled
in its kritarc; Krita then starts under Xvfb, loads it, and a small test plugin runs tests/krita/krita_cases.py,
which drives ``dreamlayer_krita.dream`` and ``zoom``, and the docker's own widgets (tests/krita/docker_cases.py),
against a real dream server.

Set DREAMLAYER_SCREENSHOTS to a folder to keep the docker's screenshots (krita-docker-krita5.png, ...): that is
how docs/krita-docker.png is made.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from .editors import case_result, chroot_ready, install_as_user, read_case_results, require, run_in, workspace

CASES = Path(__file__).with_name("krita")
KRITAS = {"krita5": None, "krita6": "sid"}
KRITARC = "[python]\nenable_dreamlayer_krita=true\nenable_dreamlayer_krita_tests=true\n"
# The screen each group of cases runs on (Xvfb's default is 640×480): the docker must fit a 1000-pixel-high one.
SCREENS = {"screen": "1600x1000x24"}
CAT = Path(__file__).resolve().parents[1] / "examples" / "chelsea.png"


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
        for module in CASES.glob("*.py"):
            shutil.copy(module, here / module.name)
        shutil.copy(CAT, here / CAT.name)
        env = {"HOME": str(there / "home"), "DREAMLAYER_TEST_CASES": str(there), "DREAMLAYER_TEST_SERVER": server_url,
               "DREAMLAYER_TEST_OUT": str(there / "out.json"), "DREAMLAYER_TEST_GROUP": group}
        out = here / "out.json"
        for attempt in range(2):
            screen = ["-s", f"-screen 0 {SCREENS[group]}"] if group in SCREENS else []
            run = run_in(suite, ["xvfb-run", "-a", *screen, "krita", "--nosplash"], env, timeout=600)
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
    for group in ("still", "screen", "animation"):
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
    assert c["names"] == c["names_before"][:2] + ["Dream (classic, seed 3)"] + c["names_before"][2:]
    assert c["new_index"] == c["source_index"] + 1
    assert c["bounds"] == [24, 16, 48, 32]  # the selection's bounding box
    assert c["source_unchanged"]
    assert c["core_changed"] > 0.9
    assert c["outside_box_transparent"]
    assert c["unselected_untouched_or_clear"]
    assert c["after_undo"] == c["names_before"]  # adding the layer was one undo step
    assert c["after_redo"] == c["names"]


@pytest.mark.parametrize("case_name, depth", [("zoom_noise", "U8"), ("zoom_layer", "U16"), ("zoom_float", "F32")])
def test_zoom_makes_a_new_animated_layer_a_frame_per_frame(krita, case_name, depth):
    zoom = case(krita, "animation", case_name)
    assert zoom["animated"] and zoom["keyframes"] == [0, 1, 2, 3]
    assert re.fullmatch(r"Dream \(zoom, classic, seed \d+\)", zoom["name"]) and zoom["name"] in zoom["names"]
    if case_name == "zoom_layer":
        assert zoom["names"].index(zoom["name"]) == zoom["names"].index("Source") + 1
    else:
        assert zoom["names"][-1] == zoom["name"]  # at the top
    assert zoom["fps"] == 12 and zoom["end"] == 3
    assert zoom["nonempty"] and zoom["distinct_frames"] == 4
    assert zoom["layer_depth"] == depth and zoom["opaque"] and zoom["widened_from_8_bit"]
    assert zoom["undo_steps"] == 2  # the conversion to an animated layer, then adding the frames
    assert zoom["after_redo"] == zoom["names"] and zoom["end_after_redo"] == 3


def test_zoom_lands_in_its_document_after_switching_to_another(krita):
    zoom = case(krita, "animation", "zoom_elsewhere")
    assert zoom["error"] is None and zoom["keyframes"] == [0, 1, 2]
    assert zoom["names"][0] == "Background" and re.fullmatch(r"Dream \(zoom, classic, seed \d+\)", zoom["names"][1])
    assert len(zoom["names"]) == 2 and zoom["other_names"] == ["Background"]
    assert zoom["other_in_front"]


def test_server_down_gives_a_readable_error_and_adds_no_layer(krita):
    down = case(krita, "still", "server_down")
    assert "Can't reach the dreamlayer server at http://127.0.0.1:9" in down["error"]
    assert down["layers_added"] == 0


def test_other_colour_models_get_a_clear_message(krita):
    grey = case(krita, "still", "grey")
    assert "works on RGB images" in grey["error"] and "Convert Image Color Space" in grey["error"]
    assert grey["layers"] == 2


def test_a_running_dream_can_be_cancelled(krita):
    cancel = case(krita, "still", "cancel")
    assert cancel["saw_running"] and cancel["done"]
    assert cancel["error"] == "The dream was cancelled." and cancel["layers_added"] == 0


def _shown_settings():
    """Every setting of the model that the docker has a knob for, by name."""
    from dreamlayer.params import DreamParams, ZoomSettings

    return {s.name: s for s in DreamParams.settings() + ZoomSettings.settings() if s.name not in ("guide_weight", "format")}


def test_each_preset_picked_in_the_docker_runs_exactly_its_values(krita):
    """The docker's own preset combo and Dream button; the job's reported settings say what ran."""
    from dreamlayer.params import PRESETS, preset_params

    presets = case(krita, "still", "presets")
    assert presets["presets"] == list(PRESETS)  # in the model's order, gentle to deep
    for name in PRESETS:
        expected, ran = preset_params(name).to_dict(), presets["ran"][name]
        assert ran["preset"] == name
        for setting, value in expected.items():
            if value is None:  # seed, feature size, edge softness: left to the server, which reports what it drew
                assert ran["settings"][setting] is not None, (name, setting)
            else:
                assert ran["settings"][setting] == value, (name, setting)
            if setting in ran["shown"]:
                assert ran["shown"][setting] == value, (name, setting)  # the knobs showed what ran
        assert ran["layer"] == f"Dream ({name}, seed {ran['settings']['seed']})"


def test_a_knob_changed_after_picking_a_preset_runs_with_the_presets_other_values(krita):
    from dreamlayer.params import preset_params

    changed = case(krita, "still", "presets")["changed"]
    expected = {**preset_params("deep").to_dict(), "steps": 3}
    assert changed["preset"] == "deep"
    assert {k: v for k, v in changed["settings"].items() if expected[k] is not None} == {k: v for k, v in expected.items() if v is not None}
    assert changed["shown"]["steps"] == 3


def test_a_finished_dream_reads_as_finished(krita):
    presets = case(krita, "still", "presets")
    assert presets["bar"] == [1000, 1000]  # the bar at 100%, not back at 0
    assert presets["has_preview"]  # the result, rendered from the document once the layer is in
    assert presets["ran"]["gentle"]["message"] == f"Added the layer '{presets['ran']['gentle']['layer']}'."


def test_every_knob_has_the_models_label_and_help(krita):
    presets = case(krita, "still", "presets")
    shown = _shown_settings()
    assert presets["labels"] == {name: s.knob.label for name, s in shown.items()}
    for name, setting in shown.items():
        assert presets["tooltips"][name].startswith(setting.knob.help)


def test_the_docker_builds_its_knobs_from_the_description_and_keeps_their_values(krita):
    from dreamlayer.catalog import get_model

    state = case(krita, "still", "docker_state")
    lite0 = get_model("lite0")
    assert state["layer_items"] == [f"{lite0.default_layer} (default)", *lite0.layers]
    assert state["seed_text"] == "random"
    assert state["stored"]["preset"] == "classic"
    assert state["stored"]["values"]["steps"] == 7 and state["stored"]["values"]["seed"] is None
    assert "/pykrita/" not in state["state_path"]
    assert state["sections"] == {"more": ["More settings", False], "zoom": ["Zoom film", False]}
    assert state["in_sections"] == {name: s.knob.section for name, s in _shown_settings().items()}


def test_dream_again_reproduces_the_layer_and_vary_draws_a_new_seed(krita):
    """The docker's Dream again and Vary buttons on a selected dream layer, also after saving and reopening."""
    again = case(krita, "still", "again_and_vary")
    seed = re.fullmatch(r"Dream \(gentle, seed (\d+)\)", again["first"]).group(1)
    assert again["again"] == f"{again['first']} 2" and again["again_same_pixels"]
    vary_seed = re.fullmatch(r"Dream \(gentle, seed (\d+)\)", again["vary"]).group(1)
    assert vary_seed != seed and not again["vary_same_pixels"]
    names = [name for name in again["names"] if name != "Selection Mask"]  # Krita 5 lists the global selection
    assert names == ["Background", "Source", again["first"], again["vary"], again["again"]]  # each above the dream
    assert again["saved"] and again["reopened_same_pixels"] and again["reopened_name"] == f"{again['first']} 3"
    assert again["source_unchanged"]
    assert again["not_a_dream_message"] == "Select a dream layer (one that Dream made) to dream it again."


def test_a_selection_without_feather_gets_a_soft_edge(krita):
    edge, core = case(krita, "still", "again_and_vary")["edge_and_core_change"]
    assert core > 2 and edge < core / 4, (edge, core)


def test_the_docker_fits_a_1000_pixel_screen_beside_the_default_dockers(krita, tmp_path):
    """Krita maximised on 1600×1000 with its default dockers and ours, after a dream: a screenshot, and checks."""
    name, _ = krita
    fit = case(krita, "screen", "fits_the_screen")
    png = base64.b64decode(fit.pop("png"))
    (tmp_path / f"krita-docker-{name}.png").write_bytes(png)
    if os.environ.get("DREAMLAYER_SCREENSHOTS"):
        Path(os.environ["DREAMLAYER_SCREENSHOTS"], f"krita-docker-{name}.png").write_bytes(png)
    assert png.startswith(b"\x89PNG")
    x, y, width, height = fit["frame"]
    assert fit["screen"] == [1600, 1000] and x >= 0 and y >= 0 and x + width <= 1600 and y + height <= 1000, fit
    assert fit["docker_visible"] and fit["fixed_inside_window"] and fit["knobs_in_scroll_area"], fit
    assert fit["layers_docker_height"] is None or fit["layers_docker_height"] >= 150, fit
    assert fit["preview"][2] and fit["bar"] == [1000, 1000], fit
