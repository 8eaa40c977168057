"""The docker's Live buttons, beside the progress bar: the Live switch (a checkable button, also toggled by the
"Live dream" action, Ctrl+Alt+L) and Keep. The switch shows the controller's LiveWatch, which holds whether Live is
on; presses go there.
"""

from __future__ import annotations

from .qt import QtWidgets


class LiveButtons(QtWidgets.QWidget):
    def __init__(self, ctl):
        super().__init__()
        self.ctl = ctl
        self.live_button = QtWidgets.QPushButton("Live")
        self.live_button.setCheckable(True)
        self.live_button.setToolTip(
            "Live Dream (Ctrl+Alt+L): while on, a 'Live dream' layer right above the active paint layer shows a quick "
            "dream of it (inside the selection, if any) each time you stop painting for a moment. It is never saved as "
            "a dream and Ctrl+Z never undoes it; turning Live off removes it.")
        self.keep_button = QtWidgets.QPushButton("Keep")
        self.keep_button.setToolTip("Keep what Live shows: a full dream of the layer with the same settings (and the "
                                    "live dream's seed when Seed is random), as a new dream layer; undo removes it.")
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        for button in (self.live_button, self.keep_button):
            button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
            row.addWidget(button)
        self.live_button.toggled.connect(ctl.live.set_on)
        self.keep_button.clicked.connect(lambda: ctl.keep_live())
        ctl.live.switched.connect(self.show_switch)
        self.show_switch(ctl.live.on)

    def show_switch(self, on: bool) -> None:
        """Live as the controller has it (the action may have switched it)."""
        blocked = self.live_button.blockSignals(True)
        self.live_button.setChecked(on)
        self.live_button.blockSignals(blocked)
        self.keep_button.setEnabled(on)
