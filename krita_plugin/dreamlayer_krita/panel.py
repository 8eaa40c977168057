"""The preset and every knob of the settings description, grouped by the description's sections: "basic" knobs
always shown, "more", "advanced" (the engine's knobs: precision, tile size, jitter, smoothing), "zoom" and "video"
in sections that fold, so that the docker fits a small screen.

Picking a preset loads its values into the knobs (``preset_chosen``); a knob the artist changes is reported with
``value_changed`` (an animation's knobs, whose names a zoom's share, with ``video_value_changed``). The panel holds
no values of its own: it shows what it is given, and says what it shows. The docker may add rows of its own
(the guide layer picker) beside the knobs: ``add_row``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from dreamlayer_editor.description import Description

from .knobs import ChoiceKnob, Knob, NumberKnob, SwitchKnob, TextKnob
from .network_knobs import ChannelsKnob, LayerKnob, ModelKnob
from .qt import QtCore, QtWidgets, pyqtSignal
from .widgets import FoldingSection, wrapped

# Folding sections, in order, by the description's section names; a section the description adds later folds too,
# under its own name.
SECTION_TITLES = {"more": "More settings", "advanced": "Advanced", "zoom": "Zoom film", "video": "Dream the animation"}
FORM_SPACING = 3  # pixels between rows of knobs: a short docker shows one row more than at Qt's default
# Settings the docker has no knob for, and why: they would do nothing here.
NOT_SHOWN = {"format": "a zoom's frames become animation frames; the film file is not used"}
VIDEO_NOT_SHOWN = {
    "format": "the dreamed frames become animation frames; the film file is not used",
    "fps": "the dreamed frames keep the document's timing",
}


class ExtraRow(NamedTuple):
    """A row the docker adds to a section, before the knob ``before`` (or at the end when it has none)."""

    section: str
    label: str
    widget: QtWidgets.QWidget
    before: str


class KnobPanel(QtWidgets.QWidget):
    preset_chosen = pyqtSignal(str)
    value_changed = pyqtSignal(str, object)
    video_value_changed = pyqtSignal(str, object)
    section_toggled = pyqtSignal()

    def __init__(self, open_sections: list[str]):
        super().__init__()
        self.knobs: dict[str, Knob] = {}  # dream and zoom settings
        self.video_knobs: dict[str, Knob] = {}  # an animation's settings
        self.extra_rows: list[ExtraRow] = []
        self.description: Description | None = None
        self.preset = QtWidgets.QComboBox()
        # Any change of the preset loads its values; so does picking the shown one again (after changing knobs).
        self.preset.currentIndexChanged.connect(lambda index: self.preset_chosen.emit(self.preset.itemData(index)))
        self.preset.activated.connect(lambda index: self.preset_chosen.emit(self.preset.itemData(index)))
        self.preset_about = QtWidgets.QLabel()
        self.preset_about.setWordWrap(True)
        # The preset and what it does stay in view above the knobs: the docker puts this box outside its scrolling.
        self.preset_box = QtWidgets.QWidget()
        preset_form = QtWidgets.QFormLayout(self.preset_box)
        preset_form.setContentsMargins(0, 0, 0, 0)
        preset_form.addRow("Preset", self.preset)
        self.basic = QtWidgets.QFormLayout()
        self.sections: dict[str, FoldingSection] = {}
        self.forms: dict[str, QtWidgets.QFormLayout] = {"basic": self.basic}
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.basic.setVerticalSpacing(FORM_SPACING)
        self._layout.addLayout(self.basic)
        self._layout.addWidget(self.preset_about)  # what the preset does, under its knobs: they come first
        for name, title in SECTION_TITLES.items():
            self._add_section(name, FoldingSection(title, name in open_sections))

    def open_sections(self) -> list[str]:
        return [name for name, section in self.sections.items() if section.is_open()]

    def add_row(self, section: str, label: str, widget: QtWidgets.QWidget, before: str = "") -> None:
        """A row of the docker's own in a section, kept across rebuilds of the knobs."""
        self.extra_rows.append(ExtraRow(section, label, widget, before))
        self._place_extra_rows()

    def build(self, description: Description, values: dict[str, Any], preset: str,
              video_values: dict[str, Any] | None = None) -> None:
        """Knobs for every setting of the description (replacing any earlier ones), showing ``values``."""
        self.description = description
        self._clear_forms()
        self.knobs, self.video_knobs = {}, {}
        for setting in description.settings():
            if setting["name"] not in NOT_SHOWN:
                self._add_knob(make_knob(setting, description.models), setting.get("section", "basic"))
        for setting in description.video:
            if setting["name"] not in VIDEO_NOT_SHOWN:
                self._add_knob(make_knob(setting, description.models), "video", self.video_knobs)
        self._place_extra_rows()
        self.preset.blockSignals(True)
        self.preset.clear()
        for name, about in description.presets.items():
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1, wrapped(about.get("description", "")), QtCore.Qt.ItemDataRole.ToolTipRole)
        self.preset.blockSignals(False)
        self.show_values(values, preset)
        self.show_video_values(video_values or {})

    def show_video_values(self, values: dict[str, Any]) -> None:
        for name, knob in self.video_knobs.items():
            if name in values:
                blocked = knob.widget.blockSignals(True)
                knob.set_value(values[name])
                knob.widget.blockSignals(blocked)

    def show_values(self, values: dict[str, Any], preset: str) -> None:
        """Show these values (and this preset) without reporting them back as the artist's changes."""
        values = dict(values)  # a copy: the caller's mapping may be what the artist's changes update
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(max(0, self.preset.findData(preset)))
        self.preset.blockSignals(False)
        about = self.description.presets.get(preset, {}).get("description", "") if self.description else ""
        self.preset_about.setText(about)
        self.preset.setToolTip(wrapped(about))
        for knob in self.knobs.values():
            knob.widget.blockSignals(True)
        try:
            if "model" in values:
                self.knobs["model"].set_value(values["model"])
            self._show_layers(keep_unknown=True)
            for name, knob in self.knobs.items():
                if name in values:
                    knob.set_value(values[name])
        finally:
            for knob in self.knobs.values():
                knob.widget.blockSignals(False)

    def values(self) -> dict[str, Any]:
        return {name: knob.value() for name, knob in self.knobs.items()}

    def video_values(self) -> dict[str, Any]:
        return {name: knob.value() for name, knob in self.video_knobs.items()}

    def section(self, name: str) -> FoldingSection:
        return self.sections[name]

    def _add_section(self, name: str, section: FoldingSection) -> None:
        self.sections[name] = section
        form = QtWidgets.QFormLayout()
        form.setVerticalSpacing(FORM_SPACING)
        section.body_layout.insertLayout(0, form)
        self.forms[name] = form
        section.toggled.connect(lambda _opened: self.section_toggled.emit())
        self._layout.addWidget(section)

    def _add_knob(self, knob: Knob, section: str, group: dict[str, Knob] | None = None) -> None:
        if section not in self.forms:
            self._add_section(section, FoldingSection(section.capitalize()))
        form = self.forms[section]
        if isinstance(knob.widget, QtWidgets.QCheckBox):
            form.addRow(knob.widget)
        else:
            label = QtWidgets.QLabel(knob.label)
            label.setToolTip(knob.widget.toolTip())
            form.addRow(label, knob.widget)
        if group is None:
            self.knobs[knob.name] = knob
            knob.on_change(lambda: self._changed(knob))
        else:
            group[knob.name] = knob
            knob.on_change(lambda: self.video_value_changed.emit(knob.name, knob.value()))

    def _changed(self, knob: Knob) -> None:
        if knob.name == "model":
            self._show_layers(keep_unknown=False)
        self.value_changed.emit(knob.name, knob.value())

    def _clear_forms(self) -> None:
        """Remove every knob's row; the docker's own rows are taken out whole, to be placed again."""
        extras = {id(row.widget) for row in self.extra_rows}
        for form in self.forms.values():
            for index in reversed(range(form.rowCount())):
                taken = form.takeRow(index)
                for item in (taken.labelItem, taken.fieldItem):
                    widget = item.widget() if item is not None else None
                    if widget is not None and id(widget) not in extras:  # a docker's row stays, to go back in
                        widget.hide()
                        widget.deleteLater()

    def _place_extra_rows(self) -> None:
        for row in self.extra_rows:
            form = self.forms[row.section]
            if form.indexOf(row.widget) >= 0:
                continue
            knob = self.knobs.get(row.before)
            index = form.getWidgetPosition(knob.widget)[0] if knob is not None else -1
            form.insertRow(index if index >= 0 else form.rowCount(), row.label, row.widget)

    def _show_layers(self, keep_unknown: bool) -> None:
        """The features knob lists the chosen network's layers; after the artist picks another network, a layer
        it lacks goes back to its default (``keep_unknown`` keeps it, for a typed mix being shown)."""
        layer, model = self.knobs.get("layer"), self.knobs.get("model")
        if isinstance(layer, LayerKnob) and self.description is not None:
            layer.show_layers_of(self.description.model(model.value()) if model is not None else None, keep_unknown)


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
