"""The channel picker: a window of the layer's channel pictures, opened by "Pick…" beside the dialog's Channels.

Each channel of the layer the dream would use shows the picture the server makes of what it dreams (made in the
background, between dreams, as long as the window keeps asking: ``GET .../atlas``), labelled with its number and,
once the active layer (or its selection) is ranked, its share of the layer's activation there, the strongest first
and the strong ones in bold. Click a picture to choose its channel, Ctrl+click to choose several; OK writes them
into the Channels field (``3,17,42``, what scripts pass too), Cancel changes nothing.

The model is ``dreamlayer_editor.atlas.ChannelPicker``, shared with Krita; ``atlas_follower`` asks the server for
it on a worker thread, so GIMP never freezes, and stops when the window closes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GdkPixbuf", "2.0")
gi.require_version("Gtk", "3.0")
from gi.repository import GdkPixbuf, Gimp, GLib, Gtk  # noqa: E402

from atlas_follower import AtlasFollower, Tick  # noqa: E402
from dreamlayer_editor.atlas import ChannelPicker  # noqa: E402
from dreamlayer_editor.description import DescriptionError  # noqa: E402
from gimp_dream import Region  # noqa: E402
from picker_inputs import CHANNELS, choice_text, dialog_connection, picked_layer, text_after_ok  # noqa: E402
from plugin_errors import DreamError  # noqa: E402
from procedure_forms import Form  # noqa: E402
from plugin_settings import PluginSettings  # noqa: E402
from server_connection import Connection  # noqa: E402

NAME = "dreamlayer-channel-picker"  # the window's widget name, which tests find it by
THUMBNAIL = 96  # pixels on screen: eight to a row in a window that fits a 1366×768 laptop beside GIMP
WINDOW_SIZE = (900, 640)
NOT_MADE = 0x3C3C3CFF  # the grey of a picture not made yet
HOW = "Click a picture to choose its channel, Ctrl+click to choose several; a double-click takes that one alone."


def open_picker(parent: Gtk.Window, config: Gimp.ProcedureConfig, form: Form, settings: PluginSettings,
                image: Gimp.Image | None = None, drawables: Sequence[Gimp.Drawable] = ()) -> PickerWindow | None:
    """The picker for the dialog's values, shown (modal, not blocking); OK writes ``config``'s channels. None, after
    saying why, when the dialog's values name no layer the picker can show."""
    args = form.values(config)
    try:
        picked = picked_layer(form, args)
        connection = dialog_connection(args, settings)
    except (DescriptionError, ValueError) as exc:  # a layer the network lacks; a Server URL that does not read
        _tell(parent, str(exc))
        return None
    region, hint = None, picked.note or "In channel order."
    if image is not None and len(drawables) == 1:
        try:  # the pixels a dream would send: the layer, or the selection's bounds with the selection as mask
            region = Region.from_layer(image, drawables[0])
            hint = picked.note
        except DreamError as exc:
            hint = f"In channel order: {exc}"
    elif image is not None:
        hint = "In channel order: select one layer to see its strongest channels first."
    where = "" if region is None else "the selection" if region.mask is not None else f"“{drawables[0].get_name()}”"
    every = next((k.setting.get("none_means") for k in form.knobs if k.name == CHANNELS), None) or "all"
    picker = ChannelPicker.for_setting(connection.client, picked.network, picked.name, picked.channels_text)
    return PickerWindow(parent, picker, connection, region, where, hint, picked.channels_text,
                        lambda text: config.set_property(CHANNELS, text), every)


class PickerWindow(Gtk.Dialog):
    def __init__(self, parent: Gtk.Window | None, picker: ChannelPicker, connection: Connection, region: Region | None,
                 where: str, hint: str, opened_with: str, apply: Callable[[str], None], every_channel: str):
        super().__init__(title=f"Channels of {picker.layer}", transient_for=parent, modal=True,
                         destroy_with_parent=True)
        self.set_name(NAME)
        self.picker, self.where, self.note = picker, where, hint
        self.opened_with, self.apply, self.every_channel = opened_with, apply, every_channel
        self.cells: dict[int, Cell] = {}
        self._positions: dict[int, int] = {}  # each channel's place in the grid: the picker's order
        self.add_button("_Cancel", Gtk.ResponseType.CANCEL)
        self.add_button("_OK", Gtk.ResponseType.OK)
        self.set_default_response(Gtk.ResponseType.OK)
        self.set_default_size(*WINDOW_SIZE)
        self._build()
        self.connect("response", self._on_response)
        self.show_all()
        self.error_label.hide()
        self.follower = AtlasFollower(picker, connection, region, self._on_tick, self._say)
        self.connect("destroy", lambda *_: self.follower.stop())

    def _build(self) -> None:
        area = self.get_content_area()
        area.set_spacing(6)
        area.set_border_width(8)
        self.title_label = Gtk.Label(xalign=0)
        self.hint_label = Gtk.Label(xalign=0, wrap=True)
        self.progress = Gtk.ProgressBar(show_text=True, text="Asking the dream server…")
        self.error_label = Gtk.Label(xalign=0, wrap=True, selectable=True)
        self.flowbox = Gtk.FlowBox(selection_mode=Gtk.SelectionMode.MULTIPLE, homogeneous=True, valign=Gtk.Align.START,
                                   min_children_per_line=4, max_children_per_line=16, column_spacing=4, row_spacing=4,
                                   activate_on_single_click=False)
        self.flowbox.set_sort_func(lambda a, b: self._positions.get(a.channel, 0) - self._positions.get(b.channel, 0))
        self.flowbox.connect("selected-children-changed", self._on_selection)
        # A double-click (or Return) chooses that channel alone, and is the OK.
        self.flowbox.connect("child-activated", lambda *_: self.response(Gtk.ResponseType.OK))
        scrolled = Gtk.ScrolledWindow(hscrollbar_policy=Gtk.PolicyType.NEVER, vexpand=True)
        scrolled.add(self.flowbox)
        self.choice_label = Gtk.Label(xalign=0, wrap=True, label=choice_text(self.picker, self.opened_with))
        for widget in (self.title_label, self.hint_label, self.progress, self.error_label):
            area.pack_start(widget, False, False, 0)
        area.pack_start(scrolled, True, True, 0)
        area.pack_start(self.choice_label, False, False, 0)
        self._describe()

    def _on_tick(self, tick: Tick) -> None:
        if tick.note:
            self.note = tick.note
        if tick.error is None:
            self._show(tick.new)
        error = tick.error or self.picker.error
        self.error_label.set_text(error or "")
        self.error_label.set_visible(error is not None)
        if error is not None:
            self.progress.hide()

    def _say(self, text: str) -> None:
        self.progress.set_text(text)
        self.progress.pulse()

    def _show(self, new: list[int]) -> None:
        if not self.cells:
            for channel in self.picker.order:
                self.cells[channel] = Cell(channel)
                self.flowbox.add(self.cells[channel])
            self.flowbox.show_all()
            for channel in list(self.picker.chosen):  # the channels the setting named, in the order it named them
                if channel in self.cells:
                    self.flowbox.select_child(self.cells[channel])
            self._on_selection(self.flowbox)  # channels the layer lacks are dropped from the choice
        self._positions = {c: i for i, c in enumerate(self.picker.order)}
        self.flowbox.invalidate_sort()
        for channel in new:
            self.cells[channel].show_picture(self.picker.pictures[channel])
        for cell in self.cells.values():
            cell.describe(self.picker)
        self._describe()

    def _describe(self) -> None:
        picker = self.picker
        about = f" · {picker.dreams}" if picker.dreams else ""
        self.title_label.set_markup(f"<b>{GLib.markup_escape_text(f'{picker.model} · {picker.layer}')}</b>"
                                    f"{GLib.markup_escape_text(about)}")
        ranked = f"Strongest on {self.where} first; bold: 5% or more of the layer's activation there." \
            if picker.ranking else ""
        self.hint_label.set_text(" ".join(filter(None, (ranked, self.note, HOW))))
        made = sum(1 for state in picker.states.values() if state == "made")
        if picker.states and not picker.finished:
            self.progress.show()
            self.progress.set_fraction(picker.progress)
            self.progress.set_text(f"Making the channels' pictures, between dreams: {made} of {len(picker.states)}")
        elif picker.finished:
            self.progress.hide()

    def _on_selection(self, flowbox: Gtk.FlowBox) -> None:
        self.picker.choose([child.channel for child in flowbox.get_selected_children()])
        self.choice_label.set_text(choice_text(self.picker, self.opened_with))

    def _on_response(self, _dialog: Gtk.Dialog, response: int) -> None:
        if response == Gtk.ResponseType.OK:
            text = text_after_ok(self.picker, self.opened_with, self.every_channel)
            if text is not None:
                self.apply(text)
        self.destroy()


class Cell(Gtk.FlowBoxChild):
    """One channel: its picture (grey until it is made) above its label."""

    def __init__(self, channel: int):
        super().__init__()
        self.channel = channel
        self.has_picture = False
        self._described: tuple[str, str] | None = None
        grey = GdkPixbuf.Pixbuf.new(GdkPixbuf.Colorspace.RGB, False, 8, THUMBNAIL, THUMBNAIL)
        grey.fill(NOT_MADE)
        self.image = Gtk.Image.new_from_pixbuf(grey)
        self.label = Gtk.Label()
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=2)
        box.pack_start(self.image, False, False, 0)
        box.pack_start(self.label, False, False, 0)
        self.add(box)

    def show_picture(self, png: bytes) -> None:
        loader = GdkPixbuf.PixbufLoader()
        try:
            loader.write(png)
            loader.close()
        except GLib.Error:
            return  # a damaged picture stays grey; its channel can still be chosen
        pixbuf = loader.get_pixbuf().scale_simple(THUMBNAIL, THUMBNAIL, GdkPixbuf.InterpType.BILINEAR)
        self.image.set_from_pixbuf(pixbuf)
        self.has_picture = True

    def describe(self, picker: ChannelPicker) -> None:
        """Its label and tooltip as the picker has them; untouched when unchanged (a tick a second, every cell)."""
        text = GLib.markup_escape_text(picker.label(self.channel))
        described = (f"<b>{text}</b>" if picker.is_strong(self.channel) else text, picker.tooltip(self.channel))
        if described != self._described:
            self.label.set_markup(described[0])
            self.set_tooltip_text(described[1])
            self._described = described


def _tell(parent: Gtk.Window, message: str) -> None:
    dialog = Gtk.MessageDialog(transient_for=parent, modal=True, message_type=Gtk.MessageType.WARNING,
                               buttons=Gtk.ButtonsType.CLOSE, text="The channels cannot be picked")
    dialog.format_secondary_text(message)
    dialog.run()
    dialog.destroy()
