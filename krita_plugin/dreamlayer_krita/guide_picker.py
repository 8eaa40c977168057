"""The docker's guide picker: any layer of the active image whose picture the dream reaches for, or none.

It lists the layers when it opens (and when the artist switches images), so the list is never stale; the pick is
a layer's uniqueId, which stays right when layers move or are renamed. A pick whose layer is gone falls back to
none. Only the layer is picked: how strongly it guides is the Guide strength knob.
"""

from __future__ import annotations

from krita import Krita

from .qt import QtWidgets, pyqtSignal
from .records import node_id

NONE = "none"


class GuidePicker(QtWidgets.QComboBox):
    picked = pyqtSignal(object)  # the layer's uniqueId, or None

    def __init__(self):
        super().__init__()
        self.setToolTip("A layer of this image whose features the dream reaches for (how strongly: Guide "
                        "strength). None: the dream amplifies what the network sees in the layer itself.")
        self.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)
        self.refresh()
        self.currentIndexChanged.connect(lambda _index: self.picked.emit(self.currentData()))

    def showPopup(self) -> None:
        self.refresh()
        super().showPopup()

    def refresh(self) -> None:
        """List the active image's layers, top first, indented under their groups; keep the pick if it is there."""
        chosen = self.currentData()
        blocked = self.blockSignals(True)
        self.clear()
        self.addItem(NONE, None)
        document = Krita.instance().activeDocument()
        if document is not None:
            for depth, node in _layers(document.rootNode()):
                self.addItem("    " * depth + node.name(), node_id(node))
        index = self.findData(chosen) if chosen is not None else 0
        self.setCurrentIndex(max(0, index))
        self.blockSignals(blocked)
        if chosen is not None and index < 0:
            self.picked.emit(None)  # its layer is gone


def _layers(parent, depth: int = 0):
    """(depth, node) for every layer under ``parent``, as the Layers docker lists them: the top one first."""
    for node in reversed(parent.childNodes()):
        if not node.type().endswith("layer"):
            continue  # a mask: not a picture of its own
        yield depth, node
        yield from _layers(node, depth + 1)
