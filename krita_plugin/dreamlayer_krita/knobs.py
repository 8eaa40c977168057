"""A widget for each setting, built from the setting's description alone: its type, range or choices, what
leaving it empty means, its label and its help (the tooltip). Each knob speaks the setting's own values, None
included where the setting says what nothing means, so what the knobs show is exactly what is sent.

- whole numbers and numbers: spin boxes (decimals and increments from ``step``); where nothing means something
  ("random", "automatic"), the lowest value, one step below the range, shows those words and means None;
- yes/no: a check box; a fixed list of choices: a combo box; other text: a line edit;
- the knobs that know the network (model, layer, channels) are in network_knobs.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .qt import QtWidgets
from .widgets import wrapped

LARGEST_INT = 2**31 - 1  # a QSpinBox holds a C int
MAX_DECIMALS = 4


class Knob:
    """One setting's widget; ``value()`` and ``set_value()`` speak the setting's values."""

    def __init__(self, setting: dict[str, Any], widget: QtWidgets.QWidget):
        self.setting, self.widget = setting, widget
        widget.setToolTip(wrapped(tooltip(setting)))

    @property
    def name(self) -> str:
        return self.setting["name"]

    @property
    def label(self) -> str:
        return self.setting["label"]

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def on_change(self, callback: Callable[[], None]) -> None:
        raise NotImplementedError


class NumberKnob(Knob):
    def __init__(self, setting: dict[str, Any]):
        self.whole = setting["type"] == "integer"
        spin = QtWidgets.QSpinBox() if self.whole else QtWidgets.QDoubleSpinBox()
        super().__init__(setting, spin)
        step = setting.get("step") or 1
        low, high = setting.get("minimum", -LARGEST_INT), setting.get("maximum", LARGEST_INT)
        self.optional = setting.get("none_means") is not None
        if not self.whole:
            spin.setDecimals(decimals(step, low, setting.get("default")))
        spin.setRange(low - step if self.optional else low, high)
        spin.setSingleStep(step)
        if self.optional:
            spin.setSpecialValueText(setting["none_means"])
        spin.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)

    def value(self) -> int | float | None:
        value = self.widget.value()
        if self.optional and value == self.widget.minimum():
            return None
        return int(value) if self.whole else float(value)

    def set_value(self, value: Any) -> None:
        self.widget.setValue(self.widget.minimum() if value is None else value)

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.valueChanged.connect(lambda _value: callback())


class SwitchKnob(Knob):
    def __init__(self, setting: dict[str, Any]):
        super().__init__(setting, QtWidgets.QCheckBox(setting["label"]))

    def value(self) -> bool:
        return self.widget.isChecked()

    def set_value(self, value: Any) -> None:
        self.widget.setChecked(bool(value))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.toggled.connect(lambda _checked: callback())


class ChoiceKnob(Knob):
    """A combo box whose items show ``(text, value)`` pairs."""

    def __init__(self, setting: dict[str, Any], items: list[tuple[str, Any]] | None = None):
        super().__init__(setting, QtWidgets.QComboBox())
        self.fill(items if items is not None else [(choice, choice) for choice in setting["choices"]])

    def fill(self, items: list[tuple[str, Any]]) -> None:
        current = self.value() if self.widget.count() else None
        blocked = self.widget.blockSignals(True)
        self.widget.clear()
        for text, value in items:
            self.widget.addItem(text, value)
        self.widget.blockSignals(blocked)
        if current is not None:
            self.set_value(current)

    def value(self) -> Any:
        return self.widget.currentData()

    def set_value(self, value: Any) -> None:
        index = self.widget.findData(value)
        if index >= 0:
            self.widget.setCurrentIndex(index)

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.currentIndexChanged.connect(lambda _index: callback())


class TextKnob(Knob):
    def __init__(self, setting: dict[str, Any]):
        super().__init__(setting, QtWidgets.QLineEdit())
        self.widget.setPlaceholderText(setting.get("none_means") or "")

    def value(self) -> str:
        return self.widget.text().strip()

    def set_value(self, value: Any) -> None:
        self.widget.setText(value or "")

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.textChanged.connect(lambda _text: callback())


def tooltip(setting: dict[str, Any]) -> str:
    """The setting's help, and what its lowest value means where nothing means something."""
    if setting.get("none_means") is not None and setting["type"] in ("integer", "number"):
        return f"{setting['help']} (Lowest value: {setting['none_means']}.)"
    return setting["help"]


def decimals(*numbers: Any) -> int:
    """Enough decimals to show each of these numbers exactly (1.05 needs 2), at most MAX_DECIMALS."""
    digits = [len(f"{float(n):.{MAX_DECIMALS}f}".rstrip("0").split(".")[1]) for n in numbers if isinstance(n, (int, float))]
    return max(digits, default=0)
