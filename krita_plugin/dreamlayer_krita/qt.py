"""The Qt binding Krita itself runs on: PyQt5 in Krita 5, PyQt6 in Krita 6.

Krita refuses an import of the other binding (importAvoidWrongPyQtHack raises ModuleNotFoundError), so the
choice follows Krita's major version rather than trying imports. Every module imports Qt from here.
"""

from krita import Krita

KRITA_VERSION = Krita.instance().version()
QT6 = int(KRITA_VERSION.split(".")[0]) >= 6

if QT6:
    from PyQt6 import QtCore, QtGui, QtWidgets  # noqa: F401
    from PyQt6.QtCore import QObject, pyqtSignal  # noqa: F401
else:
    from PyQt5 import QtCore, QtGui, QtWidgets  # type: ignore[no-redef]  # noqa: F401
    from PyQt5.QtCore import QObject, pyqtSignal  # type: ignore[no-redef]  # noqa: F401


def app_data_dir() -> str:
    """Krita's per-user data folder (outside pykrita, so plugin updates keep what is stored there)."""
    location = QtCore.QStandardPaths.StandardLocation.AppDataLocation
    return QtCore.QStandardPaths.writableLocation(location)


def process_events() -> None:
    QtCore.QCoreApplication.processEvents()
