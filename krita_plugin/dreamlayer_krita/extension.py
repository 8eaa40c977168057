"""Krita's entry points: the Dream, Dream again, Vary, Zoom, Dream the animation, Cancel and Live dream actions (in
Tools > Scripts, shortcut-configurable; Live dream has Ctrl+Alt+L)."""

from __future__ import annotations

from krita import Extension

from .controller import controller


class DreamExtension(Extension):
    def setup(self) -> None:
        pass

    def createActions(self, window) -> None:
        dream = window.createAction("dreamlayer_dream", "Dream (dreamlayer)", "tools/scripts")
        dream.triggered.connect(lambda: controller().dream_active())
        again = window.createAction("dreamlayer_dream_again", "Dream again (dreamlayer)", "tools/scripts")
        again.triggered.connect(lambda: controller().dream_again_active())
        vary = window.createAction("dreamlayer_vary", "Vary the dream (dreamlayer)", "tools/scripts")
        vary.triggered.connect(lambda: controller().dream_again_active(vary=True))
        zoom = window.createAction("dreamlayer_zoom", "Zoom film of the layer (dreamlayer)", "tools/scripts")
        zoom.triggered.connect(lambda: controller().zoom_active())
        noise = window.createAction("dreamlayer_zoom_noise", "Zoom film from noise (dreamlayer)", "tools/scripts")
        noise.triggered.connect(lambda: controller().zoom_active(from_noise=True))
        animate = window.createAction("dreamlayer_dream_animation", "Dream the animation (dreamlayer)", "tools/scripts")
        animate.triggered.connect(lambda: controller().animate_active())
        cancel = window.createAction("dreamlayer_cancel", "Cancel dream (dreamlayer)", "tools/scripts")
        cancel.triggered.connect(lambda: controller().cancel())
        live = window.createAction("dreamlayer_live", "Live dream on/off (dreamlayer)", "tools/scripts")
        live.triggered.connect(lambda: controller().live.toggle())  # the docker's Live switch follows
