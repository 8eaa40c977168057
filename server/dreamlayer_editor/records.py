"""What made a dream: the record kept with every result, so that it can be made again.

One shape everywhere: on a Krita layer (in the document's annotation), on a GIMP layer or film image (a
parasite), and in a PNG the command line writes (its ``dreamlayer`` text chunk). As JSON::

    {"kind": "dream", "preset": "deep", "settings": {...the dream settings that ran, seed and scale resolved},
     "film": {...a zoom's or video's own settings}, "source": "{the source layer's id}",
     "guide": {"width", "height", "sha256"}, "mask": {...}, "version": "0.1.0"}

Only ``settings`` is always there. Records written before this shape are read too: the command line's
(``params`` for ``settings``) and the plugins' (without ``kind``).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

KINDS = ("dream", "zoom", "animation", "video")


class RecordError(ValueError):
    """What is stored is no record; the message says so."""


class LayerRecord(NamedTuple):
    settings: dict[str, Any]  # the dream settings that ran, as the job reported them (seed and scale resolved)
    preset: str | None = None
    kind: str = "dream"  # dream, zoom, animation or video
    film: dict[str, Any] | None = None  # a zoom's or video's film settings
    source: str | None = None  # the source layer's id in its document (Krita); None for a zoom from noise
    guide: dict[str, Any] | None = None  # the guide picture's fingerprint: width, height, sha256
    mask: dict[str, Any] | None = None  # the mask's fingerprint
    version: str | None = None  # the dreamlayer that made it

    @property
    def seed(self) -> int | None:
        return self.settings.get("seed")

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object; fields that say nothing are left out."""
        return {name: value for name, value in self._asdict().items() if value is not None}

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: Any) -> LayerRecord:
        """A record as stored, in this shape or an older one."""
        if not isinstance(data, dict):
            raise RecordError("The stored dream settings are not a record.")
        settings = data.get("settings", data.get("params"))
        if not isinstance(settings, dict):
            raise RecordError("The stored dream settings have no settings.")
        known = {name: data.get(name) for name in cls._fields if name != "settings" and data.get(name) is not None}
        if known.get("kind", "dream") not in KINDS:
            raise RecordError(f"The stored dream settings are of an unknown kind ({known['kind']!r}).")
        return cls(settings, **known)

    @classmethod
    def from_bytes(cls, data: bytes) -> LayerRecord:
        try:
            return cls.from_json(json.loads(bytes(data).decode("utf-8")))
        except ValueError as exc:
            raise RecordError(f"The stored dream settings are unreadable ({exc}).") from None
