"""The settings a result was made with, kept in its PNG (a ``dreamlayer`` text chunk) so it can be made again.

The chunk holds the record every surface keeps (``dreamlayer_editor.records.LayerRecord``: the editors keep the same
on their layers). A guide picture or a mask changes the result as much as any setting, so the record names them
too: by size and a fingerprint of the file, enough to recognise the same file again (the files themselves are not
copied in).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any, NamedTuple

from dreamlayer_editor.records import LayerRecord, RecordError
from PIL import Image

from .. import __version__
from ..errors import ImageReadError
from .write import METADATA_KEY


class Fingerprint(NamedTuple):
    width: int
    height: int
    sha256: str  # of the file's bytes, shortened: recognises the file, proves nothing

    def describe(self) -> str:
        return f"{self.width}×{self.height}, fingerprint {self.sha256}"


def fingerprint(data: bytes, size: tuple[int, int]) -> Fingerprint:
    return Fingerprint(size[0], size[1], hashlib.sha256(data).hexdigest()[:16])


class SettingsRecord(NamedTuple):
    params: dict[str, Any]
    guide: Fingerprint | None = None
    mask: Fingerprint | None = None

    def to_json(self) -> dict[str, Any]:
        return LayerRecord(self.params, guide=self.guide._asdict() if self.guide else None,
                           mask=self.mask._asdict() if self.mask else None, version=__version__).to_json()


def read_settings(path: str | Path) -> SettingsRecord:
    """What a dreamlayer PNG was made with."""
    try:
        with Image.open(io.BytesIO(Path(path).read_bytes()), formats=["PNG"]) as image:
            text = image.info.get(METADATA_KEY)
    except OSError:
        text = None
    if text is None:
        raise ImageReadError(f"'{path}' holds no dreamlayer settings; only PNGs written by dreamlayer do.")
    try:
        record = LayerRecord.from_bytes(text.encode("utf-8"))
    except RecordError as exc:
        raise ImageReadError(f"'{path}' holds damaged dreamlayer settings: {exc}") from None
    return SettingsRecord(record.settings, *(Fingerprint(**found) if found else None for found in (record.guide, record.mask)))
