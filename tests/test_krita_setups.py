"""The Krita docker in a set-up artists have, in real Krita 5 and 6: installed with ``install-plugin --dest``, a
``dreamlayer serve`` started by hand on the docker's port, and the docker's own knobs and Dream button
(tests/krita/setup_cases.py). Its dreams are compared, pixel for pixel, with the local CLI's dream of the same
picture with the same settings:

- U8 (the docker sends BGRA u8) against ``dreamlayer dream in.png``: the same bits in;
- U16 (BGRA u16, the 8-bit values × 257) against the CLI on the 16-bit PNG of those values: the same bits in, and
  16-bit results compared;
- F32 (RGBA f32, the 8-bit values / 255: the floats the CLI makes of the 8-bit PNG) against the CLI on the 8-bit
  PNG, the docker's float result turned to 8 bits as the CLI writes its PNG;
- a selection that reaches every side of the layer (a feathered hole in it) against the CLI with ``--mask``.
"""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

from dreamlayer.images import to_uint8

from .editors import case_result, chroot_ready, require
from .same_dream import cli_dream, difference, sent_mask, served_by_hand, the_mask, the_picture
from .test_krita import KRITAS, run_krita

W, H = 96, 64  # as in tests/krita/setup_cases.py
SURFACES = ("U8", "U16", "F32", "U8_selection", "U8_no_python")


@pytest.fixture(scope="module", params=list(KRITAS))
def by_hand(request, tmp_path_factory):
    """One Krita's run of the set-up cases, with the folder its dreams were written to."""
    suite = KRITAS[request.param]
    if suite is None:
        require(shutil.which("krita") is not None and shutil.which("xvfb-run") is not None, "Krita 5 and Xvfb")
    else:
        require(chroot_ready(suite), f"Krita 6 (the {suite} chroot)")
    folder = tmp_path_factory.mktemp(f"by-hand-{request.param}")
    files = tmp_path_factory.mktemp(f"krita-files-{request.param}")
    the_picture(files, W, H)
    the_mask(files, W, H)
    with served_by_hand(folder / "serve.log") as url:
        port = int(url.rsplit(":", 1)[1])
        env = {"DREAMLAYER_TEST_SERVER": url, "DREAMLAYER_TEST_HAND_SERVER": url}
        results = run_krita(suite, "setups", env, {"managed_port": port, "managed_device": "cpu"}, "exit", files=files)
    return url, results, files


def test_installed_with_dest_the_docker_dreams_on_a_server_started_by_hand_with_or_without_a_python(by_hand):
    url, results, files = by_hand
    assert results["installed"]["server_python"] == sys.executable  # --dest records the Python like any install
    assert "settings.json" in results["installer_said"]
    c = case_result(results, "by_hand")
    assert c["recorded_python"] == sys.executable and c["python_after"] == ""
    for surface in SURFACES:
        dream = c["dreams"][surface]
        assert dream["error"] is None, (surface, dream["error"])
        assert dream["url"] == url and dream["started_here"] is None  # the server by hand, none started
        assert dream["bounds"] == [W, H]
    assert (files / "U8.raw").read_bytes() == (files / "U8_no_python.raw").read_bytes()


def test_the_docker_dreams_the_same_pixels_as_the_local_cli(by_hand, tmp_path):
    _, results, files = by_hand
    dreams = case_result(results, "by_hand")["dreams"]

    def krita(surface, dtype):
        data = np.frombuffer((files / f"{surface}.raw").read_bytes(), dtype).reshape(H, W, 4)
        return data[..., [2, 1, 0, 3]] if dtype != np.float32 else data  # integer depths are B, G, R, A

    def cli(surface, source, mask=None):
        return cli_dream(source, tmp_path / f"{surface}.png", dreams[surface]["settings"], mask)

    mask = sent_mask(files / "U8_selection_mask.raw", W, H, tmp_path / "sent-mask.png")
    selected = cli("U8_selection", files / "in.png", mask)
    if "transparencymask" not in dreams["U8_selection"]["masks"]:
        # Krita 5.1 can't fill a transparency mask from a script: the plugin puts the selection in the layer's
        # alpha instead (regions.cut_out), by the same rounding as here.
        selection = np.frombuffer((files / "U8_selection_mask.raw").read_bytes(), np.uint8).reshape(H, W)
        selected = selected.copy()
        selected[..., 3] = (selected[..., 3].astype(np.int64) * selection + 127) // 255

    found = [
        difference("Krita U8 (BGRA u8)", krita("U8", np.uint8), cli("U8", files / "in.png")),
        difference("Krita U16 (BGRA u16)", krita("U16", np.uint16), cli("U16", files / "in16.png")),
        difference("Krita F32 (RGBA f32, as 8 bits)", to_uint8(krita("F32", np.float32)), cli("F32", files / "in.png")),
        difference("Krita U8 with a selection (u8 mask)", krita("U8_selection", np.uint8), selected),
    ]
    assert not [f for f in found if f], [f for f in found if f]
