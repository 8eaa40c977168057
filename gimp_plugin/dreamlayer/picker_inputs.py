"""What the channel picker (``channel_picker``) works on, read from the dialog's values, and what its OK writes back.

Plain Python, no GIMP (the window itself is GTK):

- the layer whose channels it shows: the one the dialog would dream with (the preset's, the network's default, or
  the chosen one). A layer mix numbers its channels in each of its layers alike, so the picker shows its heaviest
  layer's and says so;
- the server it asks: the dialog's Server URL, with the token typed there (or the kept one). Nothing is written to
  the plug-in's settings file from here: that waits for the dream itself, so the dialog's Cancel still keeps nothing;
- the Channels text OK writes: the channels chosen (``3,17,42``, what scripts pass too). With none chosen, "all"
  where the picker opened on a list (the artist un-chose them), and otherwise the field as it was: a
  ``strongest:N`` or the preset's channels are no list of pictures to un-choose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from dreamlayer_editor.atlas import ChannelPicker
from dreamlayer_editor.description import DescriptionError
from dreamlayer_editor.shorthand import ShorthandError, parse_channels, parse_layers
from procedure_forms import SERVER_URL, TOKEN, Form
from server_connection import FORGET_TOKEN, Connection
from plugin_settings import PluginSettings

CHANNELS = "channels"


class PickedLayer(NamedTuple):
    network: str
    name: str  # the layer's
    note: str  # for the artist, when the layer shown is not all the dream uses ("" otherwise)
    channels_text: str  # the Channels setting as the dream would run it (the preset's when the field is empty)


def picked_layer(form: Form, args: Mapping[str, Any]) -> PickedLayer:
    """The network and the one layer whose channels the picker shows, for the dialog's values ``args``. A layer
    the network lacks raises DescriptionError, with the message the dream would give."""
    _, settings = form.dream_settings(args)
    model = settings["model"]
    layers = parse_layers(settings["layer"])
    if not layers:
        found = form.description.model(model)
        if found is None or not found.get("default_layer"):
            raise DescriptionError(f"The network '{model}' is not one this plug-in knows; reinstall the plug-in.")
        return PickedLayer(model, found["default_layer"], "", settings[CHANNELS])
    heaviest = max(layers, key=lambda lw: lw.weight)
    note = ""
    if len(layers) > 1:
        note = (f"The layer mix dreams with {len(layers)} layers, and the channels you choose count in each of them; "
                f"these are {heaviest.layer}'s pictures.")
    return PickedLayer(model, heaviest.layer, note, settings[CHANNELS])


def dialog_connection(args: Mapping[str, Any], settings: PluginSettings) -> Connection:
    """The server the dialog names, as the dream will reach it (starting the managed one if need be); the token
    typed in the dialog is used without being kept."""
    connection = Connection(args[SERVER_URL], settings)
    typed = (args[TOKEN] or "").strip()
    if typed == FORGET_TOKEN:
        connection.client.token = None
    elif typed:
        connection.client.token = typed
    return connection


def opened_on_a_list(channels: str) -> bool:
    """Whether the Channels setting names channels (``3,17``), rather than all, the preset's or ``strongest:N``."""
    try:
        choice = parse_channels(channels)
    except ShorthandError:
        return False
    return choice is not None and not choice.strongest


def text_after_ok(picker: ChannelPicker, opened_with: str, every_channel: str) -> str | None:
    """What OK writes into the Channels field (``every_channel`` is its word for all: "all"), or None to leave it."""
    if picker.chosen:
        return picker.channels_setting
    return every_channel if opened_on_a_list(opened_with) else None


def choice_text(picker: ChannelPicker, opened_with: str) -> str:
    """The line under the pictures: what OK will do."""
    if picker.chosen or not opened_with.strip() or opened_on_a_list(opened_with):  # "" is every channel too
        return f"OK: {picker.describe_choice()}"
    return f"None chosen: OK keeps “{opened_with.strip()}”"
