"""dreamlayer for Krita: dream the active layer or selection into a new layer, through a local dreamlayer server.

Scripts (and Krita's Scripter) can call ``dreamlayer_krita.dream(document, node, **params)``: it runs the same path
as the Dream button (waiting its turn behind the docker's dreams), waits until the layer is added, and returns the
new node (or raises DreamError); ``zoom`` and ``animate`` do the same for films. A script
names only the settings it wants; the preset (classic unless it names another) gives the server the rest, whereas
the docker sends every knob's value.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from krita import DockWidgetFactory, DockWidgetFactoryBase, Krita

# The editor core (dreamlayer_editor) is installed inside this package, in lib/: Krita's "Import Python Plugin from
# File" keeps only the plugin's own folder. Put first, so the copy installed with this plugin is the one it runs.
_LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib")
if os.path.isdir(_LIB) and _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from .controller import controller
from .qt import process_events
from .task import DreamError

__all__ = ["DreamError", "animate", "dream", "zoom"]


def dream(document, node, server_url: str | None = None, **params: Any):
    """Dream ``node`` (inside the document's selection, if any) into a new layer above it; returns the new node."""
    return _wait(controller().dream(document, node, {"preset": "classic", **params}, server_url))


def zoom(document, node=None, server_url: str | None = None, **params: Any):
    """A zoom film of ``node`` (or of noise at the canvas size when None) as a new animated layer; returns it.

    ``params`` are the server's zoom fields (frames, zoom, rotate, steps_per_frame, fps...) and dream settings.
    """
    return _wait(controller().zoom(document, node, {"preset": "classic", **params}, server_url))


def animate(document, node, server_url: str | None = None, **params: Any):
    """The drawings of the animated ``node`` in the clip range, dreamed into a new animated layer above it (one
    dreamed frame per drawing, at its time); returns it. ``params`` are the server's video fields
    (steps_per_frame, blend, follow_motion, stabilize) and dream settings."""
    return _wait(controller().animate(document, node, {"preset": "classic", **params}, server_url))


def _wait(task):
    while not task.done:
        process_events()
        time.sleep(0.01)
    if task.error is not None:
        raise DreamError(task.error)
    return task.new_layer


def _register() -> None:
    from .docker import DreamDocker
    from .extension import DreamExtension

    app = Krita.instance()
    app.addExtension(DreamExtension(app))
    # Krita 5's bindings spell the enum value unscoped, Krita 6's scoped.
    right = getattr(DockWidgetFactoryBase, "DockRight", None) or DockWidgetFactoryBase.DockPosition.DockRight
    app.addDockWidgetFactory(DockWidgetFactory("dreamlayer_docker", right, DreamDocker))


_register()
