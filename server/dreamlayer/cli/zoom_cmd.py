"""``dreamlayer zoom``: an endless-zoom dream film, from a picture or from noise."""

from __future__ import annotations

import argparse
import re

from ..errors import InvalidParameter
from .params_args import add_param_flags, given_params


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("zoom", help="make a dream zoom film", description=(
        "Dream, zoom in a little, dream again: a film that falls into its own dream. "
        "OUTPUT is .mp4, .webm, .gif, .webp, or a folder for PNG frames."))
    parser.add_argument("input", nargs="?", help="picture to start from (or use --noise)")
    parser.add_argument("output", help="film to write: .mp4, .webm, .gif, .webp, or a folder")
    parser.add_argument("--noise", metavar="WxH", help="start from noise of this size, e.g. 512x512")
    parser.add_argument("--frames", type=int, default=120, help="number of frames (default: %(default)s)")
    parser.add_argument("--zoom", type=float, default=1.05, help="enlargement per frame (default: %(default)s)")
    parser.add_argument("--rotate", type=float, default=0.0, help="degrees of rotation per frame (default: 0)")
    parser.add_argument("--drift", metavar="DX,DY", default="0,0", help="pixels of sideways drift per frame")
    parser.add_argument("--fps", type=float, default=24.0, help="frames per second of the film (default: %(default)s)")
    parser.add_argument("--steps-per-frame", type=int, default=5, help="dream steps per octave per frame (default: %(default)s)")
    parser.add_argument("--blend", type=float, default=0.0, help="share of the undreamed zoomed frame kept, 0 to 0.9 (default: 0)")
    parser.add_argument("--no-stabilize", action="store_true", help="let brightness and colour drift")
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    add_param_flags(parser)
    parser.set_defaults(run=run)


def _noise_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match or not all(16 <= int(v) <= 8192 for v in match.groups()):
        raise InvalidParameter(f"--noise takes a size like 512x512 (16 to 8192 pixels a side), not '{text}'.")
    return int(match[1]), int(match[2])


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..engine import load_model, pick_device
    from ..engine.zoom import ZoomSettings, noise_picture, zoom_frames
    from ..images import load_picture
    from ..params import DreamParams
    from ..presets import preset_params
    from ..video import BackgroundFrames, FrameWriter, output_kind

    output_kind(args.output)  # refuse a bad extension before any work
    if (args.input is None) == (args.noise is None):
        raise InvalidParameter("Give either a picture to start from or --noise WxH, not both and not neither.")
    try:
        drift_x, drift_y = (float(v) for v in args.drift.split(","))
    except ValueError:
        raise InvalidParameter(f"--drift takes two numbers like 2,-1, not '{args.drift}'.") from None
    settings = ZoomSettings(args.frames, args.zoom, args.rotate, drift_x, drift_y, args.steps_per_frame, args.blend,
                            not args.no_stabilize).validated()
    if args.noise:
        width, height = _noise_size(args.noise)
        start = None
    else:
        start = load_picture(args.input).rgb
        height, width = start.shape[:2]
    params = DreamParams.from_mapping(given_params(args), preset_params(args.preset)).resolved(width, height)
    if start is None:
        start = noise_picture(width, height, params.seed)
    net = load_model(params.model, pick_device(args.device))

    with (FrameWriter(args.output, args.fps) as writer, tqdm(total=settings.frames, desc="zooming", unit="frame") as bar,
          BackgroundFrames(writer.write) as frames):  # encoding overlaps the next frame's dream
        for frame in zoom_frames(net, start, params, settings):
            frames.put(frame)
            bar.update(1)
    return 0
