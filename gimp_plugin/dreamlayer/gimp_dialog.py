"""The procedures' dialog: GIMP's own ProcedureDialog, laid out by the form, showing the values that will run.

- On opening, every setting still "from the preset" (as on the first run) shows the preset's value; settings the
  artist changed before are remembered by GIMP and kept.
- Choosing another preset loads all of its values, so the dialog always shows what will run.
- Choosing another network greys out the layers it does not have; a layer that no longer fits becomes the
  network's default.
- A number that can be random or automatic is greyed out while its "Random ..." / "Automatic ..." box is on.
- Channels has a "Pick…" button beside it: the channel picker (``channel_picker``), a window of the layer's
  channel pictures; its OK writes the chosen channels' numbers into the field.
- The settings scroll when the dialog with its folds open would be taller than the screen.
- Preview (with one RGB layer to dream): GIMP's drawable preview beside the settings, showing a quick live dream
  of the part of the layer it frames while its box is on (``live_preview``); the image is never touched by it.
- Server: the token is typed hidden, and left empty it means the one kept for the server; the server's Python
  shows the one in the plug-in's settings file. Neither is kept in GIMP's last used values (see dreamlayer.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gimp, GimpUi, GObject, Gtk  # noqa: E402

from picker_inputs import CHANNELS  # noqa: E402
from plugin_settings import PluginSettings  # noqa: E402
from procedure_forms import PRESET, SERVER_PYTHON, TOKEN, VARIATIONS, Form  # noqa: E402
from setting_arguments import FROM_PRESET, NETWORK_DEFAULT, NumberKnob  # noqa: E402

if TYPE_CHECKING:
    from live_preview import LivePreview

LAYER, MODEL = "layer", "model"
CHANNELS_ROW = "channels-row"  # the Channels field with its "Pick…" button, side by side
PICK_BUTTON = "dreamlayer-pick-channels"  # the button's widget name, which tests find it by


def run_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig, form: Form, settings: PluginSettings,
               image: Gimp.Image | None = None, drawables: Sequence[Gimp.Drawable] = ()) -> bool:
    """Show the dialog until OK (True) or Cancel (False); the config then holds the values to run. ``image`` and
    ``drawables``: what the procedure runs on, for the channel picker to rank."""
    GimpUi.init(procedure.get_name())
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
    build_dialog(dialog, config, form, settings, image, drawables)
    accepted = dialog.run()
    dialog.destroy()  # the preview's live lane goes with it
    return accepted


def build_dialog(dialog: GimpUi.ProcedureDialog, config: Gimp.ProcedureConfig, form: Form,
                 settings: PluginSettings, image: Gimp.Image | None = None,
                 drawables: Sequence[Gimp.Drawable] = ()) -> LivePreview | None:
    """Fill the dialog and connect it to the config (separate from running it, so tests can look inside); the
    live preview, when the dream dialog has one RGB layer to show (else None)."""
    pick = _lay_out(dialog, form)
    if pick is not None:
        pick.connect("clicked", lambda _: _pick_channels(dialog, config, form, settings, image, drawables))
    _show(config, form.unset_arguments(form.values(config)))
    if not config.get_property(SERVER_PYTHON):
        config.set_property(SERVER_PYTHON, settings.server_python)
    shown = {name for section in form.sections for name in section.names}
    if TOKEN in shown:  # asking for a widget makes one, and GIMP wants a mnemonic for it even if never shown
        token = dialog.get_widget(TOKEN, GObject.TYPE_NONE).get_entry()
        token.set_visibility(False)
        token.set_placeholder_text("the kept token, if any")
    if _argument(form, MODEL) and _argument(form, LAYER):
        _grey_out_other_layers(dialog, config, form)
        config.connect(f"notify::{MODEL}", lambda *_: _grey_out_other_layers(dialog, config, form))
    config.connect(f"notify::{PRESET}", lambda *_: _show(config, form.preset_arguments(config.get_property(PRESET))))
    for knob in form.knobs:
        if isinstance(knob, NumberKnob) and knob.toggle and knob.name in shown:
            dialog.set_sensitive(knob.name, True, config, knob.toggle, True)
    if _argument(form, VARIATIONS) is None:  # the films' dialogs: a film has no quick preview
        return None
    return _add_preview(dialog, config, form, settings, image, drawables)


def _add_preview(dialog: GimpUi.ProcedureDialog, config: Gimp.ProcedureConfig, form: Form, settings: PluginSettings,
                 image: Gimp.Image | None, drawables: Sequence[Gimp.Drawable]) -> LivePreview | None:
    """The live preview, left of the settings (imported only now: it brings the live client and its threads)."""
    from live_preview import LivePreview, can_preview

    if not can_preview(image, drawables):
        return None
    preview = LivePreview(dialog, config, form, settings, image, drawables[0])
    area = dialog.get_content_area()
    row = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=12)
    preview.column.set_valign(Gtk.Align.START)
    row.pack_start(preview.column, False, False, 0)
    for child in area.get_children():
        area.remove(child)
        row.pack_start(child, True, True, 0)
    area.pack_start(row, True, True, 0)
    row.show_all()
    dialog.live_preview = preview  # found by tests of the dialog as the procedure runs it
    return preview


def _lay_out(dialog: GimpUi.ProcedureDialog, form: Form) -> Gtk.Button | None:
    """The main area first, then each titled section in a folded expander; the Channels field with its "Pick…"
    button (returned; None where the dialog has no room for Channels)."""
    arguments = {a.name: a for a in form.arguments}
    for section in form.sections:
        for name in section.names:
            _widget(dialog, arguments[name])
    pick = _channels_row(dialog) if any(CHANNELS in section.names for section in form.sections) else None
    top = []
    for section in form.sections:
        names = [CHANNELS_ROW if name == CHANNELS else name for name in section.names]
        if section.title is None:
            top += names
            continue
        dialog.fill_box(f"{section.id}-box", names)
        dialog.get_label(f"{section.id}-title", section.title, False, False)
        dialog.fill_expander(section.id, f"{section.id}-title", False, f"{section.id}-box")
        top.append(section.id)
    dialog.fill(top)
    _scroll_when_taller_than_the_screen(dialog)
    return pick


def _channels_row(dialog: GimpUi.ProcedureDialog) -> Gtk.Button:
    """The Channels field and, beside it, the button that opens the channel picker."""
    row = dialog.fill_box(CHANNELS_ROW, [CHANNELS])
    row.set_orientation(Gtk.Orientation.HORIZONTAL)
    row.set_spacing(6)
    field = dialog.get_widget(CHANNELS, GObject.TYPE_NONE)
    row.set_child_packing(field, True, True, 0, Gtk.PackType.START)
    button = Gtk.Button(label="Pick…", valign=Gtk.Align.CENTER, tooltip_text=(
        "Choose channels by their pictures: what each channel of the layer dreams, the strongest on this layer "
        "(or selection) first"))
    button.set_name(PICK_BUTTON)
    row.pack_start(button, False, False, 0)
    return button


def _pick_channels(dialog: GimpUi.ProcedureDialog, config: Gimp.ProcedureConfig, form: Form,
                   settings: PluginSettings, image: Gimp.Image | None, drawables: Sequence[Gimp.Drawable]) -> None:
    """Open the picker (imported only now: it brings GdkPixbuf and the threads); OK writes the Channels field."""
    from channel_picker import open_picker

    open_picker(dialog, config, form, settings, image, drawables)


# What the dialog's title bar, buttons and margins take besides its settings, and a screen's panels: the settings
# scroll in what is left of the screen's height, so the dialog fits a 1366×768 laptop with every fold open.
AROUND_THE_SETTINGS = 200


def _scroll_when_taller_than_the_screen(dialog: GimpUi.ProcedureDialog) -> None:
    """The settings in a scrolled window as tall as they are, up to what the screen has room for."""
    from gi.repository import Gdk

    area = dialog.get_content_area()
    children = area.get_children()
    if not children:
        return
    screen = Gdk.Screen.get_default()
    room = max(240, (screen.get_height() if screen is not None else 768) - AROUND_THE_SETTINGS)
    holder = Gtk.Box(orientation=Gtk.Orientation.VERTICAL)
    for child in children:
        expand, fill, padding, _ = area.query_child_packing(child)
        area.remove(child)
        holder.pack_start(child, expand, fill, padding)
    scrolled = Gtk.ScrolledWindow()
    scrolled.set_policy(Gtk.PolicyType.NEVER, Gtk.PolicyType.AUTOMATIC)
    scrolled.set_propagate_natural_height(True)
    scrolled.set_max_content_height(room)
    scrolled.add(holder)
    area.pack_start(scrolled, True, True, 0)
    scrolled.show_all()
    ok = dialog.get_widget_for_response(Gtk.ResponseType.OK)
    if ok is not None:  # Return runs the dream, as in GIMP's own dialogs, whatever the first setting is
        dialog.set_focus(ok)


def _widget(dialog: GimpUi.ProcedureDialog, argument) -> None:
    """Every choice as a drop-down list with its label (GIMP's radio buttons for short lists have a title that takes
    no mnemonic); numbers step by the setting's step; the rest as GIMP chooses."""
    kind = Gtk.ComboBox.__gtype__ if argument.kind == "choice" else GObject.TYPE_NONE
    widget = dialog.get_widget(argument.name, kind)
    if argument.step and isinstance(widget, GimpUi.LabelSpin):
        widget.set_digits(len(f"{argument.step:g}".partition(".")[2]))  # first: it resets the increments
        widget.set_increments(argument.step, min(argument.step * 10, argument.maximum - argument.minimum))


def _show(config: Gimp.ProcedureConfig, values: dict) -> None:
    """Set argument values on the config; the network before its layer, so the layer is checked against it."""
    for name in sorted(values, key=lambda n: n != MODEL):
        config.set_property(name, values[name])


def _grey_out_other_layers(dialog: GimpUi.ProcedureDialog, config: Gimp.ProcedureConfig, form: Form) -> None:
    """The layers the chosen network lacks are greyed out in this dialog's Layer list, and one of them chosen
    gives way to the network's default.

    On the list's widget, not on the argument's GimpChoice: that choice is the procedure's, shared by every dialog
    of the plug-in's process, and in GIMP 3.0.4 changing its sensitivity once an earlier dialog was gone crashed the
    process (a segfault, in about half the test runs that opened a second dialog)."""
    model = config.get_property(MODEL)
    if model == FROM_PRESET:
        model = form.description.preset_values(config.get_property(PRESET))[MODEL]
    fits = set(form.description.model_layers().get(model, ())) | {FROM_PRESET, NETWORK_DEFAULT}
    layers = dialog.get_widget(LAYER, Gtk.ComboBox.__gtype__)
    if isinstance(layers, GimpUi.Labeled):  # the list with its label (GimpLabelStringWidget): the list itself
        layers = layers.get_widget()
    layers.set_sensitivity(lambda nick, *_: nick in fits)
    if config.get_property(LAYER) not in fits:
        config.set_property(LAYER, NETWORK_DEFAULT)


def _argument(form: Form, name: str):
    return next((a for a in form.arguments if a.name == name), None)
