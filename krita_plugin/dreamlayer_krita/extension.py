"""Krita's entry points: the Dream and Cancel actions (in Tools > Scripts, shortcut-configurable)."""

from __future__ import annotations

from krita import Extension

from .controller import controller


class DreamExtension(Extension):
    def setup(self) -> None:
        pass

    def createActions(self, window) -> None:
        dream = window.createAction("dreamlayer_dream", "Dream (dreamlayer)", "tools/scripts")
        dream.triggered.connect(lambda: controller().dream_active())
        cancel = window.createAction("dreamlayer_cancel", "Cancel dream (dreamlayer)", "tools/scripts")
        cancel.triggered.connect(lambda: controller().cancel())
