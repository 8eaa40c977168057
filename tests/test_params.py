"""Parameters: parsing, ranges, presets, the feature scale that follows the picture, a zoom's settings, and the PNG
round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dreamlayer.params.resolved import octave_sizes, work_size
from dreamlayer.errors import InvalidParameter
from dreamlayer.images import Picture, SettingsRecord, read_settings, save_picture
from dreamlayer.params import DreamParams, ZoomSettings, default_scale, parse_channels, parse_layers
from dreamlayer.params import PRESETS, preset_params


def test_strings_from_a_form_or_command_line_are_parsed():
    p = DreamParams.from_mapping({"octaves": "3", "step_size": "2.5", "preserve_colors": "yes", "seed": "", "scale": "auto"})
    assert (p.octaves, p.step_size, p.preserve_colors, p.seed, p.scale) == (3, 2.5, True, None, None)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"octaves": 0}, "between 1 and 12"),
        ({"step_size": "lots"}, "must be a number"),
        ({"steps": "2.5"}, "whole number"),
        ({"scale": float("nan")}, "must be a number"),
        ({"precision": "int4"}, "fp32, bf16, fp16"),
        ({"colour": 1}, "Unknown setting(s): colour"),
        ({"channels": "strongest:0"}, "strongest:N"),
        ({"layer": "block10=heavy"}, "must be a number"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(values, message):
    with pytest.raises(InvalidParameter, match=message.replace("(", r"\(").replace(")", r"\)")):
        DreamParams.from_mapping(values)


def test_layer_and_channel_shorthands():
    assert parse_layers("block8=0.5, block10") == [("block8", 0.5), ("block10", 1.0)]
    assert parse_channels("strongest:3") == (3, ())
    assert parse_channels("1,5,9") == (0, (1, 5, 9))
    assert parse_channels("") is None


def test_presets_are_valid_and_overridable():
    assert set(PRESETS) >= {"gentle", "classic", "deep"}
    for name in PRESETS:
        preset_params(name)
    deep = DreamParams.from_mapping({"steps": 4}, preset_params("deep"))
    assert deep.steps == 4 and deep.layer == "block12"
    with pytest.raises(InvalidParameter, match="Unknown preset"):
        preset_params("wild")


def test_resolved_fills_seed_and_scale_only_when_missing():
    p = DreamParams().resolved(4096, 2048)
    assert p.scale == 4.0 and p.seed is not None
    q = DreamParams(seed=3, scale=1.5).resolved(4096, 2048)
    assert (q.seed, q.scale) == (3, 1.5)


def test_a_drawn_seed_is_short_enough_to_read_in_a_layer_name():
    seeds = {DreamParams().resolved(64, 64).seed for _ in range(500)}
    assert all(0 <= seed < 100_000 for seed in seeds) and len(seeds) > 400  # drawn, not fixed: 500 draws of 100,000


def test_parameters_round_trip_through_png_metadata(tmp_path):
    params = DreamParams(layer="block8=0.5,block10", channels="strongest:4", preserve_colors=True, seed=42, scale=1.25)
    path = tmp_path / "dream.png"
    save_picture(Picture(np.zeros((8, 8, 3), np.float32), None), path, SettingsRecord(params.to_dict()).to_json())
    assert DreamParams.from_mapping(read_settings(path).params) == params


def test_smallest_octave_never_shrinks_below_what_the_layer_needs():
    sizes = octave_sizes((200, 300), octaves=8, octave_scale=1.4, min_side=64)
    assert sizes[-1] == (200, 300)
    assert min(min(s) for s in sizes) >= 64
    assert len(sizes) == 1 + math.floor(math.log(200 / 64, 1.4))
    assert work_size(40, 80, scale=1.0, min_side=64) == (64, 128)


def test_every_surface_agrees_on_every_setting(server):
    """The CLI flags, the OpenAPI schemas and /v1/settings all come from the model: same names, types, defaults
    and ranges, setting by setting."""
    import argparse

    import requests

    from dreamlayer.catalog import get_model
    from dreamlayer.cli import build_parser
    from dreamlayer.params import ZoomSettings
    from dreamlayer.params.knobs import SCHEMA_TYPES

    served = requests.get(f"{server.url}/v1/settings", timeout=5).json()
    spec = requests.get(f"{server.url}/v1/openapi.json", timeout=5).json()
    runnable = requests.get(f"{server.url}/v1/health", timeout=5).json()["limits"]["precisions"]
    forms = {route: spec["paths"][f"/v1/{route}"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
             for route in ("dreams", "zooms")}
    subcommands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    flags = {name: {a.dest: a for a in subcommands[name]._actions} for name in ("dream", "zoom")}
    for group, knobs, route, command in (("dream", DreamParams, "dreams", "dream"), ("zoom", ZoomSettings, "zooms", "zoom")):
        assert [s["name"] for s in served[group]] == knobs.names()
        for setting, described in zip(knobs.settings(), served[group]):
            knob = setting.knob
            assert (described["type"], described["default"]) == (SCHEMA_TYPES[setting.kind], setting.default)
            assert (described.get("minimum"), described.get("maximum"), described.get("choices")) == (knob.lo, knob.hi, list(knob.choices) or None)
            schema = forms[route][setting.name]
            # The description offers only the models this server has downloaded and the precisions its device runs
            # (another would be refused).
            choices = ([m for m in described["choices"] if get_model(m).available()] if setting.name == "model" else
                       runnable if setting.name == "precision" else described.get("choices"))
            assert schema["type"] == described["type"] and schema.get("enum") == choices
            assert (schema.get("minimum"), schema.get("maximum"), schema.get("default")) == (knob.lo, knob.hi, setting.default)
            if knob.cli:
                action = flags[command][setting.name]
                assert action.option_strings == ["--" + setting.name.replace("_", "-")] + (
                    ["--no-" + setting.name.replace("_", "-")] if setting.kind == "bool" else [])
                assert knob.help in action.help % {}  # as --help shows it: argparse's %% is one %
    for name, preset in served["presets"].items():
        assert preset["values"] == preset_params(name).to_dict()
    assert "steps" in forms["dreams"] and "steps" not in forms["zooms"]  # a zoom says steps_per_frame


def test_importing_the_engine_brings_no_http_client():
    """The engine knows tensors, not HTTP. torch itself imports urllib.request (for torch.hub), so what is checked
    is that no dreamlayer module the engine loads is the client or imports urllib."""
    import ast
    import subprocess
    import sys
    from pathlib import Path

    code = "import sys, dreamlayer.engine; print(' '.join(sorted(m for m in sys.modules if m.startswith('dreamlayer'))))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    loaded = run.stdout.split()
    assert "dreamlayer.engine" in loaded and "dreamlayer_editor.client" not in loaded
    for module in loaded:
        path = Path(sys.modules[module].__file__) if module in sys.modules else Path(__import__(module, fromlist=["_"]).__file__)
        tree = ast.parse(path.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(name.startswith("urllib") or name.endswith("client") for name in imported), (module, imported)


def test_no_list_of_settings_is_restated_outside_the_model():
    """Any literal list, tuple, set or dict naming three or more settings outside dreamlayer.params is a
    restatement that will drift; plugins, server and CLI must derive from the model instead."""
    import ast
    from pathlib import Path

    from dreamlayer.params import VideoSettings, ZoomSettings

    names = set(DreamParams.names()) | set(ZoomSettings.names()) | set(VideoSettings.names())
    names |= {n.replace("_", "-") for n in names}  # GIMP's argument spelling
    repo = Path(__file__).resolve().parents[1]
    offenders = []
    for path in [*repo.glob("server/**/*.py"), *repo.glob("krita_plugin/**/*.py"), *repo.glob("gimp_plugin/**/*.py")]:
        if "params" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):  # a dataclass of settings, restated
                fields = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
                if len(fields & names) >= 3:
                    offenders.append(f"{path.relative_to(repo)}:{node.lineno}: class {node.name} {sorted(fields & names)}")
            items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None) if isinstance(node, (ast.List, ast.Tuple, ast.Set)) else None
            if items:
                named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in names}
                if len(named) >= 3:
                    offenders.append(f"{path.relative_to(repo)}:{node.lineno}: {sorted(named)}")
    assert not offenders, "\n".join(offenders)


def test_default_scale_follows_the_picture_size():
    assert default_scale(4096, 3000) == 4 * default_scale(1024, 700)
    assert default_scale(2048, 2048) == 2.0
    assert default_scale(300, 200) == 0.5  # small pictures are not blown up past 2×


def test_settings_are_checked():
    with pytest.raises(InvalidParameter, match="zoom"):
        ZoomSettings(zoom=3.0).validated()
    with pytest.raises(InvalidParameter, match="blend"):
        ZoomSettings(blend=1.0).validated()


def test_a_films_later_frames_may_step_below_the_strength_knobs_least():
    """A video's gentle carry-over (blend 0.95) of a dream at the least strength: each later frame dreams a share
    of it, below what the knob accepts from an artist; that is the film's own arithmetic, not a refusal."""
    from dreamlayer.params.resolved import resolve_dream

    first = resolve_dream(DreamParams(step_size=0.01, seed=1), 64, 48)
    later = first.for_frames(2, 0.05)
    assert (later.params.steps, later.params.step_size) == (2, pytest.approx(0.0005))
    assert later.octaves == first.octaves and later.params.seed == first.params.seed


def test_a_live_dream_is_the_dream_made_lighter_never_dearer():
    from dreamlayer.params.live import LIVE_SIZE_CPU, STRONGEST_STEP, LiveSettings, lane_seed, live_version
    from dreamlayer.params.resolved import resolve_dream

    full = resolve_dream(DreamParams(seed=3, steps=50, step_size=20.0), 2048, 1536)
    live = live_version(full, LiveSettings(), "cpu", (2048, 1536), None)
    assert max(live.octaves[-1]) == LIVE_SIZE_CPU and len(live.octaves) == 2 and live.params.steps == 3
    assert live.params.step_size == STRONGEST_STEP and live.params.seed == 3  # 20 × 50 / 3 is over the knob's top
    coarse = resolve_dream(DreamParams(seed=3, scale=16.0, octaves=1, steps=2), 2048, 1536)
    lighter = live_version(coarse, LiveSettings(), "gpu", (2048, 1536), None)
    assert lighter.octaves == coarse.octaves and lighter.params.steps == 2  # the artist's cheaper settings stay
    selection = live_version(full, LiveSettings(live_size=256), "cpu", (512, 512), (2048, 2048))
    assert max(selection.octaves[-1]) == 64  # a selection's features are the whole document's
    assert lane_seed("doc-1") == lane_seed("doc-1") != lane_seed("doc-2")
