"""What every setting is, once: its type, default, range or choices, and a label and a line of help for a painter.

A group of settings is a frozen dataclass whose fields are made with ``knob()``; ``Knobs`` gives it parsing from
Python values or text (command lines and forms send text), validation, and a JSON description. The CLI flags, the
server's parsing, the OpenAPI schemas, ``/v1/settings`` and the editors' knobs are all built from that description.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from ..errors import InvalidParameter

# The JSON Schema name of each Python type a knob can have.
SCHEMA_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}


@dataclasses.dataclass(frozen=True)
class Knob:
    label: str  # as an artist reads it
    help: str  # one line
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    section: str = "basic"  # where an editor shows it: basic, more (folded away), zoom, ...
    none_means: str | None = None  # what leaving it empty means ("random", "automatic"); None: it needs a value
    # (text settings are empty rather than None; numbers and yes/no settings are None)
    step: float | None = None  # a sensible increment for a spin box
    cli: bool = True  # False where the command line says it another way (a zoom's format is OUTPUT's extension)


def knob(default: Any, label: str, help: str, **options: Any) -> Any:
    """A dataclass field that is a setting (see ``Knob`` for the options)."""
    return dataclasses.field(default=default, metadata={"knob": Knob(label, help, **options)})


def parse_bool(text: str) -> bool:
    """yes/no, true/false, on/off, 1/0, as forms and command lines send them."""
    if text.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if text.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(text)


@dataclasses.dataclass(frozen=True)
class Setting:
    """One knob of a group, with its name, Python type and default."""

    name: str
    kind: str  # int, float, bool or str
    default: Any
    knob: Knob

    def parse(self, value: Any, exact: bool = False) -> Any:
        """A value from Python or from text, converted to the knob's type (None where empty means something).

        ``exact`` text is spelled as the API description's form fields are: a yes/no setting is ``true`` or
        ``false``, and a setting left to the server is left out, not sent empty or as ``auto``."""
        if isinstance(value, str):
            text = value.strip()
            if self.kind == "str":
                return self._typed(text)
            if exact and self.kind == "bool" and text not in ("true", "false"):
                raise InvalidParameter(f"'{self.name}' must be true or false, not '{value}'.")
            if not exact and self.knob.none_means is not None and text.lower() in ("", "none", "auto", self.knob.none_means):
                return None
            try:
                value = {"bool": parse_bool, "int": int, "float": float, "str": str}[self.kind](text)
            except ValueError:
                raise InvalidParameter(f"'{self.name}' must be {self._wanted()}, not '{value}'.") from None
        return self._typed(value)

    def _typed(self, value: Any) -> Any:
        if value is None:
            if self.knob.none_means is None:
                raise InvalidParameter(f"'{self.name}' needs a value.")
            return "" if self.kind == "str" else None  # text settings say "nothing" with an empty string
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.kind == "bool" and isinstance(value, bool):
            return value
        if self.kind == "int" and number and float(value).is_integer():
            return int(value)
        if self.kind == "float" and number:
            return float(value)
        if self.kind == "str" and isinstance(value, str):
            return value
        raise InvalidParameter(f"'{self.name}' must be {self._wanted()}, not {value!r}.")

    def _wanted(self) -> str:
        return {"int": "a whole number", "float": "a number", "bool": "yes or no", "str": "text"}[self.kind]

    def check(self, value: Any) -> None:
        knob = self.knob
        if value is None:
            return
        if knob.choices and value not in knob.choices:
            raise InvalidParameter(f"'{self.name}' must be one of {', '.join(knob.choices)}, not '{value}'.")
        if self.kind in ("int", "float"):
            if math.isnan(value) or math.isinf(value):
                raise InvalidParameter(f"'{self.name}' must be a number.")
            if (knob.lo is not None and value < knob.lo) or (knob.hi is not None and value > knob.hi):
                raise InvalidParameter(f"'{self.name}' must be between {_show(knob.lo)} and {_show(knob.hi)}, not {_show(value)}.")

    def describe(self) -> dict[str, Any]:
        """The JSON description editors build their knobs from (JSON Schema's words where there are some)."""
        knob = self.knob
        out: dict[str, Any] = {"name": self.name, "type": SCHEMA_TYPES[self.kind], "default": self.default,
                               "label": knob.label, "help": knob.help, "section": knob.section}
        if knob.lo is not None:
            out["minimum"], out["maximum"] = knob.lo, knob.hi
        if knob.choices:
            out["choices"] = list(knob.choices)
        if knob.none_means is not None:
            out["none_means"] = knob.none_means
        if knob.step is not None:
            out["step"] = knob.step
        return out


def _show(value: float | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _kind(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else annotation.__name__
    return text.split("|")[0].strip()


K = TypeVar("K", bound="Knobs")


class Knobs:
    """Mixed into a frozen dataclass of ``knob()`` fields: parsing, validation, description."""

    KIND: ClassVar[str] = "dream"  # what the settings are of, for messages
    # Settings another group names differently: a zoom's steps_per_frame stands in for a dream's steps.
    REPLACES: ClassVar[dict[str, str]] = {}

    @classmethod
    def settings(cls) -> list[Setting]:
        return [Setting(f.name, _kind(f.type), f.default, f.metadata["knob"])
                for f in dataclasses.fields(cls) if "knob" in f.metadata]  # type: ignore[arg-type]

    @classmethod
    def names(cls) -> list[str]:
        return [s.name for s in cls.settings()]

    @classmethod
    def from_mapping(cls: type[K], values: Mapping[Any, Any], base: K | None = None, exact: bool = False) -> K:
        """Build and validate from Python values or text (``exact``: as the API's forms spell it, see
        ``Setting.parse``); unknown names and bad values raise InvalidParameter."""
        known = {s.name: s for s in cls.settings()}
        replaced = [f"'{cls.REPLACES[n]}' takes the place of '{n}'" for n in values if n in cls.REPLACES]
        if replaced:
            raise InvalidParameter(f"In a {cls.KIND}, {'; '.join(replaced)}.")
        # Names come from forms and files too: anything, even an empty or non-text name, is refused by name.
        unknown = sorted(repr(n) if not isinstance(n, str) or not n else n for n in values if n not in known)
        if unknown:
            raise InvalidParameter(f"Unknown setting(s): {', '.join(unknown)}.")
        parsed = {name: known[name].parse(value, exact) for name, value in values.items()}
        return dataclasses.replace(base or cls(), **parsed).validated()  # type: ignore[call-arg]

    def validated(self: K) -> K:
        for setting in self.settings():
            setting.check(getattr(self, setting.name))
        return self

    def replace(self: K, **changes: Any) -> K:
        return dataclasses.replace(self, **changes).validated()  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.names()}

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        return [s.describe() for s in cls.settings()]
