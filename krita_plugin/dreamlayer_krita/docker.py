"""The dreamlayer docker: the knobs (built from the server's description of the settings), Dream, Dream again,
Vary and Cancel, Variations, progress and the dreams waiting, a preview of the octaves and then of the result, and
the Server section.

It fits a small screen beside Krita's default dockers: the knobs sit in a scroll area, the advanced, zoom,
animation and server knobs fold away, and the preview takes whatever height is left. The docker keeps no state of
its own: the controller holds the values, the dreams and the connection; the docker shows them and forwards
presses. While it is visible it watches the server (connection.py), so the Server header follows a server that
comes, goes or restarts.
"""

from __future__ import annotations

from krita import DockWidget

from dreamlayer_editor.description import Description
from dreamlayer_editor.protocol import JobStatus

from .controller import controller
from .guide_picker import GuidePicker
from .panel import KnobPanel
from .qt import QtCore, QtWidgets
from .server_section import ServerSection
from .widgets import LogView, PreviewImage

BAR_STEPS = 1000
MAX_VARIATIONS = 32


class DreamDocker(DockWidget):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("dreamlayer")
        self.ctl = controller()
        self.panel = KnobPanel(self.ctl.state.open_sections)
        self.server = ServerSection("server" in self.ctl.state.open_sections)
        self.guide = GuidePicker()
        self.zoom_from_noise = QtWidgets.QCheckBox("Start from noise, not the layer")
        self.bar, self.message, self.preview = QtWidgets.QProgressBar(), QtWidgets.QLabel(), PreviewImage()
        self.waiting = QtWidgets.QLabel()
        self.dream_button, self.cancel_button = QtWidgets.QPushButton("Dream"), QtWidgets.QPushButton("Cancel")
        self.again_button, self.vary_button = QtWidgets.QPushButton("Dream again"), QtWidgets.QPushButton("Vary")
        self.variations = QtWidgets.QSpinBox()
        self.zoom_button = QtWidgets.QPushButton("Make a zoom film")
        self.animate_button = QtWidgets.QPushButton("Dream the animation")
        self.log_view: LogView | None = None

        root = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(root)
        layout.addWidget(self._scroll_area(), 3)
        layout.addLayout(self._buttons())
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addWidget(self.waiting)
        layout.addWidget(self.preview, 2)
        self.setWidget(root)
        self._prepare_sections()
        self._prepare_feedback()
        self._connect()
        self.server.show_values(vars(self.ctl.state))
        self.server.show_connection(self.ctl.connection.state, self.ctl.connection.text)
        self._build_knobs(self.ctl.description)

    def canvasChanged(self, canvas) -> None:
        self.guide.refresh()  # another image: its layers

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
        self.dream_button.setToolTip("Dream the active paint layer (inside the selection, if any) into a new layer "
                                     "above it. Pressed while a dream runs, the new one waits its turn.")
        self.again_button.setToolTip("Dream the selected dream layer's source again, with the same settings and seed "
                                     "(inside the current selection): the same picture, as a new layer.")
        self.vary_button.setToolTip("Like Dream again, with a new seed: the same settings, a different picture.")
        self.cancel_button.setToolTip("Stop the running dream and drop the ones waiting (a whole batch of "
                                      "variations); no layer is added for them.")
        self.variations.setRange(1, MAX_VARIATIONS)
        self.variations.setValue(self.ctl.state.variations)
        self.variations.setToolTip("How many dreams Dream makes, with consecutive seeds from the Seed knob's (or a "
                                   "random one): they land as layers in a new group above the source, each named "
                                   "with its seed.")
        variations = QtWidgets.QHBoxLayout()
        variations.addWidget(QtWidgets.QLabel("Variations"))
        variations.addWidget(self.variations, 1)
        grid = QtWidgets.QGridLayout()
        grid.addWidget(self.dream_button, 0, 0)
        grid.addWidget(self.cancel_button, 0, 1)
        grid.addWidget(self.again_button, 1, 0)
        grid.addWidget(self.vary_button, 1, 1)
        grid.addLayout(variations, 2, 0, 1, 2)
        return grid

    def _prepare_sections(self) -> None:
        self.zoom_button.setToolTip("A dream zoom film of the active layer (or of noise) as a new animated layer.")
        zoom = self.panel.section("zoom").body_layout
        zoom.addWidget(self.zoom_from_noise)
        zoom.addWidget(self.zoom_button)
        self.animate_button.setToolTip("Dream the drawings of the active animated layer in the clip range into a new "
                                       "animated layer above it, with the same timing.")
        self.panel.section("video").body_layout.addWidget(self.animate_button)
        self.panel.add_row("more", "Guide", self.guide, before="guide_weight")

    def _prepare_feedback(self) -> None:
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setValue(0)
        self.message.setWordWrap(True)
        self.waiting.setVisible(False)
        self.cancel_button.setEnabled(False)

    def _connect(self) -> None:
        ctl, lineup = self.ctl, self.ctl.lineup
        self.panel.preset_chosen.connect(self._preset_chosen)
        self.panel.value_changed.connect(ctl.set_value)
        self.panel.video_value_changed.connect(ctl.set_video_value)
        self.panel.section_toggled.connect(self._remember_sections)
        self.server.toggled.connect(lambda _opened: self._remember_sections())
        self.server.changed.connect(lambda: ctl.set_server(self.server.values()))
        self.server.log_button.clicked.connect(self._show_log)
        self.server.diagnostics_button.clicked.connect(self._copy_diagnostics)
        self.guide.picked.connect(lambda node_id: setattr(ctl, "guide_id", node_id))
        self.variations.valueChanged.connect(ctl.set_variations)
        self.dream_button.clicked.connect(lambda: ctl.dream_active())
        self.again_button.clicked.connect(lambda: ctl.dream_again_active())
        self.vary_button.clicked.connect(lambda: ctl.dream_again_active(vary=True))
        self.zoom_button.clicked.connect(lambda: ctl.zoom_active(from_noise=self.zoom_from_noise.isChecked()))
        self.animate_button.clicked.connect(lambda: ctl.animate_active())
        self.cancel_button.clicked.connect(ctl.cancel)
        self.visibilityChanged.connect(ctl.docker_visible)
        ctl.message.connect(self.message.setText)
        ctl.connection.changed.connect(self._connection_changed)
        ctl.description_changed.connect(self._build_knobs)
        lineup.started.connect(self._started)
        lineup.progress.connect(self._progress)
        lineup.preview.connect(self.preview.show_image)
        lineup.notice.connect(self.message.setText)
        lineup.ended.connect(self._ended)
        lineup.waiting.connect(self._waiting)
        lineup.busy.connect(self.cancel_button.setEnabled)

    # -- settings ----------------------------------------------------------------------------------------------
    def _build_knobs(self, description: Description | None) -> None:
        if description is None:
            self.message.setText(self.ctl.description_problem)
            return
        self.panel.build(description, self.ctl.state.values, self.ctl.state.preset, self.ctl.state.video_values)
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
        for name, value in self.panel.video_values().items():
            if self.ctl.state.video_values.get(name) != value:
                self.ctl.set_video_value(name, value)

    def _remember_sections(self) -> None:
        self.ctl.state.open_sections = self.panel.open_sections() + (["server"] if self.server.is_open() else [])
        self.ctl.save_state()

    # -- the server -----------------------------------------------------------------------------------------------
    def _connection_changed(self, state: str, text: str) -> None:
        self.server.show_connection(state, text)
        if state == "starting" or self.ctl.lineup.running is None:
            self.message.setText(text)

    def _show_log(self) -> None:
        if self.log_view is None:
            self.log_view = LogView(self)
        self.log_view.show_file(self.ctl.log_file)

    def _copy_diagnostics(self) -> None:
        QtWidgets.QApplication.clipboard().setText(self.ctl.diagnostics_text())
        self.message.setText("Copied the diagnostics to the clipboard: paste them into a bug report.")

    # -- the dreams -----------------------------------------------------------------------------------------------
    def _started(self, task) -> None:
        self.bar.setValue(0)
        self.preview.show_image(None)
        self.message.setText(f"{task.title}: sending..." if task.title else "Dreaming...")

    def _ended(self, task, added: bool, message: str) -> None:
        self.bar.setValue(BAR_STEPS if added else 0)
        if not added:
            self.preview.show_image(None)  # a preview of a dream that was not added would mislead
        self.message.setText(f"{task.title}: {message}" if task.title else message)

    def _progress(self, status: JobStatus) -> None:
        self.bar.setValue(round(status.fraction * BAR_STEPS))
        running = self.ctl.lineup.running
        title = running.title if running is not None else ""
        self.message.setText(f"{title}: {progress_text(status)}" if title else progress_text(status))

    def _waiting(self, count: int) -> None:
        self.waiting.setText(f"{count} more waiting (Cancel drops them)." if count else "")
        self.waiting.setVisible(count > 0)


def progress_text(status: JobStatus) -> str:
    """A JobStatus in a painter's words: the place in line, the frame, the scale, the time left."""
    if status.state == "queued":
        return f"Waiting: number {status.queue_position} in line."
    where = f"scale {status.progress.octave} of {status.progress.octaves}" if status.progress.octaves else "starting"
    if status.frames.total:
        where = f"frame {min(status.frames.done + 1, status.frames.total)} of {status.frames.total}, {where}"
    eta = f", about {status.eta_seconds:.0f} s left" if status.eta_seconds else ""
    return f"Dreaming: {where}{eta}."
