"""Where the Channels knob meets the channel picker and its chips: which layer's channels (the Network and
Features knobs'), which pixels rank them (the active layer, or the selection's bounding box with the selection as
mask, read as a dream reads them), and what OK does (the choice goes into the knob, as the artist's change).

The docker makes one ``ChannelChoice`` and attaches it to each Channels knob it builds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from krita import Krita

from dreamlayer_editor.atlas import ChannelPicker
from dreamlayer_editor.shorthand import ShorthandError, parse_layers

from .adapter import Region, read_region
from .channel_chips import ChipPictures
from .channel_picker import ChannelPickerDialog
from .network_knobs import ChannelsKnob
from .regions import UnsupportedDocument


def picked_layer(description, values: dict[str, Any]) -> tuple[str, str] | None:
    """(model, layer) whose channels the knob numbers: the Features knob's layer, its network's default when it
    is left to the network, the first layer of a mix; None when the knobs do not say (a mix that does not read)."""
    model = values.get("model") or ""
    try:
        layers = parse_layers(str(values.get("layer") or ""))
    except ShorthandError:
        return None
    if layers:
        return model, layers[0].layer
    info = description.model(model) if description is not None else None
    return (model, info["default_layer"]) if info else None


def ranking_source() -> tuple[Region | None, str]:
    """The active layer's pixels (inside the selection), and a line saying what the order means."""
    document = Krita.instance().activeDocument()
    if document is None:
        return None, "Open an image to see its strongest channels first; until then they are shown by number."
    node = document.activeNode()
    try:
        region = read_region(document, node)
    except UnsupportedDocument as exc:
        return None, f"{exc} Until then the channels are shown by number."
    where = "inside the selection" if region.mask is not None else "over the whole layer"
    return region, (f"Strongest first on the layer '{node.name()}' ({where}), each with its share of the "
                    "layer's activation there; the strong ones are tinted.")


class ChannelChoice:
    """The picker a Channels knob opens, and the pictures its chips show."""

    def __init__(self, parent, link, panel, say: Callable[[str], None]):
        self.parent, self.link, self.panel, self.say = parent, link, panel, say
        self.pictures = ChipPictures(link)
        self.dialog: ChannelPickerDialog | None = None

    def layer(self) -> tuple[str, str] | None:
        return picked_layer(self.panel.description, self.panel.values())

    def knob(self) -> ChannelsKnob | None:
        knob = self.panel.knobs.get("channels")
        return knob if isinstance(knob, ChannelsKnob) else None

    def attach(self) -> None:
        """The Channels knob the panel has just built: its chips and its Pick… button."""
        knob = self.knob()
        if knob is not None:
            knob.chips.attach(self.pictures, self.layer)
            knob.pick_button.clicked.connect(lambda: self.open())

    def knobs_changed(self, name: str) -> None:
        """Another network or layer: the chips show its pictures."""
        knob = self.knob()
        if knob is not None and name in ("model", "layer"):
            knob.chips.refresh()

    def server_changed(self, state: str) -> None:
        """A server that came (back) may have the pictures that were missing."""
        knob = self.knob()
        if state == "connected" and knob is not None:
            self.pictures.forget_missing()
            knob.chips.refresh()

    def open(self) -> ChannelPickerDialog | None:
        knob, where = self.knob(), self.layer()
        if knob is None:
            return None
        if where is None:
            self.say("The Features knob does not read as layers (block10, or block8=0.5,block10): mend it to pick channels.")
            return None
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.reject()  # one picker at a time
        region, about = ranking_source()
        layers = parse_layers(str(self.panel.values().get("layer") or ""))
        if len(layers) > 1:
            about += f" The Features knob mixes layers: these are {where[1]}'s channels; the numbers apply to each."
        picker = ChannelPicker.for_setting(None, where[0], where[1], knob.value())  # its client: once reached
        dialog = self.dialog = ChannelPickerDialog(self.link, picker, region, about, self.parent)
        dialog.accepted.connect(lambda: self._chosen(dialog, where))
        dialog.open()
        return dialog

    def _chosen(self, dialog: ChannelPickerDialog, where: tuple[str, str]) -> None:
        self.pictures.forget_missing()  # the picker made more while it was open
        self.pictures.keep(*where, dialog.chosen_pictures())
        knob = self.knob()  # the knob now: the knobs may have been built again while the picker was open
        if knob is not None:
            knob.choose(dialog.picker.channels_setting)
