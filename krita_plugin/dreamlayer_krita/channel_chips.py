"""The chosen channels as small pictures beside the Channels knob, so a choice reads as what it dreams and not
only as numbers (the numbers stay in the knob's text).

``ChipPictures`` keeps the pictures by model, layer and channel: those the picker fetched are handed over when it
closes; others (a list typed by hand, a setting restored) are fetched off the GUI thread from the server's cache
of channel pictures. It never asks for the atlas itself (asking makes the server work); a picture not made yet
shows as a numbered grey chip until the picker makes it.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable

from dreamlayer_editor.protocol import ClientError, ServerUnavailable

from .qt import QObject, QtCore, QtGui, QtWidgets, pyqtSignal

CHIP = 22  # pixels: a chip's side
GAP = 2
MOST_CHIPS = 8  # then "+N"
CHIP_TIMEOUT = 5.0  # seconds: a chip is not worth a long wait on a far server
Key = tuple  # (model, layer, channel)


def picture_path(model: str, layer: str, channel: int) -> str:
    """A made channel picture's address on the server (``GET .../channels/{c}.png``, in the API's reference)."""
    quote = lambda text: urllib.parse.quote(text, safe="")  # noqa: E731
    return f"/v1/models/{quote(model)}/layers/{quote(layer)}/channels/{int(channel)}.png"


class ChipPictures(QObject):
    """Channel pictures for the chips; ``arrived`` after each fetch."""

    arrived = pyqtSignal()
    _fetched = pyqtSignal(object)  # {key: QImage, or None for not made yet / not reached}

    def __init__(self, link):
        super().__init__()
        self.link = link
        self.images: dict[Key, QtGui.QImage] = {}
        self.missing: set[Key] = set()  # asked for and not there: not asked again until ``forget_missing``
        self._busy, self._wanted = False, []
        self._fetched.connect(self._on_fetched)

    def keep(self, model: str, layer: str, images: dict[int, QtGui.QImage]) -> None:
        """Pictures the picker fetched."""
        for channel, image in images.items():
            self.images[(model, layer, channel)] = image
            self.missing.discard((model, layer, channel))
        self.arrived.emit()

    def forget_missing(self) -> None:
        """The server came (back), or the picker made more: look again for what was missing."""
        self.missing.clear()

    def want(self, keys: list[Key]) -> None:
        """Fetch these pictures in the background, unless kept or known to be missing."""
        todo = [key for key in keys if key not in self.images and key not in self.missing]
        if not todo:
            return
        if self._busy:
            self._wanted = todo  # after the fetch under way; only the latest wish counts
            return
        try:
            client = self.link.client()
        except ClientError:
            return  # no server chosen yet
        client.timeout = CHIP_TIMEOUT
        self._busy = True

        def work() -> None:
            results: dict[Key, QtGui.QImage | None] = {}
            for key in todo:
                try:
                    image = QtGui.QImage.fromData(client.picture_at(picture_path(*key)), "PNG")
                    results[key] = None if image.isNull() else image
                except ServerUnavailable:
                    results.update({k: None for k in todo if k not in results})  # no use asking for the rest
                    break
                except ClientError:  # not made yet (404), or a layer the model lacks
                    results[key] = None
            try:
                self._fetched.emit(results)
            except RuntimeError:  # the docker went while fetching
                pass

        threading.Thread(target=work, name="dreamlayer-chips", daemon=True).start()

    def _on_fetched(self, results: dict) -> None:
        self._busy = False
        for key, image in results.items():
            if image is None:
                self.missing.add(key)
            else:
                self.images[key] = image
        self.arrived.emit()
        wanted, self._wanted = self._wanted, []
        if wanted:
            self.want(wanted)


class ChannelChips(QtWidgets.QWidget):
    """A row of small pictures, one per chosen channel, as many as fit its width (at most MOST_CHIPS), then "+N".
    It asks for no width of its own, so it never widens the docker. Its pictures come from a ``ChipPictures``
    (``attach``), for the layer ``layer_of()`` names (the knobs' model and layer)."""

    def __init__(self):
        super().__init__()
        self.channels: list[int] = []
        self.images: dict[int, QtGui.QImage] = {}
        self.source: ChipPictures | None = None
        self.layer_of: Callable[[], tuple[str, str] | None] = lambda: None
        self.chips: list[QtWidgets.QLabel] = []
        self.more = QtWidgets.QLabel()
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(GAP)
        row.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)  # the chips follow the width given
        for _ in range(MOST_CHIPS):
            chip = QtWidgets.QLabel()
            chip.setFixedSize(CHIP, CHIP)
            self.chips.append(chip)
            row.addWidget(chip)
        row.addWidget(self.more)
        row.addStretch(1)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setMinimumSize(CHIP, CHIP)
        self.setFixedHeight(CHIP)

    def attach(self, source: ChipPictures, layer_of: Callable[[], tuple[str, str] | None]) -> None:
        self.source, self.layer_of = source, layer_of
        source.arrived.connect(self.refresh)  # a QWidget's slot: disconnected when a rebuild deletes the knob
        self.refresh()

    def set_channels(self, channels: list[int]) -> None:
        self.channels = list(channels)
        self.refresh()

    def refresh(self) -> None:
        """The pictures kept for the channels shown, the missing ones asked for (the model or layer may be new)."""
        where = self.layer_of()
        self.images = {}
        if where is not None and self.source is not None:
            keys = [(*where, channel) for channel in self.channels]
            self.images = {key[2]: self.source.images[key] for key in keys if key in self.source.images}
            self.source.want(keys)  # none when the knob is not listing numbers
        self._lay_out()

    def shown(self) -> list[int]:
        """The channels shown as chips now (the rest are counted in "+N")."""
        return [chip.property("channel") for chip in self.chips if not chip.isHidden()]

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._lay_out()

    def _lay_out(self) -> None:
        count = len(self.channels)
        room = self.width() or MOST_CHIPS * (CHIP + GAP)
        fit = min(MOST_CHIPS, count, max(1, room // (CHIP + GAP)))
        if fit < count:  # "+N" needs its own room
            fit = max(1, min(fit, (room - self.more.fontMetrics().horizontalAdvance(f"+{count}") - GAP) // (CHIP + GAP)))
        for index, chip in enumerate(self.chips):
            if index < fit:
                channel = self.channels[index]
                chip.setProperty("channel", channel)
                chip.setPixmap(self._pixmap(channel))
                chip.setToolTip(f"Channel {channel}" if channel in self.images else
                                f"Channel {channel}: its picture is not made yet (Pick… makes it).")
            chip.setVisible(index < fit)
        self.more.setText(f"+{count - fit}" if count > fit else "")
        self.more.setToolTip(", ".join(map(str, self.channels[fit:])))

    def _pixmap(self, channel: int) -> QtGui.QPixmap:
        image = self.images.get(channel)
        if image is not None:
            return QtGui.QPixmap.fromImage(image).scaled(CHIP, CHIP, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                                                         QtCore.Qt.TransformationMode.SmoothTransformation)
        pixmap = QtGui.QPixmap(CHIP, CHIP)  # not made yet: a grey chip with its number
        pixmap.fill(QtGui.QColor(70, 70, 76))
        painter = QtGui.QPainter(pixmap)
        font = painter.font()
        font.setPixelSize(9)
        painter.setFont(font)
        painter.setPen(QtGui.QColor(220, 220, 220))
        painter.drawText(pixmap.rect(), int(QtCore.Qt.AlignmentFlag.AlignCenter), str(channel))
        painter.end()
        return pixmap
