"""The channel picker's model, shared by Krita's and GIMP's pickers: a layer's channel pictures as the server
makes them, the active picture's strongest channels first, and the channels chosen, as the ``channels`` setting
writes them (``3,17,42``). Standard library only; the editors only draw it.

The server makes the pictures in the background for as long as someone asks (``GET .../atlas``), so a picker
calls ``refresh`` about once a second while it is open, and ``fetch_new`` for the pictures made since.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .client import DreamClient
from .protocol import RawImage, RawMask
from .shorthand import parse_channels

REFRESH_SECONDS = 1.0  # how often an open picker asks for the atlas (the server's lease is 15 s)
STRONG_SHARE = 0.05  # a channel with this share of the layer's activation or more is shown as strong


@dataclass
class ChannelPicker:
    client: DreamClient
    model: str
    layer: str
    chosen: list[int] = field(default_factory=list)  # in the order they were chosen
    states: dict[int, str] = field(default_factory=dict)  # made, being_made or waiting
    urls: dict[int, str] = field(default_factory=dict)
    pictures: dict[int, bytes] = field(default_factory=dict)  # PNG bytes, once fetched
    shares: dict[int, float] = field(default_factory=dict)  # of the active picture, once ranked
    ranking: list[int] = field(default_factory=list)  # strongest first
    progress: float = 0.0
    dreams: str = ""  # what the layer dreams, in a painter's words
    error: str | None = None

    @classmethod
    def for_setting(cls, client: DreamClient, model: str, layer: str, channels: str) -> ChannelPicker:
        """A picker with the channels the ``channels`` setting names chosen (``strongest:N`` and ``all`` choose none)."""
        try:
            choice = parse_channels(channels)
        except ValueError:
            choice = None
        return cls(client, model, layer, list(choice.indices) if choice is not None else [])

    # -- talking to the server -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Ask for the atlas: it goes on being made, and the channels' states follow."""
        atlas = self.client.atlas(self.model, self.layer)
        self.states = {c["channel"]: c["state"] for c in atlas["channels"]}
        self.urls = {c["channel"]: c["url"] for c in atlas["channels"] if c["url"]}
        self.progress = float(atlas["progress"]["share"])
        self.dreams = atlas.get("dreams", "")
        self.error = atlas["error"]["message"] if atlas.get("error") else None

    def fetch_new(self, most: int = 32) -> list[int]:
        """Fetch up to ``most`` pictures made since the last call; returns their channels."""
        new = [c for c in self.order if c in self.urls and c not in self.pictures][:most]
        for channel in new:
            self.pictures[channel] = self.client.picture_at(self.urls[channel])
        return new

    def rank(self, image: RawImage | bytes, mask: RawMask | bytes | None = None) -> None:
        """Rank the layer's channels by how hard they fire on ``image`` (inside ``mask``: the selection)."""
        ranked = self.client.rank(image, mask, self.model, self.layer)
        self.ranking = [c["channel"] for c in ranked]
        self.shares = {c["channel"]: float(c["share"]) for c in ranked}

    # -- what the picker shows ---------------------------------------------------------------------------------
    @property
    def order(self) -> list[int]:
        """Every channel, the picture's strongest first once ranked, then by number."""
        ranked = [c for c in self.ranking if c in self.states]
        return ranked + sorted(c for c in self.states if c not in set(ranked))

    @property
    def finished(self) -> bool:
        return self.error is not None or (bool(self.states) and all(s == "made" for s in self.states.values()))

    def label(self, channel: int) -> str:
        """``#42``, with the picture's share once ranked: ``#42 · 6.1%``."""
        share = self.shares.get(channel)
        return f"#{channel}" if share is None else f"#{channel} · {share:.1%}"

    def is_strong(self, channel: int) -> bool:
        return self.shares.get(channel, 0.0) >= STRONG_SHARE

    def tooltip(self, channel: int) -> str:
        state = {"made": "", "being_made": " (being made)", "waiting": " (waiting its turn)"}.get(self.states.get(channel, ""), "")
        share = self.shares.get(channel)
        fires = f"; {share:.1%} of the layer's activation on this picture" if share is not None else ""
        return f"Channel {channel} of {self.layer}{state}{fires}. Click to choose it; Ctrl+click to choose several."

    # -- choosing ----------------------------------------------------------------------------------------------
    def choose(self, channels: list[int]) -> None:
        """The editor's selection, as it stands (the order the channels were chosen in is kept where it can be)."""
        kept = [c for c in self.chosen if c in channels]
        self.chosen = kept + [c for c in channels if c not in kept]

    @property
    def channels_setting(self) -> str:
        """The choice as the ``channels`` setting writes it; empty (every channel) when none is chosen."""
        return ",".join(str(c) for c in self.chosen)

    def describe_choice(self) -> str:
        if not self.chosen:
            return "Every channel"
        return f"{len(self.chosen)} channel{'s' if len(self.chosen) != 1 else ''}: {self.channels_setting}"
