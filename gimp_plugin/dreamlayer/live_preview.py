"""The dream dialog's Preview: a quick live dream of the layer (or selection), made again as the settings change.

A Python plug-in cannot watch the canvas while the artist paints, so GIMP's fast path lives in the dialog. The
preview is GIMP's own (``GimpProcedureDialog.get_drawable_preview``, the same in GIMP 3.0 and 3.2): the part of
the layer its frame shows, at 1:1, scrolled by dragging it; with a selection, it frames the selection. Its
"Preview" box is off when the dialog opens (asking may start a dream server); while it is on, ``live_pause``
seconds after the last change of a setting (or of the part shown) that part goes to the server's live lane for
this image (``preview_lane``: the newest ask wins, the older one stops), with the dialog's settings, the
selection as mask and the document's size: the server dreams it at the full dream's feature scale, with the live
dream's fewer scales and iterations, so it looks like that part of the full dream, made in a fraction of the time.

The preview never writes to the image: its dreams are drawn in the dialog only. Closing the dialog (OK, Cancel)
lets the server's lane go; OK then dreams at full quality as before. GIMP is only touched on its main loop.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gegl", "0.4")
gi.require_version("Gtk", "3.0")
from gi.repository import Gegl, Gimp, GimpUi, GLib, Gtk  # noqa: E402

from dreamlayer_editor.description import DescriptionError  # noqa: E402
from dreamlayer_editor.live import LiveResult  # noqa: E402
from dreamlayer_editor.protocol import RawImage, RawMask  # noqa: E402
from plugin_errors import DreamError  # noqa: E402
from plugin_settings import PluginSettings  # noqa: E402
from preview_lane import PreviewLane  # noqa: E402
from procedure_forms import GUIDE, SERVER_PYTHON, SERVER_URL, TOKEN, VARIATIONS, Form  # noqa: E402

NAME = "dreamlayer-preview"  # the preview's id in the dialog and its widget name, which tests find it by
# Settings the preview leaves out: the guide goes with full dreams only, and it shows one dream, not variations.
NOT_PREVIEWED = {GUIDE, VARIATIONS}
SERVER_SETTINGS = {SERVER_URL, TOKEN, SERVER_PYTHON}  # a change means another server: the lane starts again


class View(NamedTuple):
    """The part of the layer the preview shows: its box in the layer's own coordinates."""

    x: int
    y: int
    width: int
    height: int


def can_preview(image: Gimp.Image | None, drawables) -> bool:
    """A preview needs one RGB layer (not a group): what the dream itself takes."""
    return (image is not None and len(drawables) == 1 and isinstance(drawables[0], Gimp.Layer)
            and not drawables[0].is_group() and image.get_base_type() == Gimp.ImageBaseType.RGB)


class LivePreview:
    """GIMP's drawable preview in the dream dialog, fed with live dreams while its "Preview" box is on."""

    def __init__(self, dialog: GimpUi.ProcedureDialog, config: Gimp.ProcedureConfig, form: Form,
                 settings: PluginSettings, image: Gimp.Image, layer: Gimp.Layer):
        self.config, self.form, self.settings, self.image, self.layer = config, form, settings, image, layer
        self.pause_ms = int(float(form.description.live_default("live_pause", 0.25)) * 1000)
        # One lane per image and dialog.
        self.lane = PreviewLane(f"gimp-{os.getpid()}-{image.get_id()}", settings, self._show, self._fail,
                                lambda text: self._say(text, None))
        self.preview = dialog.get_drawable_preview(NAME, layer)
        self.toggle, self.status, self.error, self.column = self._build()
        self.shown: LiveResult | None = None  # the live dream drawn now
        self.dreams_shown = 0  # how many were drawn: tests wait on it
        self.closed = False
        self._asked: tuple | None = None  # what the newest ask was for: (view, params, pixels, mask)
        self._pause: int | None = None
        self.preview.connect("invalidated", lambda *_: self._changed())
        self.preview.connect("notify::update", lambda *_: self._on_toggled())
        self._watching = config.connect("notify", self._on_setting)  # the config outlives the dialog
        dialog.connect("destroy", lambda *_: self.close())

    def _build(self) -> tuple[Gtk.CheckButton, Gtk.Label, Gtk.Label, Gtk.Box]:
        """GIMP's preview with its box relabelled, and below it the lines that say what it does: in a column."""
        self.preview.set_name(NAME)
        self.preview.set_update(False)  # a dream server is only started once the artist asks for a preview
        self.preview.set_halign(Gtk.Align.START)
        toggle = next(w for w in self.preview.get_controls().get_children() if isinstance(w, Gtk.CheckButton))
        # "_Preview" would take P, the preset's letter; the dialog's letters are spoken for (see mnemonics.py).
        toggle.set_use_underline(False)
        toggle.set_label("Preview")
        toggle.set_focus_on_click(False)  # a click leaves the focus on OK, so that Return still dreams
        toggle.set_tooltip_text("A quick live dream of this part of the layer with these settings, made again as "
                                "they change. Drag the picture to see another part. OK makes the full dream.")
        # Shown only with something to say (the dialog's show_all passes them by); narrower than the preview, which
        # keeps its width whatever they say: a preview that grew would ask for another dream.
        status = Gtk.Label(xalign=0, wrap=True, max_width_chars=24, no_show_all=True)
        error = Gtk.Label(xalign=0, wrap=True, selectable=True, max_width_chars=24, no_show_all=True)
        column = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=4)
        for widget in (self.preview, status, error):
            column.pack_start(widget, False, False, 0)
        return toggle, status, error, column

    def close(self) -> None:
        """No more live dreams; the server lets the lane go."""
        if self.closed:
            return
        self.closed = True
        self._cancel_pause()
        self.config.disconnect(self._watching)
        self.lane.close()
        # Let GIMP's preview go now: its last unref saves its place through the PDB, which must still be there
        # (held until the plug-in exits, it logs criticals then).
        self.preview = self.toggle = self.column = None

    def busy(self) -> bool:
        """A live dream is asked for, and not drawn yet."""
        return self._pause is not None or self.lane.busy()

    def view(self) -> View:
        x, y = self.preview.get_position()
        return View(x, y, *self.preview.get_size())

    # -- asking ------------------------------------------------------------------------------------------------
    def _on_setting(self, _config, spec) -> None:
        if spec.name in SERVER_SETTINGS:
            self.lane.forget_server()
            self._asked = None
        if spec.name not in NOT_PREVIEWED:
            self._changed()

    def _on_toggled(self) -> None:
        if not self.preview.get_update():
            self._cancel_pause()
            self._say("", None)
        else:  # GIMP invalidates the preview as well: either way, one ask after the pause
            self._changed()

    def _changed(self) -> None:
        """Ask again once the settings have rested for the pause."""
        if self.closed or not self.preview.get_update():
            return
        self._cancel_pause()
        self._pause = GLib.timeout_add(self.pause_ms, self._ask)

    def _cancel_pause(self) -> None:
        if self._pause is not None:
            GLib.source_remove(self._pause)
            self._pause = None

    def _ask(self) -> bool:
        self._pause = None
        try:
            args = self.form.values(self.config)
            params = self.params(args)
            view = self.view()
            raw, mask = self.pixels(view)
        except (DescriptionError, DreamError, ValueError) as exc:
            self._say("", str(exc))
            return False
        asked = (view, params, raw, mask)
        if self.shown is not None and self.shown.tag == asked:
            self._draw(self.shown)  # GIMP redrew the layer (on a resize, or Preview off and on): nothing changed
            return False
        if asked == self._asked:
            return False  # its dream is on its way
        self._asked = asked
        _, off_x, off_y = self.layer.get_offsets()
        document = (self.image.get_width(), self.image.get_height())
        position = (max(off_x + view.x, 0), max(off_y + view.y, 0))
        # The tag: what was asked, so the answer is drawn only where it belongs and known again when nothing changed.
        self.lane.ask(args, raw, params, mask, document, position, tag=asked)
        return False

    def params(self, args: dict) -> dict:
        """The dream's settings for the dialog's values ``args``, seen at the full dream's feature scale: the part
        shown is small, so the server need not see it coarser, as it sees a whole canvas live (``live_size``)."""
        preset, settings = self.form.dream_settings(args)
        most = next((s.get("maximum") for s in self.form.description.live if s["name"] == "live_size"), None)
        if most is None:  # a server older than Live: the preview will say what it answers
            return {**settings, "preset": preset}
        long_side = max(self.image.get_width(), self.image.get_height())
        return {**settings, "preset": preset, "live_size": min(most, long_side)}

    def pixels(self, view: View) -> tuple[RawImage, RawMask | None]:
        """The part shown, as 8-bit RGB(A): what GIMP's preview draws (a preview needs no more depth), and the
        selection there as the mask, as the dream sends it."""
        alpha = self.layer.has_alpha()
        babl, layout = ("R'G'B'A u8", "RGBA") if alpha else ("R'G'B' u8", "RGB")
        box = Gegl.Rectangle.new(view.x, view.y, view.width, view.height)
        data = bytes(self.layer.get_buffer().get(box, 1.0, babl, Gegl.AbyssPolicy.CLAMP))
        mask = None
        if not Gimp.Selection.is_empty(self.image):
            _, off_x, off_y = self.layer.get_offsets()
            on_canvas = Gegl.Rectangle.new(off_x + view.x, off_y + view.y, view.width, view.height)
            selection = self.image.get_selection().get_buffer().get(on_canvas, 1.0, "Y u8", Gegl.AbyssPolicy.NONE)
            mask = RawMask(bytes(selection), "u8")
        return RawImage(view.width, view.height, data, layout, "u8"), mask

    # -- showing -----------------------------------------------------------------------------------------------
    def _fail(self, message: str) -> None:
        self._asked = None  # the same settings may be asked for again
        self._say("", message)

    def _show(self, result: LiveResult) -> None:
        """Draw the dream if it is of the part still shown (else a newer one is on its way) and Preview is on."""
        if self._draw(result):
            self.shown = result
            self.dreams_shown += 1
            if result.changed:  # else the server sent its last dream back: the words stay
                self._say(f"Live dream: {result.seconds:.2f} s on the server. OK makes the full dream.", None)

    def _draw(self, result: LiveResult) -> bool:
        """Into the preview's area: the server has already kept the layer outside the selection, as the full dream's
        mask will. (GimpDrawablePreview.draw_buffer would blend it with the selection again, and GIMP 3.0 puts
        that blend in the wrong place.)"""
        data = result.image.data if isinstance(result.image, RawImage) else result.image
        view = result.tag[0]
        kind, bpp = (Gimp.ImageType.RGBA_IMAGE, 4) if self.layer.has_alpha() else (Gimp.ImageType.RGB_IMAGE, 3)
        if not self.preview.get_update() or view != self.view() or len(data) != view.width * view.height * bpp:
            return False
        self.preview.get_area().draw(0, 0, view.width, view.height, kind, data, view.width * bpp)
        return True

    def _say(self, status: str, error: str | None) -> None:
        if self.closed:
            return
        self.status.set_text(status)
        self.status.set_visible(bool(status))
        self.error.set_text(error or "")
        self.error.set_visible(error is not None)

