"""``dreamlayer zoom``: an endless-zoom dream film, from a picture or from noise."""

from __future__ import annotations

import argparse
import re

from ..errors import InvalidParameter
from ..params import DreamParams, ZoomSettings
from .checks import check_file_given, check_not_input, claimed_output
from .params_args import add_film_flags, given


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("zoom", help="make a dream zoom film", description=(
        "Dream, zoom in a little, dream again: a film that falls into its own dream. "
        "OUTPUT is .mp4, .webm, .gif, .webp, or a folder for PNG frames."))
    parser.add_argument("input", nargs="?", help="picture to start from (or use --noise)")
    parser.add_argument("output", help="film to write: .mp4, .webm, .gif, .webp, or a folder")
    parser.add_argument("--noise", metavar="WxH", help="start from noise of this size, e.g. 512x512")
    add_film_flags(parser, ZoomSettings, "dream settings for each frame (each overrides the preset)")
    parser.set_defaults(run=run)


def _noise_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match or not all(16 <= int(v) <= 8192 for v in match.groups()):
        raise InvalidParameter(f"--noise takes a size like 512x512 (16 to 8192 pixels a side), not '{text}'.")
    return int(match[1]), int(match[2])


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def film_settings(args: argparse.Namespace) -> ZoomSettings:
    for old, new in ZoomSettings.REPLACES.items():
        if getattr(args, old, None) is not None:
            raise InvalidParameter(f"A zoom film dreams each frame {_flag(new)} times per scale; {_flag(old)} is for single dreams.")
    return ZoomSettings.from_mapping(given(args, ZoomSettings))


def run(args: argparse.Namespace) -> int:
    from ..images import load_picture
    from ..params import preset_params
    from ..video import output_kind
    from .dream_cmd import check_device

    kind = output_kind(args.output)  # refuse a bad extension before any work
    check_device(args.device)
    if (args.input is None) == (args.noise is None):
        raise InvalidParameter("Give either a picture to start from or --noise WxH, not both and not neither.")
    settings = film_settings(args)
    if kind != "frames":
        settings = settings.replace(format=kind)
    if args.noise:
        width, height = _noise_size(args.noise)
        start = None
    else:
        check_file_given(args.input, "one picture to start from (`dreamlayer video` takes a folder of frames)")
        check_not_input(args.input, args.output, args.overwrite, "the picture to start from")
        start = load_picture(args.input).rgb
        height, width = start.shape[:2]
    params = DreamParams.from_mapping(given(args, DreamParams), preset_params(args.preset)).resolved(width, height)

    with claimed_output(args.output, folder=kind == "frames"):  # the last check: the output can be written
        _film(args, start, width, height, params, settings)
    return 0


def _film(args: argparse.Namespace, start, width: int, height: int, params: DreamParams, settings: ZoomSettings) -> None:
    """Dream and write the film, frame by frame; torch is imported only here, once everything has been checked."""
    from tqdm import tqdm

    from ..engine import load_model, pick_device
    from ..engine.zoom import noise_picture, zoom_frames
    from ..video import BackgroundFrames, FrameWriter

    if start is None:
        start = noise_picture(width, height, params.seed)
    net = load_model(params.model, pick_device(args.device, params.precision))
    with (FrameWriter(args.output, settings.fps) as writer, tqdm(total=settings.frames, desc="zooming", unit="frame") as bar,
          BackgroundFrames(writer.write) as frames):  # encoding overlaps the next frame's dream
        for frame in zoom_frames(net, start, params, settings):
            frames.put(frame)
            bar.update(1)
