"""``dreamlayer video IN OUT``: dream a video, an animated GIF or WebP, or a folder of frames.

Hours of work must survive a Ctrl+C: each dreamed frame is kept as a PNG in a folder beside the output
(``OUT.frames``, with the run's settings in ``dreamlayer-run.json``) until the film is complete. Run the same
command again and it goes on from the first frame not yet made; the result is the same as an uninterrupted run.
When OUT is a folder, the frames are written straight into it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ..errors import InvalidParameter
from ..params import DreamParams, VideoSettings
from .checks import check_not_input, claimed_output, same_file
from .params_args import add_film_flags, given

RUN_FILE = "dreamlayer-run.json"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("video", help="dream a video or an animation", description=(
        "Dream every frame of a video (mp4, webm, mov...), an animated GIF or WebP, or a folder of frames, each "
        "frame carrying the last one's dream along the motion. OUTPUT is .mp4, .webm, .gif, .webp, or a folder."))
    parser.add_argument("input", help="video, animated GIF or WebP, or a folder of frames")
    parser.add_argument("output", help="film to write: .mp4, .webm, .gif, .webp, or a folder for PNG frames")
    add_film_flags(parser, VideoSettings, "dream settings (each overrides the preset)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..footage import open_footage
    from ..params import preset_params
    from ..video import output_kind
    from .dream_cmd import check_device

    kind = output_kind(args.output)
    check_device(args.device)
    if kind == "frames" and Path(args.input).is_dir() and same_file(args.input, args.output):
        raise InvalidParameter(f"'{args.output}' is the folder of frames being dreamed; give another folder for the "
                               "dreamed frames.")  # even with --overwrite: its frames would be read while written
    check_not_input(args.input, args.output, args.overwrite, "the video to dream")
    footage = open_footage(args.input)
    settings = VideoSettings.from_mapping(given(args, VideoSettings))
    settings = settings.replace(format=kind if kind != "frames" else settings.format,
                                fps=settings.fps or _playable_rate(footage.fps))
    params = DreamParams.from_mapping(given(args, DreamParams), preset_params(args.preset))
    output = Path(args.output)
    kept = output if kind == "frames" else output.with_name(output.name + ".frames")
    request = {"input": footage.fingerprint(), "preset": args.preset, "given": {**given(args, DreamParams), **given(args, VideoSettings)}}
    with ExitStack() as claims:  # the last checks: the film and the folder of kept frames can be written
        if kind != "frames":
            claims.enter_context(claimed_output(output))
        claims.enter_context(claimed_output(kept, folder=True))
        params = _resume_or_start(kept, request, params.resolved(*footage.size))
        try:
            _dream_frames(args, footage, params, settings, kept)
        except BaseException as stopped:
            if not any(kept.glob("frame_*.png")):  # nothing to go on from: no unfinished run is left behind
                (kept / RUN_FILE).unlink(missing_ok=True)
            elif isinstance(stopped, KeyboardInterrupt):
                print(f"dreamlayer: note: the frames made so far are kept in '{kept}'; run the same command again "
                      "to go on.", file=sys.stderr)
            raise
        if kind != "frames":
            _finish_film(footage, settings, kept, output)
        else:
            (kept / RUN_FILE).unlink()
    return 0


def _resume_or_start(kept: Path, request: dict[str, Any], params: DreamParams) -> DreamParams:
    """The settings to dream with: those of the unfinished run kept in ``kept`` if it is this same request."""
    run_file = kept / RUN_FILE
    if run_file.is_file():
        record = json.loads(run_file.read_text())
        if record["request"] != request:
            raise InvalidParameter(f"'{kept}' holds the frames of an unfinished run with other settings or another "
                                   "input. Run that again to finish it, or delete the folder to start afresh.")
        return DreamParams.from_mapping(record["params"])
    kept.mkdir(parents=True, exist_ok=True)
    if any(kept.glob("frame_*.png")):
        raise InvalidParameter(f"'{kept}' already holds frames; give another output or empty it.")
    run_file.write_text(json.dumps({"request": request, "params": params.to_dict()}, indent=1, sort_keys=True))
    return params


def _frame_path(kept: Path, index: int) -> Path:
    return kept / f"frame_{index:05d}.png"


def _dream_frames(args: argparse.Namespace, footage, params: DreamParams, settings: VideoSettings, kept: Path) -> None:
    """Dream the frames not yet kept, keeping each as it is made; torch is imported only here."""
    import numpy as np
    from PIL import Image
    from tqdm import tqdm

    from ..engine import load_model, pick_device
    from ..engine.animate import FrameDreamer
    from ..footage import read_frames
    from ..images import load_picture

    for cut in kept.glob("*.part"):  # a frame being written when the last run stopped
        cut.unlink()
    done = 0
    while _frame_path(kept, done).is_file():
        done += 1
    if footage.frames and done >= footage.frames:
        return  # every frame was kept (the last run stopped while the film was written): no model to load
    dreamer = FrameDreamer(load_model(params.model, pick_device(args.device, params.precision)), params, settings)
    first = None
    with tqdm(total=footage.frames, initial=done, desc="dreaming", unit="frame") as bar:
        for index, frame in enumerate(read_frames(footage)):
            if index == 0:
                first = frame
            if index < done - 1:
                continue
            if index == done - 1:  # the last kept frame: carried on from, not dreamed again
                dreamer.restore((first, load_picture(_frame_path(kept, 0)).rgb), (frame, load_picture(_frame_path(kept, index)).rgb))
                continue
            dreamed = dreamer(frame)
            # Written whole or not at all: a Ctrl+C while saving must not leave a cut frame to resume from.
            partial = _frame_path(kept, index).with_suffix(".part")
            Image.fromarray((dreamed * 255 + 0.5).astype(np.uint8)).save(partial, format="PNG", compress_level=1)
            partial.replace(_frame_path(kept, index))
            bar.update(1)


def _finish_film(footage, settings: VideoSettings, kept: Path, output: Path) -> None:
    """Encode the kept frames into the film, with the source's sound where the film can hold it; then let them go."""
    from ..images import load_picture
    from ..soundtrack import add_soundtrack
    from ..video import FrameWriter

    # With --overwrite the film replaces its source only once the source's sound has been taken from it.
    film = output.with_name(f".{output.stem}.dreamed{output.suffix}") if same_file(output, footage.path) else output
    with FrameWriter(film, settings.fps) as writer:
        for path in sorted(kept.glob("frame_*.png")):
            writer.write(load_picture(path).rgb)
    if footage.has_audio:
        note = add_soundtrack(film, footage.path)
        if note:
            print(f"dreamlayer: note: {note}", file=sys.stderr)
    film.replace(output)
    shutil.rmtree(kept)


def _playable_rate(source_fps: float) -> float:
    """The source's frame rate, within the range a film may have (a GIF that holds each frame for 2 s is 0.5 fps)."""
    from .dream_cmd import note

    rate = next(s.knob for s in VideoSettings.settings() if s.name == "fps")
    kept = min(max(round(source_fps, 3), rate.lo), rate.hi)
    if kept != round(source_fps, 3):
        note(f"the source plays at {source_fps:g} frames per second; the film plays at {kept:g} (give --fps to choose).")
    return kept
