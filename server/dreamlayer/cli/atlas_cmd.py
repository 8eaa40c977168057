"""``dreamlayer atlas SHEET``: a contact sheet of what each channel of a layer dreams, each picture labelled with
its channel's number; with ``--picture``, ordered by how hard each channel fires on that picture."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InvalidParameter
from ..params.atlas import AtlasSettings
from .checks import add_overwrite_flag, check_file_given, check_not_input, claimed_output
from .dream_cmd import check_device
from .params_args import add_knob_flags, given


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "atlas", help="a contact sheet of what each channel of a layer dreams",
        description="Show what each channel of a layer dreams: one picture per channel, grown from noise, on a "
                    "labelled contact sheet. Pictures are kept in the cache, so a layer is made once.")
    parser.add_argument("output", help="where to write the sheet (PNG, JPEG or WebP)")
    parser.add_argument("--picture", metavar="IMG", help="order the sheet by how hard each channel fires on this "
                        "picture, and give each channel's share; with it, --channels strongest:N keeps the N strongest")
    parser.add_argument("--columns", type=int, default=16, help="pictures to a row (default: %(default)s)")
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    parser.add_argument("--cache", metavar="DIR", help="where the pictures are kept (default: $DREAMLAYER_CACHE, "
                        "or dreamlayer in the user's cache folder)")
    add_overwrite_flag(parser)
    add_knob_flags(parser, "atlas settings", AtlasSettings)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..images import check_output, load_picture
    from ..params.dream import parse_channels

    image_format = check_output(args.output)
    check_device(args.device)
    if args.columns < 1:
        raise InvalidParameter(f"--columns must be 1 or more, not {args.columns}.")
    values = given(args, AtlasSettings)
    strongest = 0
    choice = parse_channels(values.get("channels", ""))
    if choice is not None and choice.strongest:
        if not args.picture:
            raise InvalidParameter("--channels strongest:N needs --picture: the channels that fire hardest on it.")
        strongest, values["channels"] = choice.strongest, ""
    settings = AtlasSettings.from_mapping(values)
    picture = None
    if args.picture:
        check_file_given(args.picture, "one picture file", "--picture")
        check_not_input(args.picture, args.output, args.overwrite, "the picture given with --picture")
        picture = load_picture(args.picture)
    with claimed_output(args.output):
        sheet = _make_sheet(args, settings, picture, strongest)
        sheet.save(args.output, format=image_format)
    return 0


def _make_sheet(args: argparse.Namespace, settings: AtlasSettings, picture, strongest: int):
    """Torch from here on: rank the channels on the picture, make what the cache lacks, lay out the sheet."""
    import torch
    from tqdm import tqdm

    from ..atlas import AtlasCache, contact_sheet, default_cache_folder, make_thumbnails
    from ..atlas.making import AtlasProgress
    from ..catalog import get_model
    from ..engine import load_model, pick_device
    from ..engine.ranking import rank_channels

    request = settings.resolved()
    net = load_model(request.model, pick_device(args.device))
    channels, shares = request.channels, None
    if picture is not None:
        rgb = torch.from_numpy(picture.rgb).permute(2, 0, 1)[None]
        alpha = torch.from_numpy(picture.alpha) if picture.alpha is not None else None
        ranking = [s for s in rank_channels(net, rgb, request.layer, alpha) if s.channel in set(channels)]
        ranking = ranking[:strongest] if strongest else ranking
        channels, shares = tuple(s.channel for s in ranking), {s.channel: s.share for s in ranking}
    cache = AtlasCache(Path(args.cache) if args.cache else default_cache_folder(), request.model, request.layer, request.size)
    with tqdm(total=100, desc=f"atlas of {len(channels)} channels", unit="%", leave=False) as bar:
        def progress(p: AtlasProgress) -> None:
            bar.n = round(p.share * 100)
            bar.refresh()

        make_thumbnails(net, cache, channels, progress=progress)
    info = get_model(request.model).layers[request.layer]
    title = f"{request.model} · {request.layer} · {info.dreams} · {len(channels)} channels"
    if picture is not None:
        title += f" · strongest on {Path(args.picture).name} first"
    return contact_sheet({c: cache.read(c) for c in channels}, channels, title, shares, args.columns)
