"""The small widgets the docker is made of: a section that folds, a preview that scales with its space; and how
its knobs behave in a narrow, scrolling docker (combos that never widen it, a wheel that scrolls, tooltips that
wrap)."""

from __future__ import annotations

import html

from .qt import QtCore, QtGui, QtWidgets, pyqtSignal

# A combo box asks for room for this many characters, whatever its longest item: a long network title is elided
# instead of widening the docker past its default width (about 250 px).
COMBO_CHARACTERS = 8


def wrapped(text: str) -> str:
    """A tooltip as rich text, which Qt wraps at a readable width (plain text stays one line, as wide as it is)."""
    return f"<qt>{html.escape(text)}</qt>" if text else ""


def wrap_tooltips(root: QtWidgets.QWidget) -> None:
    """Every plain tooltip under ``root`` (the docker's own and its knobs'), made to wrap."""
    for widget in [root, *root.findChildren(QtWidgets.QWidget)]:
        tip = widget.toolTip()
        if tip and not tip.startswith("<qt>"):
            widget.setToolTip(wrapped(tip))


class WheelScrollsTheDocker(QtCore.QObject):
    """The mouse wheel over a knob scrolls the docker, unless the knob was clicked first (has focus): scrolling
    through the docker must never change a value on the way."""

    def __init__(self, scroll: QtWidgets.QScrollArea):
        super().__init__(scroll)
        self.scroll = scroll

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QtCore.QEvent.Type.Wheel and not watched.hasFocus():
            QtWidgets.QApplication.sendEvent(self.scroll.verticalScrollBar(), event)
            return True
        return False

    def tame(self, root: QtWidgets.QWidget) -> None:
        """Every knob under ``root``: wheel events only once clicked, and combos that never widen the docker."""
        for kind in (QtWidgets.QAbstractSpinBox, QtWidgets.QComboBox, QtWidgets.QAbstractSlider):
            for widget in root.findChildren(kind):
                if widget.property("dreamlayer_tamed"):
                    continue
                widget.setProperty("dreamlayer_tamed", True)
                widget.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)  # the wheel alone gives no focus
                widget.installEventFilter(self)
                if isinstance(widget, QtWidgets.QComboBox):
                    widget.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                    widget.setMinimumContentsLength(COMBO_CHARACTERS)


class FoldingSection(QtWidgets.QWidget):
    """A header button that shows or hides the body below it (a checkable QToolButton: the same in Qt 5 and 6)."""

    toggled = pyqtSignal(bool)

    def __init__(self, title: str, opened: bool = False):
        super().__init__()
        self.button = QtWidgets.QToolButton()
        self.button.setText(title)
        self.button.setCheckable(True)
        self.button.setAutoRaise(True)
        self.button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        self.body = QtWidgets.QWidget()
        self.body_layout = QtWidgets.QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(12, 0, 0, 0)  # indented under its header
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.button)
        layout.addWidget(self.body)
        self.button.toggled.connect(self._show_body)
        self.button.setChecked(opened)
        self._show_body(opened)

    def set_open(self, opened: bool) -> None:
        self.button.setChecked(opened)

    def is_open(self) -> bool:
        return self.button.isChecked()

    def _show_body(self, opened: bool) -> None:
        self.body.setVisible(opened)
        self.button.setArrowType(QtCore.Qt.ArrowType.DownArrow if opened else QtCore.Qt.ArrowType.RightArrow)
        self.toggled.emit(opened)


class PreviewImage(QtWidgets.QWidget):
    """A picture drawn as large as the space the layout gives it, keeping its shape. It asks for no minimum size,
    so a short docker shrinks it instead of growing past the screen."""

    def __init__(self):
        super().__init__()
        self.image: QtGui.QImage | None = None
        policy = QtWidgets.QSizePolicy.Policy.Ignored
        self.setSizePolicy(policy, policy)

    def show_image(self, image: QtGui.QImage | None) -> None:
        self.image = image if image is not None and not image.isNull() else None
        self.update()

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(200, 150)

    def paintEvent(self, event) -> None:
        if self.image is None:
            return
        size = self.image.size().scaled(self.size(), QtCore.Qt.AspectRatioMode.KeepAspectRatio)
        target = QtCore.QRect((self.width() - size.width()) // 2, (self.height() - size.height()) // 2, size.width(), size.height())
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self.image)
        painter.end()


class LogView(QtWidgets.QDialog):
    """The end of a log file, in a window of its own that stays open beside Krita; Open the file hands the whole
    file to the system's viewer, Reload reads it again."""

    LINES = 400

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.path = ""
        self.text = QtWidgets.QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        reload, open_file = QtWidgets.QPushButton("Reload"), QtWidgets.QPushButton("Open the file")
        reload.clicked.connect(lambda: self.show_file(self.path))
        open_file.clicked.connect(lambda: QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(self.path)))
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(reload)
        buttons.addWidget(open_file)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self.resize(760, 480)

    def show_file(self, path: str) -> None:
        self.path = path
        self.setWindowTitle(f"dreamlayer: {path}")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()[-self.LINES:]
            text = "\n".join(lines) or "(the log is empty)"
        except OSError:
            text = (f"No log yet at {path}: the plugin has not started a dream server on this computer. "
                    "A server you started yourself writes its log where you told it to (`--log-file`).")
        self.text.setPlainText(text)
        self.text.moveCursor(QtGui.QTextCursor.MoveOperation.End)
        self.show()
        self.raise_()
