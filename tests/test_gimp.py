"""The GIMP plug-in inside real GIMP: 3.0 from Debian trixie and 3.2 from sid, each in its chroot.

The plug-in is installed as a user would, with ``dreamlayer install-plugin gimp``, into a fresh HOME. Two GIMP runs
per version, against a real dream server on loopback:

- gimp-console runs tests/gimp/gimp_cases.py: the procedures as scripts run them (presets, changed settings,
  replaying a layer's recorded settings, zoom films, errors);
- GIMP with its interface, under Xvfb, runs tests/gimp/gimp_dialog_cases.py: the dialogs, the procedure run from
  its dialog with keys pressed as an artist would, and the Help button.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dreamlayer.params import describe

from .editors import chroot_ready, install_as_user, read_results, require, run_in, workspace

HERE = Path(__file__).with_name("gimp")
GIMPS = {"gimp3.0": "trixie", "gimp3.2": "sid"}
PRESETS = describe()["presets"]
RESOLVED = {"seed", "scale", "edge_softness"}  # left to chance or to the document's size, and reported resolved
# A stand-in web browser for GIMP's help: it writes down each address it is asked to open.
BROWSER = """[Desktop Entry]
Type=Application
Name=Record URL
Exec=/bin/sh -c 'echo "$1" >> {opened}' sh %u
MimeType=text/html;x-scheme-handler/file;x-scheme-handler/http;x-scheme-handler/https;
"""


def gimp_run(suite: str, server_url: str, gui: bool) -> tuple[dict, str]:
    """(the cases' results, GIMP's output) of one GIMP run in a fresh HOME with the plug-in installed."""
    with workspace(suite) as (here, there):
        home = here / "home"
        for version in ("3.0", "3.2"):  # GIMP's help opens in the (stand-in) web browser, not its own
            (home / ".config" / "GIMP" / version).mkdir(parents=True)
            (home / ".config" / "GIMP" / version / "gimprc").write_text("(help-browser web-browser)\n")
        install_as_user("gimp", home)
        plugin = home / ".config" / "GIMP" / "3.0" / "plug-ins" / "dreamlayer" / "dreamlayer.py"
        assert plugin.is_file() and plugin.stat().st_mode & 0o111
        (home / ".local" / "share" / "applications").mkdir(parents=True)
        (home / ".local" / "share" / "applications" / "record-url.desktop").write_text(BROWSER.format(opened=there / "opened.txt"))
        (home / ".config" / "mimeapps.list").write_text(
            "[Default Applications]\n" + "".join(f"{kind}=record-url.desktop\n" for kind in (
                "text/html", "x-scheme-handler/file", "x-scheme-handler/http", "x-scheme-handler/https")))
        cases = "gimp_dialog_cases.py" if gui else "gimp_cases.py"
        for name in (cases, "press_key.py"):
            (here / name).write_text((HERE / name).read_text())
        env = {"HOME": str(there / "home"), "DREAMLAYER_TEST_SERVER": server_url, "DREAMLAYER_TEST_OUT": str(there / "out.json"),
               "DREAMLAYER_TEST_KEYS": str(there / "press_key.py"), "DREAMLAYER_TEST_OPENED": str(there / "opened.txt")}
        script = f"exec(open({str(there / cases)!r}).read())"
        gimp = ["xvfb-run", "-a", "gimp", "-df"] if gui else ["gimp-console", "-idf"]
        run = run_in(suite, [*gimp, "--batch-interpreter", "python-fu-eval", "-b", script, "--quit"], env, timeout=600)
        return read_results(here / "out.json", "GIMP", run), run.stdout + run.stderr


@pytest.fixture(scope="module", params=list(GIMPS))
def gimp(request, server):
    suite = GIMPS[request.param]
    require(chroot_ready(suite), f"GIMP ({request.param}, the {suite} chroot)")
    return request.param, server.url, suite


@pytest.fixture(scope="module")
def gimp_results(gimp):
    name, url, suite = gimp
    return name, gimp_run(suite, url, gui=False)[0]


@pytest.fixture(scope="module")
def gimp_gui(gimp):
    name, url, suite = gimp
    return gimp_run(suite, url, gui=True)


def ran_the_preset(record: dict, preset: str, **changes) -> None:
    """``record`` (a layer's parasite) says ``preset`` ran, with ``changes`` and nothing else changed."""
    assert record["preset"] == preset
    expected = {**PRESETS[preset]["values"], **changes}
    resolved = RESOLVED - set(changes)
    ran = record["settings"]
    assert {k: v for k, v in ran.items() if k not in resolved} == {k: v for k, v in expected.items() if k not in resolved}
    assert all(ran[k] is not None for k in resolved)


def test_runs_the_expected_gimp(gimp_results):
    name, results = gimp_results
    assert results["gimp"].startswith("3.0." if name == "gimp3.0" else "3.2.")


def test_menus_put_the_dream_first_and_the_zoom_with_animations(gimp_results):
    procedures = gimp_results[1]["procedures"]
    assert procedures["python-fu-dreamlayer"]["menu_paths"] == ["<Image>/Filters/Artistic"]
    assert procedures["python-fu-dreamlayer-zoom"]["menu_paths"] == ["<Image>/Filters/Animation"]
    dream = procedures["python-fu-dreamlayer"]["arguments"]
    assert dream[3] == "preset" and dream[-1] == "server-url"  # after run-mode, image and drawables


@pytest.mark.parametrize("case", ["u8", "u16", "float"])
def test_selection_is_dreamed_into_a_new_layer_in_one_undo_group(gimp_results, case):
    _, results = gimp_results
    c = results[case]
    assert c["status"] == "success", c["error"]
    assert c["names"] == ["Dream (classic, seed 3)", "Source"]  # above the source, named with its seed
    assert c["new_bounds"] == c["selection_bounds"]
    assert c["core_changed"] > 0.9
    assert c["source_unchanged"]
    assert c["unselected_pixels"] > 0 and c["unselected_untouched_or_clear"]
    assert c["undo_group_left_open"] is False
    assert c["new_precision"].startswith({"u8": "u8", "u16": "u16", "float": "float"}[case])
    ran_the_preset(c["recorded"], "classic", octaves=1, steps=4, step_size=6.0, seed=3)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_a_preset_alone_runs_the_presets_values(gimp_results, preset):
    c = gimp_results[1]["presets"][preset]
    assert c["status"] == "success", c["error"]
    ran_the_preset(c["recorded"], preset)
    assert c["names"][0] == f"Dream ({preset}, seed {c['recorded']['settings']['seed']})"


@pytest.mark.parametrize("case, preset, changes", [
    ("octaves", "gentle", {"octaves": 2}),
    ("steps_at_the_model_default", "deep", {"steps": 10, "octaves": 1}),  # a value equal to the default still counts
    ("keep_colours", "gentle", {"preserve_colors": True}),
    ("layer", "gentle", {"layer": "block3"}),
    ("explicit_seed", "gentle", {"seed": 4711}),
])
def test_a_changed_setting_runs_that_change_on_the_preset(gimp_results, case, preset, changes):
    c = gimp_results[1]["changed"][case]
    assert c["status"] == "success", c["error"]
    ran_the_preset(c["recorded"], preset, **changes)


def test_a_layers_recorded_settings_dream_the_same_pixels_again(gimp_results):
    c = gimp_results[1]["replay"]
    assert c["status"] == ["success", "success"], c["error"]
    first, again = c["records"]  # the second dream goes in right above the source, under the first
    assert again == first and first["settings"]["seed"] is not None
    assert c["same_pixels"] and c["same_place"]
    assert c["names"][1] == c["names"][0] + " #2"


@pytest.mark.parametrize("start", ["zoom_noise", "zoom_layer"])
def test_zoom_makes_a_new_image_whose_layers_are_the_frames(gimp_results, start):
    _, results = gimp_results
    zoom = results[start]
    assert zoom["status"] == "success", zoom["error"]
    assert zoom["size"] == [96, 64]
    assert zoom["names"] == [f"Frame {n} (83ms)" for n in (4, 3, 2, 1)]  # frame 1 at the bottom: GIMP's animation order
    assert zoom["distinct"] == 4
    assert zoom["source_layers"] == 1  # the source image is left as it was
    ran = zoom["recorded"]
    assert ran["preset"] == "classic" and ran["settings"]["seed"] == 2
    assert ran["settings"]["steps"] == 2  # each frame's dream: its iterations per frame
    assert (ran["film"]["frames"], ran["film"]["steps_per_frame"], ran["film"]["fps"]) == (4, 2, 12.0)


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


def test_a_layer_of_another_network_is_refused_by_name(gimp_results):
    c = gimp_results[1]["foreign_layer"]
    assert c["status"] == "execution-error" and c["layers"] == 1
    assert "'lite0' has no layer 'relu4_3'" in c["error"] and "block10" in c["error"]


def test_dialogs_give_every_setting_a_mnemonic_of_its_own(gimp_gui):
    results, output = gimp_gui
    assert "mnemonic" not in output, [line for line in output.splitlines() if "mnemonic" in line]
    for name, dialog in results["dialogs"].items():
        assert all(dialog["widgets"].values()), dialog["widgets"]
        assert dialog["shown"][0] == "preset" and dialog["shown"][-1] == "server-url"


def test_dialog_shows_the_preset_it_will_run_and_follows_a_new_one(gimp_gui):
    dialog = gimp_gui[0]["dialogs"]["python-fu-dreamlayer"]
    classic, deep = PRESETS["classic"]["values"], PRESETS["deep"]["values"]
    assert dialog["opened"]["preset"] == "classic" and "from-preset" not in dialog["opened"].values()
    assert (dialog["opened"]["octaves"], dialog["opened"]["steps"], dialog["opened"]["layer"]) == (classic["octaves"], classic["steps"], "network-default")
    assert dialog["opened"]["random-seed"] is True and dialog["opened"]["automatic-scale"] is True
    assert (dialog["deep"]["octaves"], dialog["deep"]["steps"], dialog["deep"]["layer"]) == (deep["octaves"], deep["steps"], deep["layer"])
    assert dialog["vgg16"] == {"layer": "network-default", "valid": {"block12": False, "relu4_3": True,
                                                                    "network-default": True, "from-preset": True}}
    assert dialog["seed_sensitive_when_random"] is False and dialog["seed_sensitive_when_not_random"] is True
    zoom = gimp_gui[0]["dialogs"]["python-fu-dreamlayer-zoom"]
    assert zoom["opened"]["frames"] > 0 and zoom["deep"]["octaves"] == deep["octaves"]


def test_ok_in_the_dialog_runs_what_it_shows(gimp_gui):
    ok = gimp_gui[0]["ok"]
    assert ok["keys_pressed"] and ok["status"] == "success", ok["error"]
    ran_the_preset(ok["recorded"], "deep", octaves=2, steps=2)
    assert ok["names"][0].startswith("Dream (deep, seed ")


def test_help_opens_the_plugins_own_page_and_cancel_changes_nothing(gimp_gui):
    results = gimp_gui[0]
    cancelled = results["help_and_cancel"]
    assert cancelled["keys_pressed"] and cancelled["status"] == "cancel" and cancelled["layers"] == 1
    page = "/plug-ins/dreamlayer/help/en/dreamlayer.html"
    assert len(results["help_from_dialog"]) == 1 and results["help_from_dialog"][0].endswith(page + "#deepdream")
    assert results["help_zoom"] and results["help_zoom"][0].endswith(page + "#zoom")
