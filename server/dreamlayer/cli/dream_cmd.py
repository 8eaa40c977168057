"""``dreamlayer dream INPUT OUTPUT``: dream on one picture file."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ImageReadError
from .params_args import add_param_flags, given_params



def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("dream", help="dream on a picture", description="Dream on a picture file.")
    parser.add_argument("input", help="picture to dream on (PNG, JPEG, WebP or TIFF)")
    parser.add_argument("output", help="where to write the result; PNG keeps the settings inside the file")
    parser.add_argument("--guide", metavar="IMG", help="picture whose features the dream reaches for")
    parser.add_argument("--mask", metavar="IMG", help="grey picture, same size: white dreams, black stays as it was")
    parser.add_argument("--params-from", metavar="PNG", help="start from the settings stored in a dreamlayer PNG")
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    parser.add_argument("--server", metavar="URL", help="let a running `dreamlayer serve` do the work, e.g. http://127.0.0.1:37326")
    parser.add_argument("--token", help="access token for --server, when the server requires one")
    add_param_flags(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..images import FORMAT_BY_SUFFIX, Picture, load_mask, load_picture, read_params, save_picture

    output = Path(args.output)
    if output.suffix.lower() not in FORMAT_BY_SUFFIX:
        raise ImageReadError(f"Can't write '{output}': use one of {', '.join(FORMAT_BY_SUFFIX)}.")
    if not output.parent.is_dir():
        raise ImageReadError(f"Can't write '{output}': the folder '{output.parent}' does not exist.")

    if args.server:
        from .remote import dream_on_server

        settings = dict(read_params(args.params_from)) if args.params_from else {"preset": args.preset}
        dream_on_server(args, {**settings, **given_params(args)}, output)
        return 0

    from tqdm import tqdm

    from ..engine import dream, load_model, pick_device
    from ..params import DreamParams
    from ..presets import preset_params

    picture = load_picture(args.input)
    base = DreamParams.from_mapping(read_params(args.params_from)) if args.params_from else preset_params(args.preset)
    params = DreamParams.from_mapping(given_params(args), base).resolved(*picture.size)
    mask = load_mask(args.mask, picture.size) if args.mask else None
    guide = load_picture(args.guide).rgb if args.guide else None
    net = load_model(params.model, pick_device(args.device))

    with tqdm(desc="dreaming", unit="step", leave=False) as bar:
        def progress(p):
            bar.total = p.total
            bar.set_postfix_str(f"octave {p.octave}/{p.octaves}")
            bar.update(p.step - bar.n)

        result = dream(net, picture.rgb, params, mask=mask, guide=guide, progress=progress)
    save_picture(Picture(result, picture.alpha), output, params.to_dict())
    return 0
