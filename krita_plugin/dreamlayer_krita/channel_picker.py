"""The channel picker: a layer's channels as pictures (what each one dreams), the active layer's strongest first
with their share, filled in as the server makes them; clicking chooses one, Ctrl+click several. OK writes the
choice into the Channels knob as numbers ("3,17,42"); none chosen means every channel.

The picker's model is the editor core's ``ChannelPicker`` (shared with GIMP); this is only its Krita face. The
network runs in ``atlas_rounds``; a QTimer asks for the atlas every ``REFRESH_SECONDS`` while the picker is open
(the server makes the pictures only while someone asks) and stops when it closes, so the server's lease runs out
and its background work stops.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from dreamlayer_editor.atlas import REFRESH_SECONDS, ChannelPicker

from .adapter import Region
from .atlas_rounds import LOOK, RANK, START, AtlasRounds
from .qt import QtCore, QtGui, QtWidgets

ICON = 96  # pixels: a thumbnail in the grid (the server makes them at 128)
CELL = QtCore.QSize(ICON + 18, ICON + 34)  # room for the label under it
RETRY_SECONDS = 5.0  # after a failed round (the server away), the next try
STRONG_BACKGROUND = QtGui.QColor(255, 176, 32, 70)  # a warm tint that reads on light and dark themes
# A chosen thumbnail is framed whole, picture and label: the styles' own selection marks only the label in icon mode.
GRID_STYLE = ("QListWidget::item:selected { background: palette(highlight); color: palette(highlighted-text); "
              "border: 2px solid palette(highlight); border-radius: 3px; }")
CHANNEL = QtCore.Qt.ItemDataRole.UserRole


@lru_cache(maxsize=8)
def placeholder(state: str, size: int = ICON) -> QtGui.QPixmap:
    """A grey square standing in for a picture not made yet; the one being made says so."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtGui.QColor(96, 96, 104) if state == "being_made" else QtGui.QColor(64, 64, 70))
    painter = QtGui.QPainter(pixmap)
    painter.setPen(QtGui.QColor(210, 210, 210))
    words = {"being_made": "being made…", "waiting": "waiting…"}.get(state, "")
    painter.drawText(pixmap.rect(), int(QtCore.Qt.AlignmentFlag.AlignCenter), words)
    painter.end()
    return pixmap


class ChannelPickerDialog(QtWidgets.QDialog):
    """``picker`` holds the choice; ``accepted`` means the artist pressed OK (``picker.channels_setting``)."""

    def __init__(self, link, picker: ChannelPicker, region: Region | None, about: str, parent=None):
        super().__init__(parent)
        self.picker, self.region = picker, region
        self.rounds = AtlasRounds(link, picker)
        self.items: dict[int, QtWidgets.QListWidgetItem] = {}
        self.images: dict[int, QtGui.QImage] = {}  # the pictures fetched so far
        self.shown: dict[int, str] = {}  # what each item's icon shows: "picture" or the placeholder's state
        self.ranked = region is None  # nothing to rank: the order by number is final
        self.setWindowTitle(f"Channels of {picker.layer} ({picker.model})")
        self.heading, self.about = QtWidgets.QLabel(), QtWidgets.QLabel(about)
        self.progress_line, self.bar = QtWidgets.QLabel("Reaching the dream server…"), QtWidgets.QProgressBar()
        self.problem, self.choice_line = QtWidgets.QLabel(), QtWidgets.QLabel()
        self.grid = QtWidgets.QListWidget()
        self.clear_button = QtWidgets.QPushButton("Clear: every channel")
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.timer = QtCore.QTimer(self)
        self._lay_out()
        self._connect()
        self._show_choice()
        self.rounds.start()

    # -- layout ---------------------------------------------------------------------------------------------------
    def _lay_out(self) -> None:
        self.heading.setText(f"<b>{escape(self.picker.layer)}</b> of {escape(self.picker.model)}")
        for label in (self.about, self.problem, self.choice_line):
            label.setWordWrap(True)
            label.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # a layer's name is never read as markup
        self.problem.setStyleSheet("color: #e05050;")
        self.problem.setVisible(False)
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        grid = self.grid
        grid.setViewMode(QtWidgets.QListView.ViewMode.IconMode)
        grid.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)  # Ctrl+click: several
        grid.setIconSize(QtCore.QSize(ICON, ICON))
        grid.setGridSize(CELL)
        grid.setResizeMode(QtWidgets.QListView.ResizeMode.Adjust)  # the columns follow the dialog's width
        grid.setMovement(QtWidgets.QListView.Movement.Static)
        grid.setUniformItemSizes(True)
        grid.setWordWrap(True)
        grid.setSpacing(2)
        grid.setStyleSheet(GRID_STYLE)
        self.clear_button.setToolTip("Choose none: the dream amplifies every channel of the layer.")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.choice_line, 1)
        row.addWidget(self.clear_button)
        layout = QtWidgets.QVBoxLayout(self)
        for widget in (self.heading, self.about, self.progress_line, self.bar, self.problem):
            layout.addWidget(widget)
        layout.addWidget(grid, 1)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self.resize(8 * CELL.width() + 48, 4 * CELL.height() + 200)  # eight columns, four rows in view

    def _connect(self) -> None:
        self.grid.itemSelectionChanged.connect(self._selection_changed)
        self.clear_button.clicked.connect(self.grid.clearSelection)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.rounds.done.connect(self._round_done)
        self.rounds.failed.connect(self._round_failed)
        self.timer.setInterval(int(REFRESH_SECONDS * 1000))
        self.timer.timeout.connect(self._next_round)

    # -- the rounds -----------------------------------------------------------------------------------------------
    def _next_round(self) -> None:
        """What the picker needs next: a start (after a failed one), the ranking, or another look."""
        if not self.picker.states:
            self.rounds.start()
        elif not self.ranked:
            self.rounds.rank(self.region)
        elif not (self.picker.finished and self.rounds.unfetched() == 0):
            self.rounds.look()
        else:
            self.timer.stop()  # every picture made and shown: nothing more to ask

    def _round_done(self, kind: str, images: dict) -> None:
        if self.rounds.stopped:
            return
        self._say_problem("")
        self.ranked = self.ranked or kind == RANK
        if kind in (START, RANK):
            self._fill_grid()
        self._show_pictures(images)
        self._show_progress()
        self.timer.setInterval(int(REFRESH_SECONDS * 1000))
        if not self.timer.isActive():
            self.timer.start()
        if kind != LOOK or self.rounds.unfetched():
            QtCore.QTimer.singleShot(0, self._next_round)  # rank or fetch at once: no reason to wait a second

    def _round_failed(self, kind: str, message: str) -> None:
        if self.rounds.stopped:
            return
        if kind == RANK:  # the grid still works by number; the line says why it is not ordered
            self.ranked = True
            self.about.setText(f"{self.about.text()} The channels could not be ranked: {message}")
            QtCore.QTimer.singleShot(0, self._next_round)
            return
        self._say_problem(message)
        self.timer.setInterval(int(RETRY_SECONDS * 1000))  # tried again, less often, until the server answers
        if not self.timer.isActive():
            self.timer.start()

    def done(self, result: int) -> None:
        """OK, Cancel, Esc or the window's close button: no more asking, so the server's lease runs out."""
        self.timer.stop()
        self.rounds.stopped = True
        super().done(result)

    # -- what is shown --------------------------------------------------------------------------------------------
    def _fill_grid(self) -> None:
        """Every channel in the picker's order (strongest first once ranked), the choice selected."""
        blocked = self.grid.blockSignals(True)
        self.grid.clear()
        self.items, self.shown = {}, {}
        picker = self.picker
        for channel in picker.order:
            item = QtWidgets.QListWidgetItem(picker.label(channel))
            item.setData(CHANNEL, channel)
            item.setToolTip(picker.tooltip(channel))
            item.setTextAlignment(int(QtCore.Qt.AlignmentFlag.AlignHCenter | QtCore.Qt.AlignmentFlag.AlignTop))
            if picker.is_strong(channel):  # a strong channel stands out: bold, on a warm tint
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                item.setBackground(STRONG_BACKGROUND)
            self.grid.addItem(item)
            self.items[channel] = item
        for channel in picker.chosen:
            if channel in self.items:
                self.items[channel].setSelected(True)
        self.grid.blockSignals(blocked)
        self._show_pictures({})
        if picker.dreams:
            self.heading.setText(f"<b>{escape(picker.layer)}</b> of {escape(picker.model)} · {escape(picker.dreams)}")

    def _show_pictures(self, images: dict) -> None:
        """The pictures fetched in this round, and the placeholders of the others as their state changes."""
        self.images.update(images)
        picker = self.picker
        for channel, item in self.items.items():
            shows = "picture" if channel in self.images else picker.states.get(channel, "waiting")
            if self.shown.get(channel) != shows:
                pixmap = QtGui.QPixmap.fromImage(self.images[channel]) if shows == "picture" else placeholder(shows)
                item.setIcon(QtGui.QIcon(pixmap))
                self.shown[channel] = shows
            item.setToolTip(picker.tooltip(channel))

    def _show_progress(self) -> None:
        states = list(self.picker.states.values())
        made, total = states.count("made"), len(states)
        if self.picker.error:
            self._say_problem(f"The server could not make this layer's pictures: {self.picker.error}")
        if made < total:
            self.progress_line.setText(f"Making the pictures: {made} of {total} made…")
        else:
            self.progress_line.setText(f"All {total} pictures made.")
        self.bar.setValue(round(self.picker.progress * 1000))
        self.bar.setVisible(made < total and not self.picker.error)

    def _say_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    def _selection_changed(self) -> None:
        self.picker.choose([item.data(CHANNEL) for item in self.grid.selectedItems()])
        self._show_choice()

    def _show_choice(self) -> None:
        choice = self.picker.describe_choice()
        self.choice_line.setText(f"{choice}. Click to choose, Ctrl+click to choose several." if not self.picker.chosen
                                 else f"Chosen: {choice}")

    def chosen_pictures(self) -> dict[int, QtGui.QImage]:
        """The chosen channels' pictures as fetched (the knob shows them without asking again)."""
        return {channel: self.images[channel] for channel in self.picker.chosen if channel in self.images}
