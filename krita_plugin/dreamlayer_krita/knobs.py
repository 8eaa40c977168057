"""A widget for each setting, built from the setting's description alone: its type, range or choices, what
leaving it empty means, its label and its help (the tooltip). Each knob speaks the setting's own values, None
included where the setting says what nothing means, so what the knobs show is exactly what is sent.

- whole numbers and numbers: spin boxes (decimals and increments from ``step``); where nothing means something
  ("random", "automatic"), the lowest value, one step below the range, shows those words and means None;
- yes/no: a check box; a fixed list of choices: a combo box; other text: a line edit;
- the network (``model``): its models by title; the features (``layer``): an editable combo of the chosen
  network's layers, its default first, so a mix like "block8=0.5,block10" can still be typed;
- the channels (``channels``): all of them, the N strongest, or a typed list, spoken as the setting's text
  ("", "strongest:N", "3,17,42").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dreamlayer_editor.shorthand import ChannelChoice, ShorthandError, parse_channels

from .qt import QtWidgets

LARGEST_INT = 2**31 - 1  # a QSpinBox holds a C int
MAX_DECIMALS = 4
STRONGEST_SHOWN = 8  # what the channels knob offers first when the artist picks "the strongest"


class Knob:
    """One setting's widget; ``value()`` and ``set_value()`` speak the setting's values."""

    def __init__(self, setting: dict[str, Any], widget: QtWidgets.QWidget):
        self.setting, self.widget = setting, widget
        widget.setToolTip(tooltip(setting))

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


class ModelKnob(ChoiceKnob):
    """The networks the server has, by title (all of them listed while no server has said which it has)."""

    def __init__(self, setting: dict[str, Any], models: list[dict[str, Any]]):
        usable = [m for m in models if m.get("available", True)] or models
        items = [(m.get("title") or m["name"], m["name"]) for m in usable if m["name"] in setting.get("choices", [m["name"]])]
        super().__init__(setting, items or None)


class LayerKnob(Knob):
    """The chosen network's layers, its default first ("block10 (default)", meaning: leave it to the network)."""

    def __init__(self, setting: dict[str, Any]):
        combo = QtWidgets.QComboBox()
        combo.setEditable(True)
        combo.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        super().__init__(setting, combo)

    def show_layers_of(self, model: dict[str, Any] | None, keep_unknown: bool = True) -> None:
        """List the model's layers; a current value that is none of them is kept only with ``keep_unknown``."""
        current = self.value()
        blocked = self.widget.blockSignals(True)
        self.widget.clear()
        if model is not None:
            self.widget.addItem(f"{model['default_layer']} (default)", "")
            for layer in model["layers"]:
                self.widget.addItem(layer["name"], layer["name"])
        else:
            self.widget.addItem(self.setting.get("none_means", "default"), "")
        self.widget.blockSignals(blocked)
        self.set_value(current if keep_unknown or self.widget.findData(current) >= 0 else "")

    def value(self) -> str:
        text = self.widget.currentText().strip()
        index = self.widget.findText(text)
        return self.widget.itemData(index) if index >= 0 else text

    def set_value(self, value: Any) -> None:
        index = self.widget.findData(value or "")
        if index >= 0:
            self.widget.setCurrentIndex(index)
        else:
            self.widget.setEditText(str(value))

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.currentTextChanged.connect(lambda _text: callback())


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


class ChannelsKnob(Knob):
    """All channels, the N strongest (a spin box), or these (a typed list): the three forms of the setting's text."""

    MODES = (("all", "All"), ("strongest", "The strongest"), ("these", "These"))

    def __init__(self, setting: dict[str, Any]):
        super().__init__(setting, QtWidgets.QWidget())
        self.mode, self.count, self.listed = QtWidgets.QComboBox(), QtWidgets.QSpinBox(), QtWidgets.QLineEdit()
        for value, text in self.MODES:
            self.mode.addItem(text, value)
        self.count.setRange(1, 4096)
        self.count.setValue(STRONGEST_SHOWN)
        self.listed.setPlaceholderText("3,17,42")
        row = QtWidgets.QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        for part in (self.mode, self.count, self.listed):
            part.setToolTip(self.widget.toolTip())
            row.addWidget(part)
        self.mode.currentIndexChanged.connect(lambda _index: self._show_mode())
        self._show_mode()

    def value(self) -> str:
        mode = self.mode.currentData()
        if mode == "strongest":
            return f"strongest:{self.count.value()}"
        return self.listed.text().replace(" ", "") if mode == "these" else ""

    def set_value(self, value: Any) -> None:
        text = str(value or "").strip()
        parts = (self.mode, self.count, self.listed)
        blocked = [part.blockSignals(True) for part in parts]  # the panel blocks only the container's signals
        try:
            try:
                choice = parse_channels(text)
            except ShorthandError:  # shown as typed, for the artist to mend
                choice = ChannelChoice(0, ())
            mode = "all" if choice is None else "strongest" if choice.strongest else "these"
            self.mode.setCurrentIndex(self.mode.findData(mode))
            if mode == "strongest":
                self.count.setValue(choice.strongest)
            elif mode == "these":
                self.listed.setText(text)
            self._show_mode()
        finally:
            for part, was in zip(parts, blocked):
                part.blockSignals(was)

    def on_change(self, callback: Callable[[], None]) -> None:
        self.mode.currentIndexChanged.connect(lambda _index: callback())
        self.count.valueChanged.connect(lambda _value: callback())
        self.listed.textChanged.connect(lambda _text: callback())

    def _show_mode(self) -> None:
        self.count.setVisible(self.mode.currentData() == "strongest")
        self.listed.setVisible(self.mode.currentData() == "these")


def make_knob(setting: dict[str, Any], models: list[dict[str, Any]]) -> Knob:
    """The widget a setting's description calls for."""
    if setting["name"] == "model" and models:
        return ModelKnob(setting, models)
    if setting["name"] == "layer":
        return LayerKnob(setting)
    if setting["name"] == "channels":
        return ChannelsKnob(setting)
    if "choices" in setting:
        return ChoiceKnob(setting)
    if setting["type"] == "boolean":
        return SwitchKnob(setting)
    if setting["type"] in ("integer", "number"):
        return NumberKnob(setting)
    return TextKnob(setting)


def tooltip(setting: dict[str, Any]) -> str:
    """The setting's help, and what its lowest value means where nothing means something."""
    if setting.get("none_means") is not None and setting["type"] in ("integer", "number"):
        return f"{setting['help']} (Lowest value: {setting['none_means']}.)"
    return setting["help"]


def decimals(*numbers: Any) -> int:
    """Enough decimals to show each of these numbers exactly (1.05 needs 2), at most MAX_DECIMALS."""
    digits = [len(f"{float(n):.{MAX_DECIMALS}f}".rstrip("0").split(".")[1]) for n in numbers if isinstance(n, (int, float))]
    return max(digits, default=0)
