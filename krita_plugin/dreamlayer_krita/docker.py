"""The dreamlayer docker: the knobs (built from the server's description of the settings), Dream, Dream again,
Vary and Cancel, progress, and a preview of the octaves and then of the result.

It fits a small screen beside Krita's default dockers: the knobs sit in a scroll area, the advanced, zoom and
server knobs fold away, and the preview takes whatever height is left. The docker keeps no state of its own: the
controller holds the values, the job and the connection; the docker shows them and forwards presses.
"""

from __future__ import annotations

from krita import DockWidget

from .client import JobStatus
from .controller import controller
from .description import Description
from .panel import KnobPanel
from .qt import QtCore, QtWidgets
from .widgets import FoldingSection, PreviewImage

BAR_STEPS = 1000


class DreamDocker(DockWidget):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("dreamlayer")
        self.ctl = controller()
        self.panel = KnobPanel(self.ctl.state.open_sections)
        self.server = FoldingSection("Server", "server" in self.ctl.state.open_sections)
        self.url, self.token, self.connection = QtWidgets.QLineEdit(), QtWidgets.QLineEdit(), QtWidgets.QLabel()
        self.zoom_from_noise = QtWidgets.QCheckBox("Start from noise, not the layer")
        self.bar, self.message, self.preview = QtWidgets.QProgressBar(), QtWidgets.QLabel(), PreviewImage()
        self.dream_button, self.cancel_button = QtWidgets.QPushButton("Dream"), QtWidgets.QPushButton("Cancel")
        self.again_button, self.vary_button = QtWidgets.QPushButton("Dream again"), QtWidgets.QPushButton("Vary")
        self.zoom_button = QtWidgets.QPushButton("Make a zoom film")

        root = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(root)
        layout.addWidget(self._scroll_area(), 3)
        layout.addLayout(self._buttons())
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addWidget(self.preview, 2)
        self.setWidget(root)
        self._prepare_server_section()
        self._prepare_zoom_section()
        self._prepare_feedback()
        self._connect()
        self._build_knobs(self.ctl.description)
        self.ctl.check_server()

    def canvasChanged(self, canvas) -> None:
        pass

    # -- layout -------------------------------------------------------------------------------------------------
    def _scroll_area(self) -> QtWidgets.QScrollArea:
        content = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(content)
        column.setContentsMargins(0, 0, 4, 0)
        column.addWidget(self.panel)
        column.addWidget(self.server)
        column.addStretch(1)
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(content)
        return self.scroll

    def _buttons(self) -> QtWidgets.QGridLayout:
        self.dream_button.setToolTip("Dream the active paint layer (inside the selection, if any) into a new layer above it.")
        self.again_button.setToolTip("Dream the selected dream layer's source again, with the same settings and seed "
                                     "(inside the current selection): the same picture, as a new layer.")
        self.vary_button.setToolTip("Like Dream again, with a new seed: the same settings, a different picture.")
        self.cancel_button.setToolTip("Stop the running dream; no layer is added.")
        grid = QtWidgets.QGridLayout()
        grid.addWidget(self.dream_button, 0, 0)
        grid.addWidget(self.cancel_button, 0, 1)
        grid.addWidget(self.again_button, 1, 0)
        grid.addWidget(self.vary_button, 1, 1)
        return grid

    def _prepare_server_section(self) -> None:
        self.url.setText(self.ctl.state.server_url)
        self.url.setToolTip("Where `dreamlayer serve` listens.")
        self.token.setText(self.ctl.state.token)
        self.token.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("none")
        self.token.setToolTip("Only if the server was started with a token.")
        self.connection.setWordWrap(True)
        form = QtWidgets.QFormLayout()
        form.addRow("Address", self.url)
        form.addRow("Token", self.token)
        form.addRow(self.connection)
        self.server.body_layout.addLayout(form)
        self._show_connection(None, "Connecting...")

    def _prepare_zoom_section(self) -> None:
        self.zoom_button.setToolTip("A dream zoom film of the active layer (or of noise) as a new animated layer.")
        body = self.panel.section("zoom").body_layout
        body.addWidget(self.zoom_from_noise)
        body.addWidget(self.zoom_button)

    def _prepare_feedback(self) -> None:
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setValue(0)
        self.message.setWordWrap(True)
        self.cancel_button.setEnabled(False)

    def _connect(self) -> None:
        self.panel.preset_chosen.connect(self._preset_chosen)
        self.panel.value_changed.connect(self.ctl.set_value)
        self.panel.section_toggled.connect(self._remember_sections)
        self.server.toggled.connect(lambda _opened: self._remember_sections())
        self.url.editingFinished.connect(self._server_changed)
        self.token.editingFinished.connect(self._server_changed)
        self.dream_button.clicked.connect(lambda: self.ctl.dream_active())
        self.again_button.clicked.connect(lambda: self.ctl.dream_again_active())
        self.vary_button.clicked.connect(lambda: self.ctl.dream_again_active(vary=True))
        self.zoom_button.clicked.connect(lambda: self.ctl.zoom_active(from_noise=self.zoom_from_noise.isChecked()))
        self.cancel_button.clicked.connect(self.ctl.cancel)
        self.ctl.message.connect(self.message.setText)
        self.ctl.running.connect(self._running)
        self.ctl.ended.connect(self._ended)
        self.ctl.progress.connect(self._progress)
        self.ctl.preview.connect(self.preview.show_image)
        self.ctl.connection.connect(self._show_connection)
        self.ctl.description_changed.connect(self._build_knobs)

    # -- settings -------------------------------------------------------------------------------------------------
    def _build_knobs(self, description: Description | None) -> None:
        if description is None:
            self.message.setText(self.ctl.description_problem)
            return
        self.panel.build(description, self.ctl.state.values, self.ctl.state.preset)
        self._keep_what_the_knobs_show()

    def _preset_chosen(self, name: str) -> None:
        self.ctl.choose_preset(name)
        self.panel.show_values(self.ctl.state.values, self.ctl.state.preset)
        self._keep_what_the_knobs_show()

    def _keep_what_the_knobs_show(self) -> None:
        """A knob may round a value (a spin box's decimals) or refuse it (a network the server lacks): what runs is
        what the knobs show, so their values become the stored ones."""
        for name, value in self.panel.values().items():
            if self.ctl.state.values.get(name) != value:
                self.ctl.set_value(name, value)

    def _remember_sections(self) -> None:
        self.ctl.state.open_sections = self.panel.open_sections() + (["server"] if self.server.is_open() else [])
        self.ctl.save_state()

    def _server_changed(self) -> None:
        if (self.url.text().strip(), self.token.text().strip()) != (self.ctl.state.server_url, self.ctl.state.token):
            self._show_connection(None, "Connecting...")
            self.ctl.set_server(self.url.text(), self.token.text())

    def _show_connection(self, connected: bool | None, text: str) -> None:
        """The connection's state, in one place: the server section's header, with the details inside it."""
        state = {None: "connecting", True: "connected", False: "not connected"}[connected]
        self.server.button.setText(f"Server: {state}")
        self.server.button.setToolTip(text)
        self.connection.setText("" if connected else text)
        self.connection.setVisible(not connected)
        if connected is False:
            self.server.set_open(True)  # so the address to fix is in view

    # -- the job --------------------------------------------------------------------------------------------------
    def _running(self) -> None:
        for button in (self.dream_button, self.again_button, self.vary_button, self.zoom_button):
            button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setValue(0)
        self.preview.show_image(None)

    def _ended(self, added: bool, message: str) -> None:
        for button in (self.dream_button, self.again_button, self.vary_button, self.zoom_button):
            button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.bar.setValue(BAR_STEPS if added else 0)
        if not added:
            self.preview.show_image(None)  # a preview of a dream that was not added would mislead
        self.message.setText(message)

    def _progress(self, status: JobStatus) -> None:
        self.bar.setValue(round(status.fraction * BAR_STEPS))
        self.message.setText(progress_text(status))


def progress_text(status: JobStatus) -> str:
    """A JobStatus in a painter's words: the place in line, the frame, the scale, the time left."""
    if status.state == "queued":
        return f"Waiting: number {status.queue_position} in line."
    where = f"scale {status.progress.octave} of {status.progress.octaves}" if status.progress.octaves else "starting"
    if status.frames.total:
        where = f"frame {min(status.frames.done + 1, status.frames.total)} of {status.frames.total}, {where}"
    eta = f", about {status.eta_seconds:.0f} s left" if status.eta_seconds else ""
    return f"Dreaming: {where}{eta}."
