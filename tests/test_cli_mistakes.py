"""Mistakes as an artist types them, through the real `dreamlayer` command: each is refused before any work, in
plain words, with exit status 2 and no traceback, before torch is imported, in well under 1.5 s of the whole
process."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dreamlayer.cli import build_parser, main
from dreamlayer.cli.checks import claimed_output, number

from .conftest import cat_rgb

# The bound for a whole refused run. Measured here: 0.42 to 0.55 s of wall time on two quiet cores, up to
# 1.46 s when five other jobs share them, but 0.12 to 0.31 s of processor time either way (printed below, with -s).
# So the bound is on the processor time the process used, which other work does not inflate. Importing torch alone
# uses 2.1 s of it, so a refusal that loads torch fails here even without the import check.
WHOLE_PROCESS_SECONDS = 1.5


def refused(*args: str, cwd) -> str:
    """Run `python -m dreamlayer ARGS` and return what it said, having checked that it was refused in time,
    without a traceback and without importing torch (``-X importtime`` lists every module the process loads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "dreamlayer", *map(str, args)],
                         capture_output=True, text=True, cwd=cwd, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    took = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    print(f"refused in {took:.2f} s of processor time")
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    said = "\n".join(line for line in run.stderr.splitlines() if not line.startswith("import time:"))
    assert run.returncode == 2, said
    assert "Traceback" not in said and said.startswith("dreamlayer"), said
    assert "torch" not in imported, "torch was imported before the refusal"
    assert took < WHOLE_PROCESS_SECONDS, f"the refusal took {took:.2f} s of processor time"
    return said


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "in.png"
    Image.fromarray((cat_rgb(64, 48) * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def locked(tmp_path):
    """A folder nobody can write in, root included (root ignores permissions, not the immutable flag)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    lock = ["chattr", "+i"] if os.geteuid() == 0 and shutil.which("chattr") else ["chmod", "555"]
    subprocess.run([*lock, str(folder)], check=False, capture_output=True)
    try:
        (folder / "probe").touch()
        (folder / "probe").unlink()
        pytest.skip("no way to make a folder unwritable here")
    except OSError:
        pass
    yield folder
    subprocess.run(["chattr", "-i", str(folder)] if lock[0] == "chattr" else ["chmod", "755", str(folder)], check=False)


@pytest.mark.parametrize("command, output", [
    ("dream", "out.png"), ("zoom", "zoom.gif"), ("zoom", "frames"), ("video", "film.mp4"), ("video", "frames"),
])
def test_an_output_folder_that_cannot_be_written(command, output, picture, locked, tmp_path):
    said = refused(command, picture, locked / output, cwd=tmp_path)
    assert f"Can't write '{locked / output}': the folder '{locked}' can't be written" in said
    assert not any(locked.iterdir())


def test_an_output_under_a_file(picture, tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    said = refused("zoom", picture, tmp_path / "notes.txt" / "frames", cwd=tmp_path)
    assert "is a file, not a folder" in said


@pytest.mark.parametrize("command, name, given_as", [
    ("dream", "in.png", "sub/../in.png"),  # the same file, spelt differently
    ("zoom", "in.webp", "in.webp"),
    ("video", "in.gif", "./in.gif"),
])
def test_an_output_that_is_the_input(command, name, given_as, tmp_path):
    source = tmp_path / name
    Image.fromarray((cat_rgb(64, 48) * 255).astype(np.uint8)).save(source)
    (tmp_path / "sub").mkdir()
    before = source.read_bytes()
    said = refused(command, name, given_as, cwd=tmp_path)
    assert "itself: the result would replace it" in said and "--overwrite" in said
    assert source.read_bytes() == before


def test_a_folder_of_frames_is_not_dreamed_into_itself(tmp_path):
    (tmp_path / "frames").mkdir()
    Image.fromarray((cat_rgb(64, 48) * 255).astype(np.uint8)).save(tmp_path / "frames" / "a.png")
    said = refused("video", "frames", "frames", "--overwrite", cwd=tmp_path)
    assert "is the folder of frames being dreamed" in said


def test_overwrite_replaces_the_input(tmp_path):
    source = tmp_path / "in.png"
    Image.fromarray((cat_rgb(64, 48) * 255).astype(np.uint8)).save(source)
    before = source.read_bytes()
    assert main(["dream", str(source), str(source), "--overwrite", "--octaves", "1", "--steps", "2", "--seed", "1"]) == 0
    assert source.read_bytes() != before
    with Image.open(source) as result:
        assert result.size == (64, 48)


def test_overwrite_replaces_a_video_and_keeps_its_sound(tmp_path):
    """The film replaces its source only after the source's sound was copied from it."""
    import av

    from .test_cli_films import make_video

    source = tmp_path / "clip.mp4"
    make_video(source, frames=3)
    before = source.read_bytes()
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "video", str(source), str(source), "--overwrite",
                          "--octaves", "1", "--steps", "2", "--steps-per-frame", "1", "--scale", "1", "--seed", "1"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert source.read_bytes() != before and sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]
    with av.open(str(source)) as film:
        assert film.streams.video[0].frames == 3 and film.streams.audio


@pytest.mark.parametrize("command, output, words", [
    ("dream", "out.png", "is a folder; give one picture file"),
    ("zoom", "zoom.gif", "is a folder; give one picture to start from (`dreamlayer video` takes a folder"),
    ("video", "film.gif", "holds no PNG, JPEG, WebP or TIFF frames"),  # a folder of frames, but none in it
])
def test_a_folder_as_the_input(command, output, words, tmp_path):
    (tmp_path / "folder").mkdir()
    assert words in refused(command, "folder", output, cwd=tmp_path)
    assert not (tmp_path / output).exists()


def test_a_missing_params_from_file(picture, tmp_path):
    said = refused("dream", picture, "out.png", "--params-from", "gone.png", cwd=tmp_path)
    assert "There is no file 'gone.png' (given with --params-from)." in said


def test_device_with_server_is_the_servers(picture, tmp_path):
    said = refused("dream", "--server", "http://127.0.0.1:9", "--device", "cuda", picture, "out.png", cwd=tmp_path)
    assert "--device is for dreams made here" in said and "the server at http://127.0.0.1:9" in said


SERVE_NUMBERS = [a for a in next(a for a in build_parser()._actions if a.dest == "command").choices["serve"]._actions
                 if a.type is not None]


def test_every_numeric_serve_option_has_a_range():
    """One rule: every serve option that takes a number is typed by ``number``, which knows its range."""
    assert {a.dest for a in SERVE_NUMBERS} >= {"port", "max_queued", "max_pixels", "result_memory", "gpu_memory",
                                                "parent_pid", "idle_exit"}
    assert all(a.type.__qualname__.startswith(number.__name__) for a in SERVE_NUMBERS)


@pytest.mark.parametrize("flag, value, words", [
    ("--port", "70000", "a whole number from 1 to 65535, not 70000"),
    ("--port", "0", "a whole number from 1 to 65535, not 0"),
    ("--max-queued", "0", "a whole number of 1 or more, not 0"),
    ("--gpu-memory", "nan", "a number above 0, not nan"),
    *[(a.option_strings[0], "-1", ", not -1") for a in SERVE_NUMBERS],  # below every option's range
])
def test_serve_numbers_out_of_range(flag, value, words, tmp_path):
    said = refused("serve", flag, value, cwd=tmp_path)
    assert f"argument {flag}: must be " in said and words in said and len(said.splitlines()) == 1


@pytest.mark.parametrize("host", ["192.0.2.1", "999.1.1.1"])  # TEST-NET-1 (RFC 5737), never a machine's own
def test_serve_on_a_host_that_is_not_this_computer(host, tmp_path):
    said = refused("serve", "--host", host, "--token", "secret", "--port", "1", cwd=tmp_path)
    assert f"--host {host} is not an address of this computer" in said and "another program" not in said


def test_a_claim_leaves_nothing_when_the_run_fails(tmp_path):
    """What the claim made and nothing filled goes when the run fails; what existed or was written stays."""
    existing = tmp_path / "existing.png"
    existing.write_bytes(b"an older result")
    for output, folder in ((tmp_path / "new.png", False), (existing, False), (tmp_path / "a" / "b", True)):
        with pytest.raises(KeyboardInterrupt), claimed_output(output, folder):
            assert output.exists()
            raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.png"]
    assert existing.read_bytes() == b"an older result"
    with pytest.raises(RuntimeError), claimed_output(tmp_path / "frames", folder=True):
        (tmp_path / "frames" / "frame_00000.png").write_bytes(b"made")
        raise RuntimeError
    assert (tmp_path / "frames" / "frame_00000.png").exists()
