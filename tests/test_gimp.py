"""The GIMP plug-in inside real GIMP: 3.0 from Debian trixie and 3.2 from sid, each in its chroot.

The plug-in is installed as a user would, with ``dreamlayer install-plugin gimp``, into a fresh HOME. Two GIMP runs
per version, against real dream servers on loopback (one open, one that wants a token), and servers the plug-in
starts itself (with the Python install-plugin recorded, running this checkout):

- gimp-console runs tests/gimp/gimp_cases.py: the procedures as scripts run them (presets, changed settings,
  replaying a layer's recorded settings, variations, guide, channels and layer mix, zoom films, animations,
  tokens, the managed server, errors);
- GIMP with its interface, under Xvfb, runs tests/gimp/gimp_dialog_cases.py: the dialogs, the procedure run from
  its dialog with keys pressed as an artist would, and the Help button; and tests/gimp/picker_cases.py: the
  dream dialog's channel picker, with keys and clicks, against a server of its own whose atlas cache starts empty;
- and, in a GIMP run of their own, tests/gimp/preview_cases.py: the dream dialog's Preview (live dreams in the
  dialog), against a server of its own whose live lanes it counts.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import time
from pathlib import Path

import pytest

from dreamlayer.params import describe

from .editors import REPO, chroot_ready, install_as_user, read_results, require, run_in, workspace

HERE = Path(__file__).with_name("gimp")
TOKEN = "gimp-test-token-5d1e"
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


def gimp_run(suite: str, server_url: str, token_url: str, gui: bool, more_env: dict | None = None,
             cases: str | None = None) -> tuple[dict, str]:
    """(the cases' results, GIMP's output) of one GIMP run in a fresh HOME with the plug-in installed; ``cases``:
    the script it runs, if not the usual one for the console or the interface."""
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
        cases = cases or ("gimp_dialog_cases.py" if gui else "gimp_cases.py")
        helpers = ("press_key.py", "gtk_pump.py", *(("picker_cases.py",) if cases == "gimp_dialog_cases.py" else ()))
        for name in (cases, *helpers):
            (here / name).write_text((HERE / name).read_text())
        env = {"HOME": str(there / "home"), "DREAMLAYER_TEST_SERVER": server_url, "DREAMLAYER_TEST_OUT": str(there / "out.json"),
               "DREAMLAYER_TEST_TOKEN_SERVER": token_url, "DREAMLAYER_TEST_TOKEN": TOKEN,
               "DREAMLAYER_TEST_KEYS": str(there / "press_key.py"), "DREAMLAYER_TEST_OPENED": str(there / "opened.txt"),
               # The Python install-plugin recorded runs the managed servers; this checkout is the dreamlayer it runs.
               "PYTHONPATH": str(REPO / "server"), **(more_env or {})}
        script = f"exec(open({str(there / cases)!r}).read())"
        # With its interface, GIMP runs on a laptop's 1366×768 screen: its dialogs must fit there.
        gimp = ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24", "gimp", "-df"] if gui else ["gimp-console", "-idf"]
        run = run_in(suite, [*gimp, "--batch-interpreter", "python-fu-eval", "-b", script, "--quit"], env, timeout=600)
        results = read_results(here / "out.json", "GIMP", run)
        results["left_running"] = [port for port in results.get("managed_ports", []) if _still_open(port)]
        results["exit_code"] = run.returncode  # negative: GIMP was killed by that signal
        fault = here / "out.json.fault"
        if fault.is_file() and fault.stat().st_size:
            results["fault"] = fault.read_text()  # the plug-in's process crashed: its threads' Python stacks
        return results, run.stdout + run.stderr


def _still_open(port: int, wait: float = 15.0) -> bool:
    """Whether a server still listens on ``port`` ``wait`` seconds after GIMP has gone (a managed server watches it
    once a second, then stops in order)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return False
        time.sleep(0.25)
    return True


@pytest.fixture(scope="module")
def token_server():
    """A second server, as `dreamlayer serve --token-file` runs it: every request needs the token."""
    from .live_server import start_server

    live = start_server({"TOKEN": TOKEN})
    yield live
    live.stop()


@pytest.fixture(scope="module", params=list(GIMPS))
def gimp(request, server, token_server):
    suite = GIMPS[request.param]
    require(chroot_ready(suite), f"GIMP ({request.param}, the {suite} chroot)")
    return request.param, server.url, token_server.url, suite


@pytest.fixture(scope="module")
def gimp_results(gimp):
    name, url, token_url, suite = gimp
    results, output = gimp_run(suite, url, token_url, gui=False)
    return name, {**results, "output": output}


@pytest.fixture(scope="module")
def atlas_server(gimp, tmp_path_factory):
    """A server whose atlas cache starts empty for each GIMP: its channel picker sees the pictures being made."""
    from .live_server import start_server

    live = start_server({"CACHE_FOLDER": str(tmp_path_factory.mktemp("atlas-cache"))})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def gimp_gui(gimp, atlas_server):
    """With the channel picker's server, and a network it has not downloaded, if there is one."""
    from dreamlayer.catalog import describe_models

    _, url, token_url, suite = gimp
    missing = next((m["name"] for m in describe_models() if not m["available"]), "")
    return gimp_run(suite, url, token_url, gui=True, more_env={
        "DREAMLAYER_TEST_ATLAS_SERVER": atlas_server.url, "DREAMLAYER_TEST_MISSING_MODEL": missing})


def gui_case(gimp_gui: tuple[dict, str], name: str) -> dict:
    """The interface run's case ``name``; if it did not get that far, what stopped it (its traceback, or GIMP's
    last words)."""
    results, output = gimp_gui
    if name not in results:
        pytest.fail(f"the case '{name}' did not run (GIMP's exit code {results.get('exit_code')}): "
                    f"{results.get('crash') or results.get('fault', '') + output[-3000:]}")
    return results[name]


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


def test_menus_put_the_dream_first_and_the_films_with_animations(gimp_results):
    procedures = gimp_results[1]["procedures"]
    assert procedures["python-fu-dreamlayer"]["menu_paths"] == ["<Image>/Filters/Artistic"]
    assert procedures["python-fu-dreamlayer-zoom"]["menu_paths"] == ["<Image>/Filters/Animation"]
    assert procedures["python-fu-dreamlayer-animation"]["menu_paths"] == ["<Image>/Filters/Animation"]
    for procedure in procedures.values():  # after run-mode, image and drawables; the server's last
        assert procedure["arguments"][3] == "preset"
        assert procedure["arguments"][-3:] == ["server-url", "token", "server-python"]
    assert procedures["python-fu-dreamlayer"]["arguments"][4:6] == ["variations", "guide"]


@pytest.mark.parametrize("case", ["u8", "u16", "float"])
def test_selection_is_dreamed_into_a_new_layer_in_one_undo_group(gimp_results, case):
    _, results = gimp_results
    c = results[case]
    assert c["status"] == "success", c["error"]
    assert c["names"] == ["Dream 3 · classic", "Source"]  # above the source, named with its seed
    assert c["new_bounds"] == c["selection_bounds"]
    assert c["core_changed"] > 0.9  # Krita's same case at u8, seeds 1-5, 1 and 2 threads (bench/test_margins.py): 0.996-1
    assert c["source_unchanged"]
    assert c["unselected_pixels"] > 0 and c["unselected_untouched_or_clear"]
    assert c["mask_is_the_selection"] and c["no_rectangle_when_the_source_is_repainted"]
    assert c["undo_group_left_open"] is False
    assert c["new_precision"].startswith({"u8": "u8", "u16": "u16", "float": "float"}[case])
    ran_the_preset(c["recorded"], "classic", octaves=1, steps=4, step_size=6.0, seed=3)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_a_preset_alone_runs_the_presets_values(gimp_results, preset):
    c = gimp_results[1]["presets"][preset]
    assert c["status"] == "success", c["error"]
    ran_the_preset(c["recorded"], preset)
    assert c["names"][0] == f"Dream {c['recorded']['settings']['seed']} · {preset}"


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
    again, first = c["records"]  # the second dream goes in above the first, so it shows
    assert again == first and first["settings"]["seed"] is not None
    assert c["same_pixels"] and c["same_place"]
    assert c["names"][0] == c["names"][1] + " #2"


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


def test_a_zoom_the_servers_disk_has_no_room_for_is_refused_before_it_is_sent(gimp_results):
    refused = gimp_results[1]["zoom_no_room"]
    # The plug-in's own check, from /v1/health's caps: the server would have said its pixel-steps budget first.
    assert refused["status"] != "success" and refused["images_added"] == 0
    assert "(100000 frames of 4096×4096) needs about 6.71 TB of disk on the dream server" in refused["error"]


def test_a_shared_server_down_is_a_clear_error_naming_the_url(gimp_results):
    _, results = gimp_results
    down = results["server_down"]
    assert down["status"] == "execution-error" and down["layers"] == 1
    assert "Can't reach the dreamlayer server at http://127.0.0.2:9" in down["error"]
    assert "Traceback" not in down["error"]


def test_grayscale_images_get_a_clear_error(gimp_results):
    _, results = gimp_results
    assert results["grey"]["status"] == "execution-error" and results["grey"]["layers"] == 1
    assert "needs an RGB image" in results["grey"]["error"] and "Image > Mode > RGB" in results["grey"]["error"]


def test_a_layer_of_another_network_is_refused_by_name(gimp_results):
    c = gimp_results[1]["foreign_layer"]
    assert c["status"] == "execution-error" and c["layers"] == 1
    assert "'lite0' has no layer 'relu4_3'" in c["error"] and "block10" in c["error"]


@pytest.mark.parametrize("case", ["variations", "random_variations"])
def test_variations_arrive_as_layers_named_with_consecutive_seeds_in_a_new_group(gimp_results, case):
    c = gimp_results[1][case]
    assert c["status"] == "success", c["error"]
    seeds = c["seeds"]
    if case == "variations":
        assert seeds == [3, 4, 5]  # from the seed given
    assert seeds == list(range(seeds[0], seeds[0] + 3))
    assert c["is_group"] and c["names"] == [f"Variations {seeds[0]}–{seeds[2]} · classic", "Source"]
    assert c["children"] == [f"Dream {seed} · classic" for seed in seeds]  # the first seed on top
    assert c["visible"] == [True, False, False]  # the first shows; the painter flips through the others
    assert c["distinct"] == 3 and c["bounds"] == [[8, 8, 48, 32]] * 3
    assert c["source_unchanged"] and c["undo_group_left_open"] is False


def test_a_guide_layer_steers_the_dream_and_stays_as_it_was(gimp_results):
    c = gimp_results[1]["guide"]
    assert c["status"] == ["success", "success"], c["error"]
    assert c["guide_changed_the_dream"] and c["unchanged"]
    assert c["names"] == ["Dream 3 · classic #2", "Dream 3 · classic", "Source", "Guide"]  # each new one on top


@pytest.mark.parametrize("case, channels", [("strongest", "strongest:3"), ("listed", "3,7")])
def test_channels_run_as_given(gimp_results, case, channels):
    c = gimp_results[1]["channels"][case]
    assert c["status"] == "success", c["error"]
    ran_the_preset(c["recorded"], "classic", octaves=1, steps=4, step_size=6.0, seed=3, channels=channels)


def test_a_weighted_layer_mix_runs_and_replays(gimp_results):
    c = gimp_results[1]["mix"]
    assert c["status"] == ["success", "success"], c["error"]
    assert c["recorded"]["settings"]["layer"] == "block5=0.5,block8"
    assert c["same_pixels"]


def test_an_image_of_frame_layers_becomes_a_dreamed_animation_keeping_each_delay(gimp_results):
    c = gimp_results[1]["animation"]
    assert c["status"] == "success", c["error"]
    assert c["size"] == [48, 32] and c["names"] == c["source_names"]  # the names hold the delays
    assert c["names"] == ["Last frame"] + [f"Frame {n} (83ms)" for n in (5, 4, 3, 2, 1)]
    assert c["distinct"] == 6 and c["changed"] == 6
    assert c["source_unchanged"]
    ran = c["recorded"]
    assert ran["preset"] == "classic" and ran["settings"]["seed"] == 4 and ran["settings"]["steps"] == 3
    assert ran["film"]["steps_per_frame"] == 2 and ran["film"]["follow_motion"] is True


def test_a_shared_servers_token_is_sent_kept_for_it_readable_by_the_user_only_and_forgotten(gimp_results):
    c = gimp_results[1]["token"]
    status, error = c["refused"]
    assert status == "execution-error" and c["layers_after_refusal"] == 1
    assert "token" in error and "Server section" in error
    assert c["given"][0] == "success" and c["kept"][0] == "success", (c["given"], c["kept"])
    assert list(c["stored"].values()) == [TOKEN] and c["mode"] == "0o600"
    assert c["forgotten"][0] == "execution-error"
    assert TOKEN not in gimp_results[1]["output"]


def test_a_port_held_by_another_program_is_named_with_what_to_do(gimp_results):
    c = gimp_results[1]["port_taken"]
    assert c["status"] == "execution-error" and c["layers"] == 1
    assert f"Port {c['port']} is used by another program" in c["error"] and "Close that program" in c["error"]


def test_a_server_that_fails_to_start_names_its_log_and_quotes_it(gimp_results):
    c = gimp_results[1]["start_failure"]
    assert c["status"] == "execution-error" and c["layers"] == 1
    assert c["log"] in c["error"] and "this Python cannot run dreamlayer" in c["error"]
    assert c["kept_python"]  # the server's Python given as an argument is kept in the plug-in's settings


def test_with_no_server_the_plugin_starts_one_reuses_it_and_it_leaves_once_idle(gimp_results):
    c = gimp_results[1]["managed"]
    assert c["first"][0] == "success" and c["second"][0] == "success", (c["first"], c["second"])
    assert c["started"] == 1 and c["answering"] and c["started_in_all"] == 1 and c["layers"] == 3
    assert not c["still_running"] and c["idle_exit"] - 2 <= c["exited_after"] <= c["idle_exit"] + 15


def test_a_dream_lost_with_its_server_is_sent_again_once_and_the_artist_told(gimp_results):
    c = gimp_results[1]["resend"]
    assert c["killed"], "the server was never seen dreaming"
    assert c["status"] == "success", c["error"]
    assert c["started"] == 2 and c["names"][1:] == ["Source"]
    assert "The dream server stopped during the dream: dreamlayer sends the dream again" in gimp_results[1]["output"]


def test_no_managed_server_outlives_gimp(gimp_results):
    assert gimp_results[1]["managed_ports"] and gimp_results[1]["left_running"] == []


def test_dialogs_give_every_setting_a_mnemonic_of_its_own(gimp_gui):
    results, output = gimp_gui
    assert "mnemonic" not in output, [line for line in output.splitlines() if "mnemonic" in line]
    for dialog in results["dialogs"].values():
        assert all(dialog["widgets"].values()), dialog["widgets"]
        assert dialog["shown"][0] == "preset" and "server-url" in dialog["shown"]
    dream = results["dialogs"]["python-fu-dreamlayer"]["shown"]
    assert dream[-3:] == ["server-url", "token", "server-python"] and {"variations", "guide", "channels"} <= set(dream)


def test_every_dialog_fits_a_1366_by_768_screen_with_every_section_open(gimp_gui, gimp):
    """Screenshots go to DREAMLAYER_SCREENSHOTS when set (gimp-dialog-VERSION-PROCEDURE.png)."""
    name = gimp[0]
    for procedure, dialog in gimp_gui[0]["dialogs"].items():
        fit = dialog["fit"]
        png = base64.b64decode(fit.pop("png"))
        assert png.startswith(b"\x89PNG")
        if os.environ.get("DREAMLAYER_SCREENSHOTS"):
            Path(os.environ["DREAMLAYER_SCREENSHOTS"], f"gimp-dialog-{name}-{procedure}.png").write_bytes(png)
        assert fit["screen"] == [1366, 768], fit
        assert fit["dialog"][0] <= 1366 and fit["dialog"][1] <= 768, (procedure, fit)
        assert fit["outside"] == [], (procedure, fit)


def test_dialog_shows_the_preset_it_will_run_and_follows_a_new_one(gimp_gui):
    dialog = gimp_gui[0]["dialogs"]["python-fu-dreamlayer"]
    classic, deep = PRESETS["classic"]["values"], PRESETS["deep"]["values"]
    assert dialog["opened"]["preset"] == "classic" and "from-preset" not in dialog["opened"].values()
    assert (dialog["opened"]["octaves"], dialog["opened"]["steps"], dialog["opened"]["layer"]) == (classic["octaves"], classic["steps"], "network-default")
    assert dialog["opened"]["random-seed"] is True and dialog["opened"]["automatic-scale"] is True
    assert (dialog["deep"]["octaves"], dialog["deep"]["steps"], dialog["deep"]["layer"]) == (deep["octaves"], deep["steps"], deep["layer"])
    assert dialog["vgg16"] == {"layer": "network-default", "sensitive": {"block12": False, "relu4_3": True,
                                                                        "network-default": True, "from-preset": True}}
    assert dialog["seed_sensitive_when_random"] is False and dialog["seed_sensitive_when_not_random"] is True
    zoom = gimp_gui[0]["dialogs"]["python-fu-dreamlayer-zoom"]
    assert zoom["opened"]["frames"] > 0 and zoom["deep"]["octaves"] == deep["octaves"]
    animation = gimp_gui[0]["dialogs"]["python-fu-dreamlayer-animation"]
    assert animation["opened"]["steps-per-frame"] > 0 and animation["deep"]["octaves"] == deep["octaves"]


def test_dialog_offers_no_guide_until_one_is_chosen_and_shows_the_servers_settings(gimp_gui):
    for dialog in gimp_gui[0]["dialogs"].values():  # the recorded Python runs even where there is no room to show it
        assert dialog["opened"]["token"] == "" and dialog["opened"]["server-python"] == dialog["recorded_python"] != ""
    dream = gimp_gui[0]["dialogs"]["python-fu-dreamlayer"]
    assert dream["token_hidden"] and dream["guide"] == "None"


def test_a_token_typed_in_the_dialog_is_kept_by_the_plugin_not_by_gimp(gimp_gui):
    c = gui_case(gimp_gui, "token")
    assert c["keys_pressed"] and c["status"] == "success", c["error"]
    assert c["layers"] == 2 and c["kept"] == TOKEN and c["mode"] == "0o600"
    assert not c["in_last_values"] and c["in_image"] == []


def test_ok_in_the_dialog_runs_what_it_shows(gimp_gui):
    ok = gui_case(gimp_gui, "ok")
    assert ok["keys_pressed"] and ok["status"] == "success", ok["error"]
    ran_the_preset(ok["recorded"], "deep", octaves=2, steps=2)
    assert re.fullmatch(r"Dream \d{1,5} · deep", ok["names"][0])


def test_help_opens_the_plugins_own_page_and_cancel_changes_nothing(gimp_gui):
    results = gimp_gui[0]
    cancelled = gui_case(gimp_gui, "help_and_cancel")
    assert cancelled["keys_pressed"] and cancelled["status"] == "cancel" and cancelled["layers"] == 1
    page = "/plug-ins/dreamlayer/help/en/dreamlayer.html"
    assert len(results["help_from_dialog"]) == 1 and results["help_from_dialog"][0].endswith(page + "#deepdream")
    assert results["help_zoom"] and results["help_zoom"][0].endswith(page + "#zoom")
    assert results["help_animation"] and results["help_animation"][0].endswith(page + "#animation")


def test_the_channel_picker_shows_the_layers_pictures_as_they_are_made_strongest_on_the_selection_first(gimp_gui, gimp):
    c = gui_case(gimp_gui, "picker")
    assert c["pick_pressed"] and c["title"] == "Channels of block1", c
    first = c["first_tick"]  # the cache started empty: the first answer has the pictures still to make
    assert first["cells"] == 24 and first["pictures"] < 24 and first["progress_shown"], first
    assert first["progress"].startswith("Making the channels' pictures"), first
    assert c["error"] is None and not c["polling_when_all_in"] and not c["progress_shown_when_all_in"]
    shown = c["shown"]
    assert len(shown) == 24 and all(has_picture for _, _, has_picture, _ in shown)
    # The server's own ranking of the same pixels (the selection's box, the selection as mask) gives the order and
    # the shares, and the selection counts: the whole layer ranks otherwise.
    ranking = c["ranking_of_the_selection"]
    assert [channel for channel, *_ in shown] == [channel for channel, _ in ranking]
    assert [channel for channel, _ in ranking] != [channel for channel, _ in c["ranking_of_the_layer"]]
    assert "Strongest on the selection first" in c["hint"]
    assert [label for _, label, *_ in shown] == [f"#{channel} · {share:.1%}" for channel, share in ranking]
    assert set(c["bold"]) == {channel for channel, share in ranking if share >= 0.05} != set()
    png = base64.b64decode(c["screenshot"]["png"])
    assert png.startswith(b"\x89PNG") and c["screenshot"]["size"][0] <= 1366 and c["screenshot"]["size"][1] <= 768
    if os.environ.get("DREAMLAYER_SCREENSHOTS"):
        Path(os.environ["DREAMLAYER_SCREENSHOTS"], f"gimp-channel-picker-{gimp[0]}.png").write_bytes(png)


def test_channels_picked_with_a_click_and_a_ctrl_click_go_into_the_channels_argument_and_cancel_keeps_them(gimp_gui):
    c = gui_case(gimp_gui, "picker")
    a, b = c["clicked"]
    assert c["clicks_pressed"] and c["selected"] == [a, b] and c["choice_line"] == f"OK: 2 channels: {a},{b}"
    assert c["field_before"] == "all"  # the preset's: every channel
    assert c["ok_pressed"] and c["closed_by_ok"]
    assert c["after_ok"] == {"field": f"{a},{b}", "argument": f"{a},{b}"}  # numbers, as a script passes them
    assert c["pick_again_pressed"] and sorted(c["reopened_selected"]) == sorted([a, b])  # opens on the choice
    assert sorted(c["selected_before_cancel"]) == sorted([a, b, c["third"]])
    assert c["cancel_pressed"] and c["closed_by_cancel"]
    assert c["after_cancel"] == {"field": f"{a},{b}", "argument": f"{a},{b}"}


def test_the_channel_picker_says_when_the_server_is_out_of_reach_and_stops_asking_once_closed(gimp_gui):
    c = gui_case(gimp_gui, "picker_server_down")
    assert c["pick_pressed"] and c["polling_while_open"] and c["ticks_while_open"] >= 2, c
    assert "Can't reach the dreamlayer server at http://127.0.0.2:9" in c["error"] and "Traceback" not in c["error"]
    assert c["escape_pressed"] and c["closed"]
    assert not c["polling_after_close"] and c["ticks_after_close"] == 0
    assert c["field"] == "all"  # as the dialog opened: the preset's every channel


def test_the_channel_picker_names_a_network_the_server_has_not_downloaded_and_asks_no_more(gimp_gui):
    c = gimp_gui[0].get("picker_missing_model")
    if c is None:
        pytest.skip("every network is downloaded on this machine")
    assert c["pick_pressed"] and c["error"], c
    assert f"The '{c['model']}' model is not downloaded on the server" in c["error"] and "Traceback" not in c["error"]
    assert f"dreamlayer models pull {c['model']}" in c["error"]
    assert c["cells"] == 0 and not c["polling_while_open"]  # asking again would not mend it
    assert c["escape_pressed"] and c["closed"] and c["ticks_after_close"] == 0


@pytest.fixture(scope="module")
def gimp_preview(gimp):
    """The Preview's GIMP run, against a server of its own: no other run's live lanes there."""
    from .live_server import start_server

    _, _, token_url, suite = gimp
    live = start_server({})
    try:
        results, output = gimp_run(suite, live.url, token_url, gui=True, cases="preview_cases.py")
    finally:
        live.stop()
    return results, output


def test_the_preview_is_off_until_clicked_then_shows_the_servers_live_dream_of_the_layer(gimp_preview, gimp):
    """A screenshot goes to DREAMLAYER_SCREENSHOTS when set (gimp-preview-VERSION.png)."""
    c = gimp_preview[0]["preview"]
    png = base64.b64decode(c["fit"].pop("png"))
    if os.environ.get("DREAMLAYER_SCREENSHOTS"):
        Path(os.environ["DREAMLAYER_SCREENSHOTS"], f"gimp-preview-{gimp[0]}.png").write_bytes(png)
    assert png.startswith(b"\x89PNG") and c["fit"]["size"][0] <= 1366 and c["fit"]["size"][1] <= 768, c["fit"]
    assert c["opened_on"] is False and c["toggle"] == "Preview" and c["lanes_before"] == 0
    assert c["shows_the_layer_when_off"] > 0.99  # GIMP's preview shows the layer itself until Preview is on
    assert c["on_clicked"] and c["on"] and c["shown"], c
    first = c["first"]
    assert first["shows_the_dream"] > 0.99 and first["shows_the_layer"] < 0.5, first
    assert first["changed_from_the_layer"] > 0.5  # a dream, not the layer
    # What the preview got is what the server makes of the same request (a fixed seed: the same dream).
    assert first["difference_from_the_servers_own"] is not None and first["difference_from_the_servers_own"] < 1.0
    assert first["lanes"] == 1 and first["status"].startswith("Live dream:") and c["error"] is None


def test_another_setting_chosen_in_the_dialog_dreams_the_preview_again(gimp_preview):
    c = gimp_preview[0]["preview"]
    assert c["layer_chosen"] and c["layer_argument"] == "block3" and c["shown_again"], c
    second = c["second"]
    assert second["shows_the_dream"] > 0.99 and second["shows_the_first"] < 0.5, second
    assert second["changed_from_the_first"] > 0.5


def test_the_preview_leaves_the_image_as_it_was_and_its_lane_goes_with_the_dialog(gimp_preview):
    c = gimp_preview[0]["preview"]
    for state in (c["during"], c["after"]):
        assert state == c["before"] and state["layers"] == ["Source"] and state["source_unchanged"]
    assert c["off_clicked"] and c["off"]["update"] is False and c["off"]["shows_the_layer"] > 0.99
    assert c["closed"] and c["lanes_after_close"] == 0


def test_with_a_selection_the_preview_dreams_the_selection_and_shows_the_layer_around_it(gimp_preview):
    c = gimp_preview[0]["selection"]
    assert c["view"] == [32, 22, 96, 76]  # GIMP frames the selection (40, 30, 80×60) with a margin
    assert c["on_clicked"] and c["shown"] and c["mask_sent"], c
    assert c["outside_kept"] and c["inside_changed"] > 0.5  # as the full dream's layer mask will show it
    assert c["shows_the_dream"] > 0.99
    assert c["after"]["layers"] == ["Source"] and c["after"]["source_unchanged"]


def test_a_larger_image_is_previewed_part_by_part_as_the_preview_moves(gimp_preview):
    c = gimp_preview[0]["scroll"]
    assert c["on_clicked"] and c["shown"], c
    assert c["first_view"][:2] == [0, 0] and c["first_view"][2] < 480  # a part, at 1:1
    assert c["moved_view"][:2] == [200, 150] and c["shown_there"], c
    assert c["shows_the_dream"] > 0.99 and c["changed_from_the_layer"] > 0.5
    assert c["after"]["layers"] == ["Source"] and c["after"]["source_unchanged"]


def test_a_layer_without_alpha_is_previewed_in_rgb(gimp_preview):
    c = gimp_preview[0]["no_alpha"]
    assert c["on_clicked"] and c["shown"] and c["layout"] == "RGB", c
    assert c["shows_the_dream"] > 0.99 and c["changed_from_the_layer"] > 0.5
    assert c["after"]["layers"] == ["Source"] and c["after"]["source_unchanged"]


def test_the_preview_says_in_the_dialog_when_its_server_is_out_of_reach(gimp_preview):
    c = gimp_preview[0]["server_down"]
    assert c["on_clicked"] and c["error_shown"] and c["dreams_shown"] == 0, c
    assert "Can't reach the dreamlayer server at http://127.0.0.2:9" in c["error"] and "Traceback" not in c["error"]
    assert c["after"]["layers"] == ["Source"] and c["after"]["source_unchanged"]


def test_ok_with_the_preview_on_still_makes_the_full_dream_layer(gimp_preview):
    c = gimp_preview[0]["ok"]
    assert c["on_clicked"] and c["shown"] and c["lanes_while_open"] == 1 and c["keys_pressed"], c
    assert not c["left_open"]  # Return is OK with the preview on: clicking Preview leaves the focus where it was
    assert c["during"]["layers"] == ["Source"] and c["during"]["source_unchanged"]
    assert c["accepted"] and c["closed"] and c["lanes_after_close"] == 0
    assert c["after"]["layers"] == ["Dream 3 · classic", "Source"] and c["after"]["source_unchanged"]
    assert c["new_layer_differs"]


def test_cancel_with_the_preview_on_leaves_the_image_as_it_was(gimp_preview):
    c = gimp_preview[0]["cancel"]
    assert c["on_clicked"] and c["shown"] and c["keys_pressed"] and not c["left_open"], c
    assert c["accepted"] is False and c["closed"] and c["lanes_after_close"] == 0
    assert c["after"]["layers"] == ["Source"] and c["after"]["source_unchanged"]


# -- the picker's plain-Python side (picker_inputs), without GIMP ------------------------------------------------

@pytest.fixture
def picking(monkeypatch, tmp_path):
    """The plug-in's picker_inputs and its dream form, imported from the checkout (the editor core from server/)."""
    import importlib
    import sys

    from dreamlayer.catalog import describe_models
    from dreamlayer_editor.description import Description

    names = ("picker_inputs", "procedure_forms", "setting_arguments", "film_arguments", "mnemonics",
             "server_connection", "plugin_settings", "plugin_errors")
    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(REPO / "gimp_plugin" / "dreamlayer"))
    inputs = importlib.import_module("picker_inputs")
    form = importlib.import_module("procedure_forms").dream_form(
        Description.from_json({"settings": describe(), "models": describe_models()}))
    settings = importlib.import_module("plugin_settings").PluginSettings(str(tmp_path / "dreamlayer"))
    yield inputs, form, {a.name: a.default for a in form.arguments}, settings
    for name in names:
        sys.modules.pop(name, None)


def test_the_picker_shows_the_layer_the_dream_would_use(picking):
    from dreamlayer_editor.description import DescriptionError

    inputs, form, args, _ = picking
    assert inputs.picked_layer(form, args)[:3] == ("lite0", "block10", "")  # classic: the network's default layer
    assert inputs.picked_layer(form, {**args, "layer": "block3"}).name == "block3"
    mixed = inputs.picked_layer(form, {**args, "layer-mix": "block5=0.5,block8"})
    assert mixed.name == "block8" and "block8's pictures" in mixed.note  # the heaviest, and the window says so
    assert inputs.picked_layer(form, {**args, "channels": "3,7"}).channels_text == "3,7"
    with pytest.raises(DescriptionError, match="has no layer 'block3'"):
        inputs.picked_layer(form, {**args, "model": "vgg16", "layer": "block3"})


@pytest.mark.parametrize("opened_with, chosen, written, line", [
    ("", [5, 7], "5,7", "OK: 2 channels: 5,7"),
    ("3,17", [], "all", "OK: Every channel"),  # the artist un-chose the setting's channels
    ("", [], None, "OK: Every channel"),  # as it was: every channel
    ("strongest:3", [], None, "None chosen: OK keeps “strongest:3”"),
])
def test_ok_writes_the_chosen_numbers_or_leaves_what_no_picture_stands_for(picking, opened_with, chosen, written, line):
    from dreamlayer_editor.atlas import ChannelPicker
    from dreamlayer_editor.client import DreamClient

    inputs = picking[0]
    picker = ChannelPicker.for_setting(DreamClient(), "lite0", "block10", opened_with)
    picker.choose(chosen)
    assert inputs.text_after_ok(picker, opened_with, "all") == written
    assert inputs.choice_text(picker, opened_with) == line


def test_the_picker_uses_a_token_typed_in_the_dialog_without_keeping_it(picking):
    inputs, _, args, settings = picking
    url = {"server-url": "http://192.0.2.1:9"}
    assert inputs.dialog_connection({**args, **url, "token": "t0k"}, settings).client.token == "t0k"
    assert not os.path.exists(settings.path)  # kept only once a dream runs with it
    settings.set_token("http://192.0.2.1:9", "kept")
    assert inputs.dialog_connection({**args, **url}, settings).client.token == "kept"
    assert inputs.dialog_connection({**args, **url, "token": "forget"}, settings).client.token is None
    assert settings.token_for("http://192.0.2.1:9") == "kept"
