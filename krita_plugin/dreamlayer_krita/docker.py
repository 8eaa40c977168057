"""The dreamlayer docker: the knobs (built from the server's description of the settings), Dream, Dream again,
Vary and Cancel, Live and Keep (live_buttons.py), Variations, progress and the dreams waiting, a preview of the
octaves and then of the result, and the Server section.

It fits a small screen beside Krita's default dockers: the knobs sit in a scroll area, the advanced, zoom,
animation and server knobs fold away, and the preview takes whatever height is left. The docker keeps no state of
its own: the controller holds the values, the dreams and the connection; the docker shows them and forwards
presses. While it is visible it watches the server (connection.py), so the Server header follows a server that
comes, goes or restarts. The Channels knob's Pick… opens the channel picker (channel_choice.py).
"""

from __future__ import annotations

from krita import DockWidget

from dreamlayer_editor.description import Description

from .channel_choice import ChannelChoice
from .controller import controller
from .feedback import Feedback
from .guide_picker import GuidePicker
from .live_buttons import LiveButtons
from .panel import KnobPanel
from .qt import QtCore, QtWidgets
from .server_section import ServerSection
from .widgets import FoldingSection, LogView, PreviewImage, WheelScrollsTheDocker, wrap_tooltips

# Pixels. The preview takes half of what the docker has beyond ROOM_FOR_THE_KNOBS (the preset, five rows of
# knobs, the buttons and the progress), up to PREVIEW_MOST; less than PREVIEW_LEAST would show nothing useful.
ROOM_FOR_THE_KNOBS, PREVIEW_LEAST, PREVIEW_MOST = 460, 60, 200
ASKED_HEIGHT = 1000


class DockerBody(QtWidgets.QWidget):
    """The docker's content. Krita shares a column of dockers out by what each asks for, so it asks for a tall
    one (all its knobs and a preview); it may get less: the knobs then scroll and the preview goes first."""

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(260, ASKED_HEIGHT)
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
        self.preview_section = FoldingSection("Preview", not self.ctl.state.preview_folded)
        self.waiting = QtWidgets.QLabel()
        self.dream_button, self.cancel_button = QtWidgets.QPushButton("Dream"), QtWidgets.QPushButton("Cancel")
        self.again_button, self.vary_button = QtWidgets.QPushButton("Again"), QtWidgets.QPushButton("Vary")
        self.variations = QtWidgets.QSpinBox()
        self.zoom_button = QtWidgets.QPushButton("Make a zoom film")
        self.animate_button = QtWidgets.QPushButton("Dream the animation")
        self.live = LiveButtons(self.ctl)  # Live and Keep
        self.log_view: LogView | None = None
        self.feedback = Feedback(self, self.bar, self.message, self.preview, self.waiting, self.ctl.lineup)
        self.channel_choice = ChannelChoice(self, self.ctl.connection.link, self.panel, self.feedback.say)

        # The preset on top, then the knobs, which take the height; the preview gets what they leave (resizeEvent)
        # and folds away.
        root = DockerBody()
        layout = QtWidgets.QVBoxLayout(root)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(3)
        layout.addWidget(self.panel.preset_box)
        layout.addWidget(self._scroll_area(), 1)
        layout.addLayout(self._buttons())
        bar_row = QtWidgets.QHBoxLayout()  # Live and Keep beside the bar: no row of their own on a short screen
        bar_row.addWidget(self.bar, 1)
        bar_row.addWidget(self.live)
        layout.addLayout(bar_row)
        layout.addWidget(self.message)
        layout.addWidget(self.waiting)
        self.preview_section.body_layout.addWidget(self.preview)
        layout.addWidget(self.preview_section)
        self.setWidget(root)
        self.wheel = WheelScrollsTheDocker(self.scroll)
        self._prepare_sections()
        self._prepare_feedback()
        self._connect()
        self.server.show_values(vars(self.ctl.state))
        self.server.show_connection(self.ctl.connection.state, self.ctl.connection.text)
        self._build_knobs(self.ctl.description)

    def canvasChanged(self, canvas) -> None:
        self.guide.refresh()  # another image: its layers
        # And its own preview, message and dreams waiting. The canvas says which document: Krita 5 may still name
        # the one before as the active document at this point.
        view = canvas.view() if canvas is not None else None
        self.feedback.show_active(view.document() if view is not None else None)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        spare = (self.height() - ROOM_FOR_THE_KNOBS) // 2  # the preview shrinks first, so the knobs keep their room
        room = spare >= PREVIEW_LEAST
        self.preview.setFixedHeight(min(PREVIEW_MOST, spare) if room else 0)
        self.preview_section.setVisible(room)  # no room: not even its header

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

    def _buttons(self) -> QtWidgets.QHBoxLayout:
        self.dream_button.setToolTip("Dream the active paint layer (inside the selection, if any) into a new layer "
                                     "above it. Pressed while a dream runs, the new one waits its turn.")
        self.again_button.setToolTip("Dream again: the selected dream layer's source, with the same settings and seed "
                                     "(inside the current selection): the same picture, as a new layer.")
        self.vary_button.setToolTip("Like Again, with a new seed: the same settings, a different picture.")
        self.cancel_button.setToolTip("Stop the running dream and drop the ones waiting (a whole batch of "
                                      "variations); no layer is added for them.")
        self.variations.setRange(1, MAX_VARIATIONS)
        self.variations.setValue(self.ctl.state.variations)
        self.variations.setToolTip("How many dreams Dream makes, with consecutive seeds from the Seed knob's (or a "
                                   "random one): they land as layers in a new group above the source, each named "
                                   "with its seed.")
        # One row of buttons, sharing the docker's width whatever their text, leaves the knobs most of a short docker.
        row = QtWidgets.QHBoxLayout()
        row.setSpacing(2)
        for button in (self.dream_button, self.again_button, self.vary_button, self.cancel_button):
            button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
            button.setMinimumWidth(1)
            row.addWidget(button)
        return row

    def _prepare_sections(self) -> None:
        self.zoom_button.setToolTip("A dream zoom film of the active layer (or of noise) as a new animated layer.")
        zoom = self.panel.section("zoom").body_layout
        zoom.addWidget(self.zoom_from_noise)
        zoom.addWidget(self.zoom_button)
        self.animate_button.setToolTip("Dream the drawings of the active animated layer in the clip range into a new "
                                       "animated layer above it, with the same timing.")
        self.panel.section("video").body_layout.addWidget(self.animate_button)
        self.panel.add_row("more", "Guide", self.guide, before="guide_weight")
        self.panel.add_row("basic", "Variations", self.variations, before="octaves")

    def _prepare_feedback(self) -> None:
        self.message.setWordWrap(True)
        self.waiting.setVisible(False)
        self.cancel_button.setEnabled(False)

    def _connect(self) -> None:
        ctl, lineup = self.ctl, self.ctl.lineup
        self.panel.preset_chosen.connect(self._preset_chosen)
        self.panel.value_changed.connect(ctl.set_value)
        self.panel.value_changed.connect(lambda name, _value: self.channel_choice.knobs_changed(name))
        self.panel.video_value_changed.connect(ctl.set_video_value)
        self.panel.section_toggled.connect(self._remember_sections)
        self.server.toggled.connect(lambda _opened: self._remember_sections())
        self.preview_section.toggled.connect(lambda _opened: self._remember_sections())
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
        ctl.message.connect(self.feedback.say)
        ctl.connection.changed.connect(self._connection_changed)
        ctl.connection.changed.connect(lambda state, _text: self.channel_choice.server_changed(state))
        ctl.description_changed.connect(self._build_knobs)
        lineup.busy.connect(self.cancel_button.setEnabled)

    # -- settings ----------------------------------------------------------------------------------------------
    def _build_knobs(self, description: Description | None) -> None:
        if description is None:
            self.feedback.say(self.ctl.description_problem)
            return
        self.panel.build(description, self.ctl.state.values, self.ctl.state.preset, self.ctl.state.video_values)
        self.channel_choice.attach()
        self.wheel.tame(self.scroll.widget())
        self.wheel.tame(self.panel.preset_box)
        wrap_tooltips(self)
        self._keep_what_the_knobs_show()

    def _preset_chosen(self, name: str) -> None:
        self.ctl.choose_preset(name)
        self.panel.show_values(self.ctl.state.values, self.ctl.state.preset)
        self._keep_what_the_knobs_show()

    def _keep_what_the_knobs_show(self) -> None:
        """A knob may round a value (a spin box's decimals) or refuse it (a network the server lacks): what runs is
        what the knobs show, so their values become the stored ones."""
        self.channel_choice.knobs_changed("layer")  # the chips follow a layer the preset or description brought
        for name, value in self.panel.values().items():
            if self.ctl.state.values.get(name) != value:
                self.ctl.set_value(name, value)
        for name, value in self.panel.video_values().items():
            if self.ctl.state.video_values.get(name) != value:
                self.ctl.set_video_value(name, value)

    def _remember_sections(self) -> None:
        self.ctl.state.open_sections = self.panel.open_sections() + (["server"] if self.server.is_open() else [])
        self.ctl.state.preview_folded = not self.preview_section.is_open()
        self.ctl.save_state()

    # -- the server -----------------------------------------------------------------------------------------------
    def _connection_changed(self, state: str, text: str) -> None:
        self.server.show_connection(state, text)
        if state == "starting" or self.ctl.lineup.running is None:
            self.feedback.say(text)

    def _show_log(self) -> None:
        if self.log_view is None:
            self.log_view = LogView(self)
        self.log_view.show_file(self.ctl.log_file)

    def _copy_diagnostics(self) -> None:
        QtWidgets.QApplication.clipboard().setText(self.ctl.diagnostics_text())
        self.feedback.say("Copied the diagnostics to the clipboard: paste them into a bug report.")
