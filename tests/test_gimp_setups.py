"""The GIMP plug-in in a set-up artists have, in real GIMP 3.0 and 3.2: installed with ``install-plugin --dest``
into GIMP's plug-ins folder, a ``dreamlayer serve`` started by hand at the procedures' URL, and three GIMP sessions
in the same home folder (tests/gimp/setup_cases.py): scripts in the first, scripts giving only some arguments
in a later one (when GIMP loads the procedures from its pluginrc cache), and the dialog in a later one.

The procedure's dreams are compared, pixel for pixel, with the local CLI's dream of the same picture (in.png,
loaded by GIMP as it loads any PNG) with the same settings:

- an 8-bit image (the plug-in sends RGBA u8) against ``dreamlayer dream in.png``: the same bits in;
- the image converted to 16-bit (the values × 257; the plug-in sends RGBA u16) against the CLI on the 16-bit PNG
  of those values, 16-bit results compared;
- the image converted to float and given the floats the CLI makes of in.png (sent as f32) against the CLI on
  in.png: the same bits in; GIMP's float result turned to 8 bits as the CLI writes its PNG;
- a selection that reaches every side of the layer (a feathered hole in it) against the CLI with ``--mask``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from dreamlayer.images import to_uint8

from .editors import REPO, chroot_ready, read_results, require, run_in, workspace
from .same_dream import cli_dream, difference, install_with_dest, sent_mask, served_by_hand, the_mask, the_picture

HERE = Path(__file__).with_name("gimp")
GIMPS = {"gimp3.0": ("trixie", "3.0"), "gimp3.2": ("sid", "3.2")}
W, H = 96, 64
SESSIONS = (("first", False), ("again", False), ("dialog", True))  # (session, with GIMP's interface)
DREAMS = ("u8", "u16", "float", "u8_selection", "u8_no_python")


@pytest.fixture(scope="module", params=list(GIMPS))
def sessions(request, tmp_path_factory):
    """One GIMP's three sessions: (what each wrote, what was installed, the folder the dreams came back to)."""
    suite, version = GIMPS[request.param]
    require(chroot_ready(suite), f"GIMP ({request.param}, the {suite} chroot)")
    files = tmp_path_factory.mktemp(f"gimp-files-{request.param}")
    the_picture(files, W, H)
    the_mask(files, W, H)
    results = {}
    with served_by_hand(files / "serve.log") as url, workspace(suite) as (here, there):
        folder = here / "home" / ".config" / "GIMP" / version
        results["installer_said"] = install_with_dest("gimp", folder / "plug-ins", here / "home")
        results["installed"] = json.loads((folder / "dreamlayer" / "settings.json").read_text())
        for name in ("in.png", "in.f32", "mask.u8"):
            shutil.copy(files / name, here / name)
        for name in ("setup_cases.py", "press_key.py"):
            shutil.copy(HERE / name, here / name)
        for session, gui in SESSIONS:
            env = {"HOME": str(there / "home"), "DREAMLAYER_TEST_SERVER": url, "DREAMLAYER_TEST_SESSION": session,
                   "DREAMLAYER_TEST_OUT": str(there / f"{session}.json"),
                   "DREAMLAYER_TEST_KEYS": str(there / "press_key.py"), "PYTHONPATH": str(REPO / "server")}
            gimp = ["xvfb-run", "-a", "gimp", "-df"] if gui else ["gimp-console", "-idf"]
            script = f"exec(open({str(there / 'setup_cases.py')!r}).read())"
            run = run_in(suite, [*gimp, "--batch-interpreter", "python-fu-eval", "-b", script, "--quit"], env, timeout=600)
            written = read_results(here / f"{session}.json", "GIMP", run)
            results[session] = {**written[session], "gimp": written["gimp"], "pluginrc": (folder / "pluginrc").is_file()}
        for path in [*here.glob("*.raw"), here / "u8_selection.mask"]:
            shutil.copy(path, files / path.name)
    return request.param, results, files


def raw(files: Path, name: str, dtype) -> np.ndarray:
    return np.frombuffer((files / f"{name}.raw").read_bytes(), dtype).reshape(H, W, 4)


def test_installed_with_dest_the_plugin_dreams_on_a_server_started_by_hand_with_or_without_a_python(sessions):
    name, results, files = sessions
    assert results["first"]["gimp"].startswith(name[4:] + ".")
    assert results["installed"]["server_python"] == sys.executable  # --dest records the Python like any install
    assert "settings.json" in results["installer_said"]
    first = results["first"]
    assert first["recorded_python"] == sys.executable
    for dream in DREAMS:
        assert first[dream]["status"] == "success", (dream, first[dream]["error"])
        assert first[dream]["place"] == [0, 0, W, H]
    assert not first["managed_log"]  # the server by hand was used: none was started
    assert (files / "u8.raw").read_bytes() == (files / "u8_no_python.raw").read_bytes()


def test_a_later_session_takes_any_subset_of_the_arguments_from_a_script(sessions):
    _, results, files = sessions
    again = results["again"]
    assert results["first"]["pluginrc"]  # GIMP's cache of the procedures, which the later sessions load
    for case in ("preset_and_url", "quick", "replayed", "zoom", "animation"):
        assert again[case]["status"] == "success", (case, again[case]["error"])
    assert again["preset_and_url"]["recorded"]["preset"] == "classic"
    assert (files / "again_u8.raw").read_bytes() == (files / "u8.raw").read_bytes()
    assert (files / "again_replayed.raw").read_bytes() == (files / "u8.raw").read_bytes()
    assert again["zoom"]["frames"] == 2 and again["animation"]["frames"] == 2


def test_a_later_session_dreams_from_the_dialog(sessions):
    _, results, files = sessions
    dialog = results["dialog"]
    assert dialog["keys_pressed"] and dialog["status"] == "success", dialog["error"]
    assert (files / "dialog_u8.raw").read_bytes() == (files / "u8.raw").read_bytes()


def test_the_plugin_dreams_the_same_pixels_as_the_local_cli(sessions, tmp_path):
    _, results, files = sessions
    first = results["first"]

    def cli(dream, source, mask=None):
        return cli_dream(files / source, tmp_path / f"{dream}.png", first[dream]["recorded"]["settings"], mask)

    mask = sent_mask(files / "u8_selection.mask", W, H, tmp_path / "sent-mask.png")

    found = [
        difference("GIMP 8-bit (RGBA u8)", raw(files, "u8", np.uint8), cli("u8", "in.png")),
        difference("GIMP 16-bit (RGBA u16)", raw(files, "u16", np.uint16), cli("u16", "in16.png")),
        difference("GIMP float (RGBA f32, as 8 bits)", to_uint8(raw(files, "float", np.float32)), cli("float", "in.png")),
        difference("GIMP 8-bit with a selection (u8 mask)", raw(files, "u8_selection", np.uint8),
                   cli("u8_selection", "in.png", mask)),
    ]
    assert not [f for f in found if f], [f for f in found if f]
