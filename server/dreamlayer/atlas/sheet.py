"""A contact sheet: a layer's channel pictures in a grid, each with its number (and share of a picture) below."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw, ImageFont

GAP = 8
LABEL_HEIGHT = 22
TITLE_HEIGHT = 34
PAPER = (24, 24, 28)
INK = (230, 230, 230)
STRONG_INK = (255, 200, 80)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def contact_sheet(pictures: Mapping[int, bytes], order: Sequence[int], title: str,
                  shares: Mapping[int, float] | None = None, columns: int = 16) -> Image.Image:
    """The pictures (PNG bytes by channel) in ``order``, ``columns`` to a row, under ``title``. With ``shares``
    (a picture's ranking), each label gives the channel's share of the layer's activation, and the channels
    with a share of at least 5% are labelled in a stronger colour."""
    thumbnails = {c: Image.open(io.BytesIO(pictures[c])).convert("RGB") for c in order}
    side = max((t.width for t in thumbnails.values()), default=128)
    columns = max(1, min(columns, len(order)))
    rows = -(-len(order) // columns)
    cell_w, cell_h = side + GAP, side + LABEL_HEIGHT + GAP
    sheet = Image.new("RGB", (GAP + columns * cell_w, TITLE_HEIGHT + rows * cell_h + GAP // 2), PAPER)
    draw = ImageDraw.Draw(sheet)
    draw.text((GAP, 8), title, fill=INK, font=_font(18))
    label_font = _font(14)
    for position, channel in enumerate(order):
        x = GAP + (position % columns) * cell_w
        y = TITLE_HEIGHT + (position // columns) * cell_h
        sheet.paste(thumbnails[channel].resize((side, side)), (x, y))
        label, ink = f"#{channel}", INK
        if shares is not None:
            label += f"  {shares.get(channel, 0.0):.1%}"
            ink = STRONG_INK if shares.get(channel, 0.0) >= 0.05 else INK
        width = draw.textlength(label, font=label_font)
        draw.text((x + (side - width) / 2, y + side + 3), label, fill=ink, font=label_font)
    return sheet
