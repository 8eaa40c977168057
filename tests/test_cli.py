"""The `dreamlayer` command as a user runs it: real files, real model, short clear errors."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dreamlayer.cli import build_parser, main
from dreamlayer.images import read_settings
from dreamlayer.params import DreamParams

from .conftest import CAT, cat_rgb

FAST = ["--octaves", "2", "--steps", "3", "--step-size", "4", "--jitter", "8", "--seed", "5"]


def pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


@pytest.fixture
def rgba_png(tmp_path):
    rgb = (cat_rgb(128, 96) * 255).astype(np.uint8)
    alpha = np.tile(np.linspace(0, 255, 128).astype(np.uint8), (96, 1))
    path = tmp_path / "in.png"
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(path)
    return path


def test_dream_keeps_size_and_alpha_and_records_settings(rgba_png, tmp_path):
    out = tmp_path / "out.png"
    assert main(["dream", str(rgba_png), str(out), *FAST]) == 0
    result, source = Image.open(out), Image.open(rgba_png)
    assert result.mode == "RGBA" and result.size == source.size
    assert np.array_equal(np.asarray(result)[..., 3], np.asarray(source)[..., 3])
    assert np.abs(np.asarray(result, np.int16)[..., :3] - np.asarray(source, np.int16)[..., :3]).mean() > 2
    params = DreamParams.from_mapping(read_settings(out).params)
    assert (params.octaves, params.steps, params.seed, params.jitter) == (2, 3, 5, 8)
    assert params.scale == 0.5  # derived from the picture's size and recorded


def test_settings_in_a_png_reproduce_it(rgba_png, tmp_path):
    first, again = tmp_path / "first.png", tmp_path / "again.png"
    assert main(["dream", str(rgba_png), str(first), *FAST, "--preset", "gentle"]) == 0
    assert main(["dream", str(rgba_png), str(again), "--params-from", str(first)]) == 0
    assert read_settings(first) == read_settings(again)
    assert np.array_equal(pixels(first), pixels(again))


def test_mask_and_preserve_colors_from_the_command_line(tmp_path):
    source = tmp_path / "cat.jpg"
    Image.fromarray((cat_rgb(128, 96) * 255).astype(np.uint8)).save(source, quality=95)
    mask = np.zeros((96, 128), np.uint8)
    mask[:, 64:] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    assert main(["dream", str(source), str(out), *FAST, "--mask", str(tmp_path / "mask.png"), "--preserve-colors"]) == 0
    before, after = np.asarray(Image.open(source), np.int16), np.asarray(Image.open(out), np.int16)
    assert np.abs(after[:, :64] - before[:, :64]).max() <= 1
    assert np.abs(after[:, 64:] - before[:, 64:]).mean() > 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.png", "out.png"], "There is no file 'missing.png'."),
        (["{junk}", "out.png"], "it is not a PNG, JPEG, WebP or TIFF picture."),
        (["{cat}", "out.png", "--model", "alexnet"], "Unknown model 'alexnet'. Choose one of: lite0,"),
        (["{cat}", "out.png", "--layer", "mixed4c"], "Model 'lite0' has no layer 'mixed4c'."),
        (["{cat}", "out.png", "--steps", "0"], "'steps' must be between 1 and 200, not 0."),
        (["{cat}", "out.png", "--model", "vgg16"], "Run `dreamlayer models pull vgg16`"),
        (["{cat}", "out.gif"], "use one of .png"),
        (["{cut}", "out.png"], "the file is damaged or cut short."),
        (["{cat}", "nowhere/out.png"], "the folder 'nowhere' does not exist."),
        (["{cat}", "out.png", "--device", "gpu"], "Unknown device 'gpu'"),
        (["{cat}", "out.png", "--mask", "{junk}"], "it is not a PNG"),
        (["{cat}", "out.png", "--device", "cpu", "--precision", "fp16"], "fp16 needs a GPU; on the CPU use bf16 or fp32."),
    ],
)
def test_errors_are_one_clear_line(args, message, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no downloaded models
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"this is not a picture at all")
    cut = tmp_path / "cut.png"
    cut.write_bytes(CAT.read_bytes()[:2000])
    args = [a.format(cat=CAT, junk=junk, cut=cut) for a in args]
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "dream", *args], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.png").exists()


def test_models_lists_layers_and_offline_state(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "lite0" in out and "[embedded]" in out and "* block10" in out
    assert "not downloaded: dreamlayer models pull googlenet" in out


def test_version_is_fast_and_needs_no_torch():
    code = "import sys; from dreamlayer.cli import build_parser, main; main(['--version'])"
    run = subprocess.run([sys.executable, "-c", code + "\n"], capture_output=True, text=True)
    assert "dreamlayer 0." in run.stdout
    check = subprocess.run(
        [sys.executable, "-c", "import sys; import dreamlayer.cli; assert 'torch' not in sys.modules"],
        capture_output=True, text=True,
    )
    assert check.returncode == 0, check.stderr


@pytest.fixture
def guide_and_mask(tmp_path):
    guide = tmp_path / "guide.png"
    Image.fromarray((cat_rgb(64, 64)[::-1] * 255).astype(np.uint8)).save(guide)
    mask = np.zeros((96, 128), np.uint8)
    mask[:, 40:] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return guide, tmp_path / "mask.png"


def test_guided_and_masked_results_reproduce_only_with_their_guide_and_mask(rgba_png, tmp_path, guide_and_mask, capsys):
    guide, mask = guide_and_mask
    first, again = tmp_path / "first.png", tmp_path / "again.png"
    assert main(["dream", str(rgba_png), str(first), *FAST, "--guide", str(guide), "--mask", str(mask)]) == 0
    record = read_settings(first)
    assert (record.guide.width, record.guide.height) == (64, 64) and (record.mask.width, record.mask.height) == (128, 96)

    # Without them, a refusal that names what is missing; nothing is written.
    assert main(["dream", str(rgba_png), str(again), "--params-from", str(first)]) == 2
    assert "was made with a guide picture (64×64" in capsys.readouterr().err and not again.exists()
    assert main(["dream", str(rgba_png), str(again), "--params-from", str(first), "--guide", str(guide)]) == 2
    assert "was made with a mask (128×96" in capsys.readouterr().err

    # With them, the same picture.
    assert main(["dream", str(rgba_png), str(again), "--params-from", str(first), "--guide", str(guide), "--mask", str(mask)]) == 0
    assert np.array_equal(pixels(first), pixels(again))

    # Another guide: it runs, and says the result will differ.
    other = tmp_path / "other.png"
    Image.fromarray((cat_rgb(64, 64) * 255).astype(np.uint8)).save(other)
    assert main(["dream", str(rgba_png), str(again), "--params-from", str(first), "--guide", str(other), "--mask", str(mask)]) == 0
    assert "not the one" in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["missing.png", "out.png"],
    ["{cat}", "out.png", "--layer", "mixed4c"],
    ["{cat}", "out.png", "--channels", "3,500"],
    ["{cat}", "out.png", "--device", "gpu"],
    ["{cat}", "nowhere/out.png"],
    ["{rgba}", "out.jpg"],
    ["{cat}", "out.png", "--params-from", "{guided}"],
])
def test_mistakes_are_reported_before_torch_is_imported(args, rgba_png, tmp_path, guide_and_mask):
    """Measured, not timed: a mistake is found before the seconds that importing torch takes."""
    guided = tmp_path / "guided.png"
    assert main(["dream", str(rgba_png), str(guided), *FAST, "--guide", str(guide_and_mask[0])]) == 0
    args = [a.format(cat=CAT, rgba=rgba_png, guided=guided) for a in args]
    code = ("import sys; from dreamlayer.cli import build_parser, main; code = main(sys.argv[1:]); "
            "assert code == 2, code; assert 'torch' not in sys.modules, 'torch was imported'")
    run = subprocess.run([sys.executable, "-c", code, "dream", *args], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr.startswith("dreamlayer: ")


def commands(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command line the parser knows, from the parser itself: (), ("dream",), ("models", "pull")..."""
    found = [words]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += commands(sub, (*words, name))
    return found


def parser_of(words: list[str]) -> argparse.ArgumentParser:
    """The parser of the (sub)command that ``words`` begin with."""
    parser = build_parser()
    for word in words:
        sub = next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})
        if word not in sub:
            break
        parser = sub[word]
    return parser


@pytest.mark.parametrize("words", commands(build_parser()), ids=lambda words: " ".join(("dreamlayer", *words)))
def test_every_command_has_working_help(words):
    run = subprocess.run([sys.executable, "-m", "dreamlayer", *words, "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and not run.stderr, run.stderr
    assert run.stdout.startswith(f"usage: {' '.join(('dreamlayer', *words))}")


REPO = CAT.parents[1]
README = REPO / "README.md"
# The README is the front door; the pages under docs/ hold the details. Their commands, flags and files are checked
# alike, page by page, so a failure names the page.
DOCS = [README, *sorted((REPO / "docs").glob("*.md"))]
README_MOST_LINES = 230  # a painter reads it in five minutes


def page_id(page) -> str:
    return str(page.relative_to(REPO))


def command_lines(page) -> list[str]:
    """The `dreamlayer ...` lines of a page's shell examples, without their comments."""
    blocks = re.findall(r"```sh\n(.*?)```", page.read_text(), re.S)
    lines = [line.split("#")[0].split("&& ")[-1].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("dreamlayer ")]


def test_the_readme_and_docs_show_commands():
    assert len([line for page in DOCS for line in command_lines(page)]) >= 15  # a broken extraction must not pass by finding nothing
    assert command_lines(README), "the README shows no command"


@pytest.mark.parametrize("page, line", [(page, line) for page in DOCS for line in command_lines(page)],
                         ids=lambda value: page_id(value) if hasattr(value, "relative_to") else value)
def test_every_command_line_in_the_readme_and_docs_parses(page, line, capsys):
    try:
        args = build_parser().parse_args(shlex.split(line)[1:])
    except SystemExit:
        pytest.fail(f"{page_id(page)}: `{line}` does not parse: {capsys.readouterr().err}")
    assert callable(args.run)


@pytest.mark.parametrize("page", DOCS, ids=page_id)
def test_every_flag_the_readme_and_docs_name_belongs_to_its_command(page):
    """The pages name flags in their prose too, as `dreamlayer serve --max-pixels` or by themselves: each must be
    one that command takes (or, alone, one some command takes)."""
    text = page.read_text()
    everything = {flag for words in commands(build_parser()) for action in parser_of(list(words))._actions
                  for flag in action.option_strings}
    for span in re.findall(r"`(dreamlayer [^`]*)`", text):
        words = shlex.split(span)[1:]
        taken = {flag for action in parser_of(words)._actions for flag in action.option_strings}
        assert {w for w in words if w.startswith("--")} <= taken, (page_id(page), span)
    ours = re.sub(r"ray start[^`\n]*", "", text)  # Ray's own commands, in the studio's set-up, take Ray's flags
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", ours)) - {"--index-url"}  # pip's
    assert named <= everything, (page_id(page), sorted(named - everything))


def example_files(page) -> set[str]:
    return set(re.findall(r"examples/[\w-]+\.\w+", page.read_text()))


@pytest.mark.parametrize("page", DOCS, ids=page_id)
def test_the_example_files_the_readme_and_docs_name_are_shipped(page):
    named = example_files(page)
    assert all((REPO / name).is_file() for name in named), (page_id(page), named)


def test_the_example_files_are_named_and_the_video_example_is_what_they_say():
    named = set().union(*(example_files(page) for page in DOCS))
    assert {"examples/chelsea.png", "examples/pan.gif", "examples/make_pan.py"} <= named
    assert "examples/chelsea.png" in example_files(README)
    with Image.open(REPO / "examples" / "pan.gif") as pan:  # the video example's input: 8 frames of 240²
        assert (pan.n_frames, pan.size) == (8, (240, 240))


def links(page) -> list[str]:
    """The targets of a page's Markdown links and pictures, outside code blocks."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)


def anchors(page) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    headings = re.findall(r"^#+\s+(.+?)\s*$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_the_readme_is_short_and_links_every_docs_page():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MOST_LINES, f"README.md has {len(lines)} lines; details belong under docs/"
    linked = {target.split("#")[0] for target in links(README)}
    pages = {page_id(page) for page in DOCS[1:]}
    assert pages and pages <= linked, sorted(pages - linked)


@pytest.mark.parametrize("page", DOCS, ids=page_id)
def test_every_relative_link_points_to_a_file_that_exists(page):
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:...: not a file here
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.is_file(), f"{page_id(page)} links {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{page_id(page)} links {target}: no such heading"
