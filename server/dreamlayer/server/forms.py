"""Reading a request's fields and parts strictly, so nothing sent is silently dropped.

werkzeug reads a multipart body that does not parse (cut short, a part without headers, ``[]``) as an empty form,
and keeps only the first of a field given twice; Flask ignores parts nobody asks for. Here each of those is
refused with 400 (unknown names with 422, as unknown settings are), before any work.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.formparser import FormDataParser

from ..errors import InvalidParameter
from .errors import ApiError


class StrictRequest(Request):
    """Flask's request, but a multipart body that does not parse is a 400, not an empty form."""

    def make_form_data_parser(self) -> FormDataParser:
        parser = super().make_form_data_parser()
        parser.silent = False  # werkzeug's parser raises ValueError instead of returning nothing
        return parser

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except ValueError as exc:
            raise ApiError(400, "malformed_body", f"The multipart/form-data body could not be read ({exc}). Send "
                           "each field and picture as a part with a Content-Disposition name.") from None


def single_fields(fields: MultiDict[str, str]) -> dict[str, str]:
    """The fields as a dict; a field given more than once is refused rather than one of its values kept."""
    twice = sorted(name for name, values in fields.lists() if len(values) > 1)
    if twice:
        raise ApiError(400, "duplicate_field", f"{_names(twice)} given more than once; send each field once.")
    return fields.to_dict()


def picture_parts(files: MultiDict[str, FileStorage], single: Collection[str],
                  repeated: Collection[str] = ()) -> dict[str, list[FileStorage]]:
    """The request's file parts by name: at most one of each in ``single``, any number of each in ``repeated``;
    a second one of a single part is refused (400), and so is any other name (422)."""
    unknown = sorted(set(files) - set(single) - set(repeated))
    if unknown:
        takes = ", ".join(f"'{name}'" for name in (*single, *repeated))
        raise InvalidParameter(f"Unknown part(s) {_names(unknown)}: this request takes the pictures {takes}, and "
                               "settings as plain (not file) fields.")
    twice = sorted(name for name in single if len(files.getlist(name)) > 1)
    if twice:
        raise ApiError(400, "duplicate_part", f"More than one {_names(twice)} part; send one.")
    return {name: files.getlist(name) for name in files}


def _names(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)
