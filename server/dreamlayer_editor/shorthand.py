"""The two settings written in a shorthand of their own, read the same way by the server, the CLI and both plugins:

- ``layer``: one network layer, or a weighted mix: ``block10``, ``block8=0.5,block10`` (a layer without a weight
  weighs 1); empty means the network's default layer;
- ``channels``: every channel (empty or ``all``), the N strongest (``strongest:N``), or a list of numbers and
  ranges (``3,17,42`` or ``0-31,40``).
"""

from __future__ import annotations

from typing import NamedTuple


class ShorthandError(ValueError):
    """A layer mix or a channel choice that does not read; the message says how to write it."""


class LayerWeight(NamedTuple):
    layer: str
    weight: float


def parse_layers(text: str) -> list[LayerWeight]:
    """``"block10"`` or ``"block8=0.5,block10"``; an empty string means the model's default layer (no entries)."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        try:
            out.append(LayerWeight(name.strip(), float(weight) if weight else 1.0))
        except ValueError:
            raise ShorthandError(f"Layer weight in '{part}' must be a number, as in block10=0.5.") from None
    return out


MOST_CHANNELS = 4096  # more than any layer has: a range beyond it is a slip of the keyboard


class ChannelChoice(NamedTuple):
    strongest: int  # 0 when explicit indices are given
    indices: tuple[int, ...]


def parse_channels(text: str) -> ChannelChoice | None:
    """``"strongest:N"`` or ``"i,j-k"``; an empty string (or ``all``) means every channel of the layer: None.
    A list keeps its order and drops repeats."""
    text = text.strip()
    if not text or text == "all":
        return None
    try:
        if text.startswith("strongest"):
            count = int(text.partition(":")[2] or 1)
            if count < 1:
                raise ValueError
            return ChannelChoice(count, ())
        indices: list[int] = []
        for part in (p.strip() for p in text.split(",")):
            first, dash, last = part.partition("-")
            numbers = range(int(first), int(last) + 1) if dash else (int(first),)
            if not numbers or numbers[0] < 0 or len(numbers) > MOST_CHANNELS:
                raise ValueError
            indices += numbers
        return ChannelChoice(0, tuple(dict.fromkeys(indices)))
    except ValueError:
        raise ShorthandError(
            f"Channels must be 'strongest:N' or channel numbers and ranges like '3,17,42' or '0-31', not '{text}'."
        ) from None
