"""The GIMP plug-in inside real GIMP: 3.0 from Debian trixie and 3.2 from sid, each in its chroot.

The plug-in is installed as a user would, with ``dreamlayer install-plugin gimp``, into a fresh HOME; gimp-console
then runs tests/gimp/gimp_cases.py through python-fu-eval, against a real dream server on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .editors import chroot_ready, install_as_user, read_results, require, run_in, workspace

CASES = Path(__file__).with_name("gimp") / "gimp_cases.py"
GIMPS = {"gimp3.0": "trixie", "gimp3.2": "sid"}


def run_gimp(suite: str, server_url: str) -> dict:
    with workspace(suite) as (here, there):
        install_as_user("gimp", here / "home")
        plugin = here / "home" / ".config" / "GIMP" / "3.0" / "plug-ins" / "dreamlayer" / "dreamlayer.py"
        assert plugin.is_file() and plugin.stat().st_mode & 0o111
        (here / "cases.py").write_text(CASES.read_text())
        env = {"HOME": str(there / "home"), "DREAMLAYER_TEST_SERVER": server_url, "DREAMLAYER_TEST_OUT": str(there / "out.json")}
        script = f"exec(open({str(there / 'cases.py')!r}).read())"
        run = run_in(suite, ["gimp-console", "-idf", "--batch-interpreter", "python-fu-eval", "-b", script, "--quit"], env, timeout=600)
        return read_results(here / "out.json", "GIMP", run)


@pytest.fixture(scope="module", params=list(GIMPS))
def gimp_results(request, server):
    suite = GIMPS[request.param]
    require(chroot_ready(suite), f"GIMP ({request.param}, the {suite} chroot)")
    return request.param, run_gimp(suite, server.url)


def test_runs_the_expected_gimp(gimp_results):
    name, results = gimp_results
    assert results["gimp"].startswith("3.0." if name == "gimp3.0" else "3.2.")


@pytest.mark.parametrize("case", ["u8", "u16", "float"])
def test_selection_is_dreamed_into_a_new_layer_in_one_undo_group(gimp_results, case):
    _, results = gimp_results
    c = results[case]
    assert c["status"] == "success", c["error"]
    assert c["names"] == ["Dream (classic)", "Source"]  # above the source
    assert c["new_bounds"] == c["selection_bounds"]
    assert c["core_changed"] > 0.9
    assert c["source_unchanged"]
    assert c["unselected_pixels"] > 0 and c["unselected_untouched_or_clear"]
    assert c["undo_group_left_open"] is False
    assert c["new_precision"].startswith({"u8": "u8", "u16": "u16", "float": "float"}[case])


def test_server_down_is_a_clear_error_naming_the_url(gimp_results):
    _, results = gimp_results
    down = results["server_down"]
    assert down["status"] == "execution-error" and down["layers"] == 1
    assert "Can't reach the dreamlayer server at http://127.0.0.1:9" in down["error"]
    assert "Traceback" not in down["error"]


def test_grayscale_images_get_a_clear_error(gimp_results):
    _, results = gimp_results
    assert results["grey"]["status"] == "execution-error" and results["grey"]["layers"] == 1
    assert "needs an RGB image" in results["grey"]["error"] and "Image > Mode > RGB" in results["grey"]["error"]


@pytest.mark.parametrize("start", ["zoom_noise", "zoom_layer"])
def test_zoom_makes_a_new_image_whose_layers_are_the_frames(gimp_results, start):
    _, results = gimp_results
    zoom = results[start]
    assert zoom["status"] == "success", zoom["error"]
    assert zoom["size"] == [96, 64]
    assert zoom["names"] == [f"Frame {n} (83ms)" for n in (4, 3, 2, 1)]  # frame 1 at the bottom: GIMP's animation order
    assert zoom["distinct"] == 4
    assert zoom["source_layers"] == 1  # the source image is left as it was
