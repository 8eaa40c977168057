"""The dreamlayer docker: server, preset, model and knobs, Dream and Cancel, progress and octave previews."""

from __future__ import annotations

from krita import DockWidget

from .controller import controller
from .qt import QtCore, QtGui, QtWidgets

PREVIEW_SIZE = 200


class DreamDocker(DockWidget):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("dreamlayer")
        self.ctl = controller()
        s = self.ctl.settings
        root = QtWidgets.QWidget(self)
        form = QtWidgets.QFormLayout()

        self.url = QtWidgets.QLineEdit(s.server_url)
        self.url.editingFinished.connect(self._url_changed)
        self.status = QtWidgets.QLabel("Not checked yet.")
        self.status.setWordWrap(True)
        self.preset, self.model, self.layer = QtWidgets.QComboBox(), QtWidgets.QComboBox(), QtWidgets.QComboBox()
        for combo, value in ((self.preset, s.preset), (self.model, s.model), (self.layer, s.layer or "(default)")):
            combo.addItem(value)
        self.model.currentTextChanged.connect(self._fill_layers)
        self.octaves = self._spin(1, 12, s.octaves)
        self.steps = self._spin(1, 200, s.steps)
        self.step_size = QtWidgets.QDoubleSpinBox()
        self.step_size.setRange(0.01, 25.0)
        self.step_size.setSingleStep(0.25)
        self.step_size.setValue(s.step_size)
        self.channels = self._spin(0, 512, s.strongest_channels)
        self.channels.setSpecialValueText("whole layer")
        self.preserve = QtWidgets.QCheckBox("Preserve colours")
        self.preserve.setChecked(s.preserve_colors)
        self.seed = self._spin(-1, 2**31 - 1, s.seed)
        self.seed.setSpecialValueText("random")

        self.zoom_frames = self._spin(1, 2000, s.zoom_frames)
        self.zoom_factor = QtWidgets.QDoubleSpinBox()
        self.zoom_factor.setRange(1.0, 2.0)
        self.zoom_factor.setSingleStep(0.01)
        self.zoom_factor.setDecimals(3)
        self.zoom_factor.setValue(s.zoom_factor)
        self.zoom_noise = QtWidgets.QCheckBox("Zoom starts from noise")

        for label, widget in (("Server", self.url), ("", self.status), ("Preset", self.preset), ("Model", self.model),
                              ("Layer", self.layer), ("Octaves", self.octaves), ("Steps", self.steps),
                              ("Step size", self.step_size), ("Strongest channels", self.channels), ("", self.preserve),
                              ("Seed", self.seed), ("Zoom frames", self.zoom_frames), ("Zoom per frame", self.zoom_factor),
                              ("", self.zoom_noise)):
            form.addRow(label, widget)

        self.dream_button = QtWidgets.QPushButton("Dream")
        self.dream_button.clicked.connect(self._dream)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.ctl.cancel)
        self.zoom_button = QtWidgets.QPushButton("Zoom film")
        self.zoom_button.setToolTip("A dream zoom of the layer (or of noise) as a new animated layer")
        self.zoom_button.clicked.connect(self._zoom)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.dream_button)
        buttons.addWidget(self.zoom_button)
        buttons.addWidget(self.cancel_button)
        self.bar = QtWidgets.QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.preview = QtWidgets.QLabel()
        self.preview.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(PREVIEW_SIZE // 2)
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)

        layout = QtWidgets.QVBoxLayout(root)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addWidget(self.preview)
        layout.addStretch(1)
        self.setWidget(root)

        self.ctl.message.connect(self.message.setText)
        self.ctl.running.connect(self._running)
        self.ctl.progress.connect(self._progress)
        self.ctl.preview.connect(self._preview)
        self.ctl.server_info.connect(self._server_info)
        self.ctl.message.connect(self._status_line)
        self._models: dict = {}
        self.ctl.check_server()

    def canvasChanged(self, canvas):
        pass

    @staticmethod
    def _spin(lo: int, hi: int, value: int) -> QtWidgets.QSpinBox:
        spin = QtWidgets.QSpinBox()
        spin.setRange(lo, hi)
        spin.setValue(value)
        return spin

    def _store(self) -> None:
        s = self.ctl.settings
        s.server_url = self.url.text().strip()
        s.preset, s.model = self.preset.currentText(), self.model.currentText()
        s.layer = "" if self.layer.currentText() == "(default)" else self.layer.currentText()
        s.octaves, s.steps, s.step_size = self.octaves.value(), self.steps.value(), self.step_size.value()
        s.strongest_channels, s.preserve_colors, s.seed = self.channels.value(), self.preserve.isChecked(), self.seed.value()
        s.zoom_frames, s.zoom_factor = self.zoom_frames.value(), self.zoom_factor.value()
        self.ctl.save_settings()

    def _url_changed(self) -> None:
        self._store()
        self.status.setText("Checking...")
        self.ctl.check_server()

    def _dream(self) -> None:
        self._store()
        self.preview.clear()
        self.ctl.dream_active()

    def _zoom(self) -> None:
        self._store()
        self.preview.clear()
        self.ctl.zoom_active(from_noise=self.zoom_noise.isChecked())

    def _running(self, running: bool) -> None:
        self.dream_button.setEnabled(not running)
        self.zoom_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if not running:
            self.bar.setRange(0, 1)
            self.bar.setValue(0)

    def _progress(self, status) -> None:
        total = max(1, status.progress.total)
        self.bar.setRange(0, total)
        self.bar.setValue(status.progress.step)
        eta = f", about {status.eta_seconds:.0f} s left" if status.eta_seconds else ""
        if status.state == "queued":
            place = f"waiting, number {status.raw.get('queue_position')} in line"
        elif status.raw.get("kind") == "zoom":
            place = f"frame {status.progress.octave} of {status.progress.octaves}{eta}"
        else:
            place = f"octave {status.progress.octave} of {status.progress.octaves}{eta}"
        self.message.setText(f"Dreaming: {place}")

    def _preview(self, png: bytes) -> None:
        image = QtGui.QImage.fromData(png, "PNG")
        pixmap = QtGui.QPixmap.fromImage(image).scaled(
            PREVIEW_SIZE, PREVIEW_SIZE, QtCore.Qt.AspectRatioMode.KeepAspectRatio, QtCore.Qt.TransformationMode.SmoothTransformation)
        self.preview.setPixmap(pixmap)

    def _status_line(self, text: str) -> None:
        if text.startswith(("Connected", "Disconnected")):
            self.status.setText(text)

    def _server_info(self, info) -> None:
        if info is None:
            return
        self._models = {m["name"]: m for m in info["models"]}
        s = self.ctl.settings
        self._refill(self.preset, list(info["presets"]), s.preset)
        self._refill(self.model, [m["name"] for m in info["models"] if m["available"]], s.model)
        self._fill_layers(self.model.currentText())

    def _fill_layers(self, model: str) -> None:
        layers = ["(default)"] + [layer["name"] for layer in self._models.get(model, {}).get("layers", [])]
        self._refill(self.layer, layers, self.ctl.settings.layer or "(default)")

    @staticmethod
    def _refill(combo: QtWidgets.QComboBox, items: list[str], current: str) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(items)
        if current in items:
            combo.setCurrentText(current)
        combo.blockSignals(False)
