"""The knobs that know the network: the network itself (``model``), by its models' titles; the features
(``layer``), an editable combo of the chosen network's layers, its default first, so a mix like
"block8=0.5,block10" can still be typed; and the channels (``channels``): all of them, the N strongest, or a typed
list, spoken as the setting's text ("", "strongest:N", "3,17,42"); its Pick… button opens the channel picker
(channel_picker.py, wired by channel_choice.py) and the numbers listed show as small pictures (channel_chips.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dreamlayer_editor.shorthand import ChannelChoice, ShorthandError, parse_channels

from .channel_chips import ChannelChips
from .knobs import ChoiceKnob, Knob
from .qt import QtWidgets

STRONGEST_SHOWN = 8  # what the channels knob offers first when the artist picks "the strongest"


class ModelKnob(ChoiceKnob):
    """The networks the server has, by title (all of them listed while no server has said which it has)."""

    def __init__(self, setting: dict[str, Any], models: list[dict[str, Any]]):
        usable = [m for m in models if m.get("available", True)] or models
        items = [(m.get("title") or m["name"], m["name"]) for m in usable if m["name"] in setting.get("choices", [m["name"]])]
        super().__init__(setting, items or None)


def layer_text(layer: dict[str, Any]) -> str:
    """'block10 · eyes and fur': a layer's name with what it dreams (from the server's catalog)."""
    return f"{layer['name']} · {layer['dreams']}" if layer.get("dreams") else layer["name"]


class LayerKnob(Knob):
    """The chosen network's layers with what each dreams, its default first ("block10 · eyes and fur (default)",
    meaning: leave it to the network)."""

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
            default = next((l for l in model["layers"] if l["name"] == model["default_layer"]), {"name": model["default_layer"]})
            self.widget.addItem(f"{layer_text(default)} (default)", "")
            for layer in model["layers"]:
                self.widget.addItem(layer_text(layer), layer["name"])
        else:
            self.widget.addItem(self.setting.get("none_means", "default"), "")
        self.widget.blockSignals(blocked)
        self.set_value(current if keep_unknown or self.widget.findData(current) >= 0 else "")

    def value(self) -> str:
        text = self.widget.currentText().strip()
        index = self.widget.findText(text)
        if index < 0:  # typed: a layer's name alone finds its row too
            index = self.widget.findData(text)
        return self.widget.itemData(index) if index >= 0 else text

    def set_value(self, value: Any) -> None:
        index = self.widget.findData(value or "")
        if index >= 0:
            self.widget.setCurrentIndex(index)
        else:
            self.widget.setEditText(str(value))
        self.widget.lineEdit().setCursorPosition(0)  # a long entry shows its start, the layer's name

    def on_change(self, callback: Callable[[], None]) -> None:
        self.widget.currentTextChanged.connect(lambda _text: callback())


class ChannelsKnob(Knob):
    """All channels, the N strongest (a spin box), or these (a typed list): the three forms of the setting's text.
    Under them, the numbers listed as small pictures (the chips), and Pick… (``pick_button``, which the docker
    connects), which chooses them by their pictures."""

    MODES = (("all", "Every channel"), ("strongest", "Only the strongest"), ("these", "Only these numbers"))

    def __init__(self, setting: dict[str, Any]):
        super().__init__(setting, QtWidgets.QWidget())
        self.mode, self.count, self.listed = QtWidgets.QComboBox(), QtWidgets.QSpinBox(), QtWidgets.QLineEdit()
        self.pick_button, self.chips = QtWidgets.QToolButton(), ChannelChips()
        self._callbacks: list[Callable[[], None]] = []
        for value, text in self.MODES:
            self.mode.addItem(text, value)
        self.count.setRange(1, 4096)
        self.count.setValue(STRONGEST_SHOWN)
        self.listed.setPlaceholderText("3,17,42")
        self.pick_button.setText("Pick…")
        column = QtWidgets.QVBoxLayout(self.widget)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        row, pictures = QtWidgets.QHBoxLayout(), QtWidgets.QHBoxLayout()
        for part in (self.mode, self.count, self.listed):
            part.setToolTip(self.widget.toolTip())
            row.addWidget(part)
        # Under the row, the numbers listed as pictures, and Pick… (the row itself has no room to spare in a
        # docker of the default width: the list needs what the mode leaves).
        pictures.addWidget(self.chips, 1)
        pictures.addWidget(self.pick_button)
        column.addLayout(row)
        column.addLayout(pictures)
        self.pick_button.setToolTip("Choose the channels by what each one dreams: a picture per channel, the active "
                                    "layer's strongest first.")
        self.mode.currentIndexChanged.connect(lambda _index: self._show_mode())
        self.listed.textChanged.connect(lambda _text: self._show_chips())
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

    def choose(self, text: str) -> None:
        """The picker's choice ("3,17,42", or "" for every channel), reported as the artist's change."""
        self.set_value(text)
        for callback in self._callbacks:
            callback()

    def listed_channels(self) -> list[int]:
        """The numbers listed, in "these numbers" mode and when they read; else none."""
        if self.mode.currentData() != "these":
            return []
        try:
            choice = parse_channels(self.listed.text())
        except ShorthandError:
            return []
        return list(choice.indices) if choice is not None else []

    def on_change(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)
        self.mode.currentIndexChanged.connect(lambda _index: callback())
        self.count.valueChanged.connect(lambda _value: callback())
        self.listed.textChanged.connect(lambda _text: callback())

    def _show_mode(self) -> None:
        self.count.setVisible(self.mode.currentData() == "strongest")
        self.listed.setVisible(self.mode.currentData() == "these")
        self._show_chips()

    def _show_chips(self) -> None:
        self.chips.set_channels(self.listed_channels())  # none: an empty row, Pick… at its end
