"""What every work request shares as it is read: its fields split between the request's own and the dream's, the
dream settings checked against this server (model downloaded, precision its device runs), a part read with its name
in any refusal, and the pixel-steps a dream costs against the server's cap.

The requests themselves are read in ``dream_requests`` (``POST /v1/dreams``) and ``film_requests`` (zooms, videos).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from werkzeug.datastructures import FileStorage

from ..catalog import get_model
from ..engine.devices import check_precision
from ..errors import DreamlayerError, ModelNotDownloaded, OverBudget
from ..params import DreamParams, Knobs, preset_params
from .limits import Limits

T = TypeVar("T")


def split_fields(fields: Mapping[str, str], own: type[Knobs]) -> tuple[dict[str, str], dict[str, str]]:
    """The request's own fields, and the rest (the settings, which the parameter model checks by name)."""
    names = set(own.names())
    return {k: v for k, v in fields.items() if k in names}, {k: v for k, v in fields.items() if k not in names}


def read_part(name: str, read: Callable[[], T]) -> T:
    """Read one part of the request; what is wrong with it says which part it is (the mask, the guide, a frame)."""
    try:
        return read()
    except DreamlayerError as exc:
        raise type(exc)(f"In {name}: {exc}") from None


def is_raw(part: FileStorage) -> bool:
    return part.mimetype == "application/octet-stream"


def dream_params(settings: Mapping[str, str], preset: str, limits: Limits) -> DreamParams:
    params = DreamParams.from_mapping(settings, preset_params(preset), exact=True)
    check_precision(limits.device_type, params.precision)
    check_downloaded(params.model)
    return params


def check_downloaded(model: str) -> None:
    """Refuse, before any work, a model whose weights this server lacks."""
    if not get_model(model).available():
        raise ModelNotDownloaded(f"The '{model}' model is not downloaded on the server. Run `dreamlayer models pull {model}` there.")


def check_cost(what: str, cost: int, limits: Limits, advice: str) -> None:
    """Refuse a dream, zoom or video whose pixel-steps (``ResolvedDream.cost``, summed over frames) pass the server's cap."""
    if cost > limits.max_cost:
        raise OverBudget(f"This {what} is too big for this server ({cost:,} pixel-steps; the limit is "
                         f"{limits.max_cost:,}). {advice}")
