"""The docker's Server section: which server (this computer, managed, or a server at a URL), what the managed one
runs on (device, port, the Python that runs it) or the URL's address and token, how the connection stands, and
Show log and Copy diagnostics.

Its header says the connection's state in a word ("Server: connected"), so it can stay folded; the details are
inside. It holds no settings of its own: ``values()`` says what it shows, in the docker state's names, and
``changed`` says when the artist has finished changing one (Enter, or leaving the field).
"""

from __future__ import annotations

from typing import Any

from .qt import QtWidgets, pyqtSignal
from .state import AT_URL, DEVICES, MANAGED
from .widgets import FoldingSection, wrapped

MODES = ((MANAGED, "This computer (managed)"), (AT_URL, "A server at this URL"))
DEVICE_NAMES = {"auto": "Automatic", "cuda": "CUDA (NVIDIA)", "mps": "MPS (Apple)", "cpu": "CPU"}
HEADER = {"connecting": "connecting...", "starting": "starting...", "connected": "connected",
          "not connected": "not connected"}


class ServerSection(FoldingSection):
    changed = pyqtSignal()

    def __init__(self, opened: bool):
        super().__init__("Server", opened)
        self._opened_for_a_problem = False  # opened by show_connection, not by the artist: folds when it is fixed
        self.mode, self.device, self.port = QtWidgets.QComboBox(), QtWidgets.QComboBox(), QtWidgets.QSpinBox()
        self.python, self.url, self.token = QtWidgets.QLineEdit(), QtWidgets.QLineEdit(), QtWidgets.QLineEdit()
        self.status = QtWidgets.QLabel()
        self.log_button, self.diagnostics_button = QtWidgets.QPushButton("Show log"), QtWidgets.QPushButton("Copy diagnostics")
        self.managed_fields, self.url_fields = QtWidgets.QWidget(), QtWidgets.QWidget()
        self._fill()
        self._lay_out()
        self.mode.currentIndexChanged.connect(lambda _index: (self._show_mode(), self.changed.emit()))
        self.device.currentIndexChanged.connect(lambda _index: self.changed.emit())
        for field in (self.port, self.python, self.url, self.token):
            field.editingFinished.connect(self.changed.emit)

    def _fill(self) -> None:
        for value, text in MODES:
            self.mode.addItem(text, value)
        self.mode.setToolTip("This computer: the plugin starts the dream server itself when nothing answers, and "
                             "stops it when Krita quits. A server at a URL: one you run yourself, here or elsewhere.")
        for device in DEVICES:
            self.device.addItem(DEVICE_NAMES.get(device, device), device)
        self.device.setToolTip("What the managed server dreams on; Automatic picks CUDA, then MPS, then the CPU.")
        self.port.setRange(1024, 65535)
        self.port.setToolTip("The managed server's port. A dreamlayer server you started on it yourself is used "
                             "as it is; pick another if a different program holds it.")
        self.python.setToolTip("The Python that runs the managed server (`dreamlayer install-plugin krita` "
                               "records the one it ran with).")
        self.url.setToolTip("Where a server you started (`dreamlayer serve`) listens.")
        self.token.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("none")
        self.token.setToolTip("Only for a server started with a token. Kept in Krita's data folder, sent as a "
                              "bearer token, never logged.")
        self.log_button.setToolTip("The managed server's log, which it writes in Krita's data folder.")
        self.diagnostics_button.setToolTip("Copy the versions, the server's address and device, and the last "
                                           "errors, for a bug report (never the token).")
        self.status.setWordWrap(True)

    def _lay_out(self) -> None:
        managed = QtWidgets.QFormLayout(self.managed_fields)
        managed.setContentsMargins(0, 0, 0, 0)
        managed.addRow("Device", self.device)
        managed.addRow("Port", self.port)
        managed.addRow("Python", self.python)
        at_url = QtWidgets.QFormLayout(self.url_fields)
        at_url.setContentsMargins(0, 0, 0, 0)
        at_url.addRow("Address", self.url)
        at_url.addRow("Token", self.token)
        form = QtWidgets.QFormLayout()
        form.addRow("Where", self.mode)
        self.body_layout.addLayout(form)
        self.body_layout.addWidget(self.managed_fields)
        self.body_layout.addWidget(self.url_fields)
        self.body_layout.addWidget(self.status)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.log_button)
        buttons.addWidget(self.diagnostics_button)
        self.body_layout.addLayout(buttons)

    def show_values(self, values: dict[str, Any]) -> None:
        """Show the docker state's server fields, without reporting them back as changes."""
        fields = (self.mode, self.device, self.port, self.python, self.url, self.token)
        blocked = [field.blockSignals(True) for field in fields]
        self.mode.setCurrentIndex(max(0, self.mode.findData(values["server_mode"])))
        self.device.setCurrentIndex(max(0, self.device.findData(values["managed_device"])))
        self.port.setValue(values["managed_port"])
        self.python.setText(values["server_python"])
        self.url.setText(values["server_url"])
        self.token.setText(values["token"])
        for field, was in zip(fields, blocked):
            field.blockSignals(was)
        self._show_mode()

    def values(self) -> dict[str, Any]:
        return {"server_mode": self.mode.currentData(), "managed_device": self.device.currentData(),
                "managed_port": self.port.value(), "server_python": self.python.text().strip(),
                "server_url": self.url.text().strip(), "token": self.token.text().strip()}

    def show_connection(self, state: str, text: str) -> None:
        """The connection's state in the header, the details inside; a problem opens the section, so that what
        to fix is in view, and it folds again once the server is back."""
        self.button.setText(f"Server: {HEADER.get(state, state)}")
        self.button.setToolTip(wrapped(text))
        self.status.setText(text)
        if state == "not connected" and not self.is_open():
            self.set_open(True)
            self._opened_for_a_problem = True
        elif state == "connected" and self._opened_for_a_problem:
            self.set_open(False)  # the problem is gone: fold what was opened for it (not what the artist opened)
        if state == "connected" or not self.is_open():
            self._opened_for_a_problem = False

    def _show_mode(self) -> None:
        managed = self.mode.currentData() == MANAGED
        self.managed_fields.setVisible(managed)
        self.url_fields.setVisible(not managed)
