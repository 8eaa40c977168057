"""``dreamlayer dream INPUT OUTPUT``: dream on one picture file.

Every check that can fail (the output's name and folder, the input, the settings, the guide and mask) runs before
torch is imported, so a mistake is reported in a fraction of a second rather than after the seconds torch takes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import InvalidParameter
from ..params import DreamParams
from .checks import add_overwrite_flag, check_file_given, check_not_input, claimed_output
from .params_args import add_knob_flags, add_preset_flag, given

DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("dream", help="dream on a picture", description="Dream on a picture file.")
    parser.add_argument("input", help="picture to dream on (PNG, JPEG, WebP or TIFF)")
    parser.add_argument("output", help="where to write the result; PNG keeps the settings inside the file")
    parser.add_argument("--guide", metavar="IMG", help="picture whose features the dream reaches for")
    parser.add_argument("--mask", metavar="IMG", help="grey picture, same size: white dreams, black stays as it was")
    parser.add_argument("--params-from", metavar="PNG", help="start from the settings stored in a dreamlayer PNG")
    parser.add_argument("--flatten", metavar="COLOR",
                        help="fill transparent parts with COLOR (white, #202020...) for formats without alpha (JPEG)")
    # No default here: a --device typed beside --server is refused (the server's device does the work).
    parser.add_argument("--device", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps (default: auto)")
    parser.add_argument("--server", metavar="URL", help="let a running `dreamlayer serve` do the work, on the device "
                        "it was started with, e.g. http://127.0.0.1:37326")
    parser.add_argument("--token", help="access token for --server, when the server requires one")
    add_overwrite_flag(parser)
    add_preset_flag(parser)
    add_knob_flags(parser, "dream settings (each overrides the preset)", DreamParams)
    parser.set_defaults(run=run)


def check_device(name: str) -> str:
    if not DEVICE_PATTERN.fullmatch(name):
        raise InvalidParameter(f"Unknown device '{name}'. Use auto, cpu, cuda or mps.")
    return name


def note(message: str) -> None:
    print(f"dreamlayer: note: {message}", file=sys.stderr)


def check_reproducible(source: str, record, guide, mask) -> None:
    """``--params-from`` makes the same picture only with the same guide and mask: refuse without them, warn if
    they differ. ``guide`` and ``mask`` are the given files' fingerprints, or None."""
    for what, flag, recorded, supplied in (("guide picture", "--guide", record.guide, guide), ("mask", "--mask", record.mask, mask)):
        if recorded is not None and supplied is None:
            raise InvalidParameter(f"'{source}' was made with a {what} ({recorded.describe()}); "
                                   f"give it with {flag} FILE to make the same picture.")
        if recorded is not None and supplied != recorded:
            note(f"the {what} given is not the one '{source}' was made with ({recorded.describe()}); the result will differ.")


def run(args: argparse.Namespace) -> int:
    from ..images import (
        SettingsRecord, check_keeps_transparency, check_output, fingerprint, load_mask, load_picture, read_settings,
    )
    from ..images.write import parse_color
    from ..params import preset_params

    image_format = check_output(args.output)
    if args.server and args.device is not None:
        raise InvalidParameter(f"--device is for dreams made here: a dream sent with --server runs on the device "
                               f"the server at {args.server} was started with (`dreamlayer serve --device ...`).")
    args.device = check_device(args.device or "auto")
    if args.flatten is not None:
        parse_color(args.flatten)
    check_file_given(args.input, "one picture file (PNG, JPEG, WebP or TIFF)")
    check_not_input(args.input, args.output, args.overwrite, "the picture to dream on")
    for path, flag in ((args.params_from, "--params-from"), (args.guide, "--guide"), (args.mask, "--mask")):
        if path:
            check_file_given(path, "one picture file", flag)
    picture = load_picture(args.input)
    check_keeps_transparency(picture, image_format, args.flatten, args.output)
    record = read_settings(args.params_from) if args.params_from else None
    base = DreamParams.from_mapping(record.params) if record else preset_params(args.preset)
    params = DreamParams.from_mapping(given(args, DreamParams), base).resolved(*picture.size)
    mask = load_mask(args.mask, picture.size) if args.mask else None
    guide = load_picture(args.guide) if args.guide else None
    prints = {name: fingerprint(Path(path).read_bytes(), size) if path else None
              for name, path, size in (("guide", args.guide, guide.size if guide else None), ("mask", args.mask, picture.size))}
    if record is not None:
        check_reproducible(args.params_from, record, prints["guide"], prints["mask"])
    settings = SettingsRecord(params.to_dict(), prints["guide"], prints["mask"])

    with claimed_output(args.output):  # every check is made: the last is that the output can be written
        if args.server:
            from .remote import dream_on_server

            result = dream_on_server(args, picture, settings, mask, guide)
        else:
            result = picture.with_pixels(dream_here(args, picture, params, mask, guide))
        write_result(args, result, image_format, settings)
    return 0


def dream_here(args: argparse.Namespace, picture, params, mask, guide) -> Any:
    """The dream in this process, with a progress bar; the first and only place torch is imported."""
    from tqdm import tqdm

    from ..engine import dream, load_model, pick_device
    from ..params.resolved import resolve_dream

    net = load_model(params.model, pick_device(args.device, params.precision))
    resolved = resolve_dream(params, *picture.size)
    total = len(resolved.octaves) * params.steps
    with tqdm(total=total, desc="dreaming", unit="step", leave=False) as bar:
        def progress(p):
            bar.set_postfix_str(f"octave {p.octave}/{p.octaves}")
            bar.update(p.step - bar.n)

        return dream(net, picture.rgb, resolved, mask=mask, guide=guide.rgb if guide else None, progress=progress)


def write_result(args: argparse.Namespace, result, image_format: str, settings) -> None:
    from ..images import flatten, save_picture
    from ..images.write import DEEP_FORMATS

    if args.flatten is not None:
        result = flatten(result, args.flatten)
    if result.bits > 8 and image_format not in DEEP_FORMATS:
        note(f"{Path(args.output).suffix} holds 8 bits a channel, so the 16-bit picture was written with 8; "
             "use .png or .tif to keep 16.")
    save_picture(result, args.output, settings.to_json())
