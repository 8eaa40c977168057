"""Picture files in and out: the edge where bytes become float arrays and back (see each module)."""

from .picture import Picture
from .samples import from_floats, to_floats, to_uint8, to_uint16
from .read import CLI_MAX_PIXELS, READABLE_FORMATS, load_mask, load_picture
from .settings import Fingerprint, SettingsRecord, fingerprint, read_settings
from .write import (
    FORMAT_BY_SUFFIX, check_keeps_transparency, check_output, encode_picture, flatten, output_format, save_picture,
)

__all__ = [
    "CLI_MAX_PIXELS", "FORMAT_BY_SUFFIX", "READABLE_FORMATS", "Fingerprint", "Picture", "SettingsRecord",
    "check_keeps_transparency", "check_output", "encode_picture", "fingerprint", "flatten", "load_mask",
    "from_floats", "load_picture", "output_format", "read_settings", "save_picture", "to_floats", "to_uint8",
    "to_uint16",
]
