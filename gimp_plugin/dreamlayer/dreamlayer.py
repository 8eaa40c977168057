#!/usr/bin/env python3
"""dreamlayer for GIMP 3: Filters > Artistic > DeepDream... dreams the layer (or selection) into a new layer (or
several variations into a new group), Filters > Animation > DeepDream Zoom... makes a zoom film as a new image, and
Filters > Animation > DeepDream Animation... dreams an image of frame layers into a new one.

The dreaming happens in a dream server: on this machine, the plug-in starts one when none answers and leaves it to
serve the next calls (``server_connection``). This file registers the three procedures, whose arguments come from
the settings description installed beside it (``procedure_forms``), and runs them: the dialog when interactive
(``gimp_dialog``), then the dream (``gimp_dream``), the zoom (``gimp_zoom``) or the animation
(``gimp_animation``). Every failure is a GIMP error message for the artist, never a traceback.
"""

import os
import random
import sys

import gi

gi.require_version("Gimp", "3.0")
from gi.repository import Gio, GLib, GObject, Gimp  # noqa: E402

PLUGIN_FOLDER = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, PLUGIN_FOLDER)
from dreamlayer_editor.protocol import ClientError  # noqa: E402
from plugin_errors import DreamError  # noqa: E402
from plugin_settings import PluginSettings  # noqa: E402
from procedure_forms import (  # noqa: E402
    FROM_NOISE, GUIDE, SERVER_PYTHON, SERVER_URL, TOKEN, Form, animation_form, dream_form, zoom_form,
)
from dreamlayer_editor.description import Description, DescriptionError  # noqa: E402

PROCEDURE = "python-fu-dreamlayer"
ZOOM_PROCEDURE = "python-fu-dreamlayer-zoom"
ANIMATION_PROCEDURE = "python-fu-dreamlayer-animation"
# The help pages (help/en/gimp-help.xml maps each procedure to its page), registered with GIMP's help system so
# that the dialogs' Help button opens them rather than GIMP's own manual.
HELP_DOMAIN = "dreamlayer"
HELP_FOLDER = os.path.join(PLUGIN_FOLDER, "help")
RW = GObject.ParamFlags.READWRITE
# Kept in the plug-in's settings file instead (plugin_settings): emptied in the config once read, so that GIMP's
# last used values (a plain-text file, and a parasite saved in the image's XCF) never hold the token.
KEPT_ELSEWHERE = (TOKEN, SERVER_PYTHON)
FILMS = Gimp.ProcedureSensitivityMask.DRAWABLE | Gimp.ProcedureSensitivityMask.DRAWABLES | \
    Gimp.ProcedureSensitivityMask.NO_DRAWABLES


class DreamlayerPlugIn(Gimp.PlugIn):
    def do_query_procedures(self):
        self.set_help_domain(HELP_DOMAIN, Gio.File.new_for_path(HELP_FOLDER))
        return [PROCEDURE, ZOOM_PROCEDURE, ANIMATION_PROCEDURE]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        if name == ZOOM_PROCEDURE:
            procedure = _procedure(self, name, self.run_zoom, "DeepDream Zoom...", "<Image>/Filters/Animation",
                                   Gimp.ProcedureSensitivityMask.DRAWABLE | Gimp.ProcedureSensitivityMask.NO_DRAWABLES,
                                   "A dream zoom film as a new image, one layer per frame",
                                   "Dreams, zooms in a little and dreams again, from the layer or from noise; the "
                                   "frames become the layers of a new image, ready for File > Export As GIF or WebP "
                                   "animation.")
            procedure.add_image_return_value("film", "Film", "The new image, one layer per frame", True, RW)
            return procedure
        if name == ANIMATION_PROCEDURE:
            procedure = _procedure(self, name, self.run_animation, "DeepDream Animation...",
                                   "<Image>/Filters/Animation", FILMS,
                                   "The image's frame layers dreamed, as a new image",
                                   "Dreams the image's layers as the frames of an animation (bottom to top), each "
                                   "carrying the last one's dream along with the motion; the dreamed frames become "
                                   "the layers of a new image, with the source layers' names and so their delays.")
            procedure.add_image_return_value("film", "Film", "The new image, one layer per frame", True, RW)
            return procedure
        return _procedure(self, name, self.run, "DeepDream...", "<Image>/Filters/Artistic",
                          Gimp.ProcedureSensitivityMask.DRAWABLE, "Dream the layer or selection into a new layer",
                          "Sends the layer (within the selection) to the dream server and adds the dream as a new "
                          "layer above it, or several variations in a new group.")

    # The run modules are imported when a procedure runs: GIMP also starts the plug-in at every start-up, only to
    # ask for its procedures.
    def run(self, procedure, run_mode, image, drawables, config, run_data):
        from gimp_dream import dream

        def work(form: Form, args: dict, connection):
            if len(drawables) != 1:
                raise DreamError("Select exactly one layer to dream on.")
            preset, settings = form.variation_settings(args, random.randint)
            dream(image, drawables[0], preset, settings, connection, guide=args[GUIDE])
            return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())

        return _guarded(procedure, run_mode, config, work, image, drawables)

    def run_zoom(self, procedure, run_mode, image, drawables, config, run_data):
        from gimp_zoom import zoom

        def work(form: Form, args: dict, connection):
            if not args[FROM_NOISE] and len(drawables) != 1:
                raise DreamError("Select exactly one layer to zoom into, or start from noise.")
            source = None if args[FROM_NOISE] else drawables[0]
            return _film_values(zoom(image, source, *form.zoom_settings(args), connection), run_mode)

        return _guarded(procedure, run_mode, config, work, image, drawables)

    def run_animation(self, procedure, run_mode, image, drawables, config, run_data):
        from gimp_animation import dream_animation

        def work(form: Form, args: dict, connection):
            return _film_values(dream_animation(image, *form.video_settings(args), connection), run_mode)

        return _guarded(procedure, run_mode, config, work, image, drawables)


def _film_values(film: Gimp.Image, run_mode) -> Gimp.ValueArray:
    if run_mode == Gimp.RunMode.INTERACTIVE:
        Gimp.Display.new(film)
    return Gimp.ValueArray.new_from_values([
        GObject.Value(Gimp.PDBStatusType, Gimp.PDBStatusType.SUCCESS), GObject.Value(Gimp.Image, film)])


def _forms() -> dict:
    """Each procedure's form, from the installed description (GIMP asks for them at start-up)."""
    description = Description.load(PLUGIN_FOLDER, "gimp")
    return {PROCEDURE: dream_form(description), ZOOM_PROCEDURE: zoom_form(description),
            ANIMATION_PROCEDURE: animation_form(description)}


def _procedure(plug_in, name, run, label, menu, sensitivity, blurb, help_text):
    procedure = Gimp.ImageProcedure.new(plug_in, name, Gimp.PDBProcType.PLUGIN, run, None)
    procedure.set_image_types("RGB*, GRAY*, INDEXED*")  # the others are told, in words, to switch to RGB
    procedure.set_sensitivity_mask(sensitivity)
    procedure.set_menu_label(label)
    procedure.add_menu_path(menu)
    procedure.set_documentation(blurb, help_text, name)  # the help id: gimp-help.xml maps it to a page
    procedure.set_attribution("dreamlayer", "dreamlayer", "2026")
    try:
        form = _forms()[name]
    except DreamError as exc:  # registered all the same, so that running it says how to reinstall
        print(f"dreamlayer: {exc}", file=sys.stderr)
        return procedure
    for argument in form.arguments:
        _add_argument(procedure, argument)
    return procedure


def _add_argument(procedure, a) -> None:
    if a.kind == "choice":
        choice = Gimp.Choice.new()
        for index, option in enumerate(a.options):
            choice.add(option.nick, index, option.label, option.help)
        procedure.add_choice_argument(a.name, a.label, a.blurb, choice, a.default, RW)
    elif a.kind == "int":
        procedure.add_int_argument(a.name, a.label, a.blurb, int(a.minimum), int(a.maximum), int(a.default), RW)
    elif a.kind == "double":
        procedure.add_double_argument(a.name, a.label, a.blurb, a.minimum, a.maximum, a.default, RW)
    elif a.kind == "boolean":
        procedure.add_boolean_argument(a.name, a.label, a.blurb, a.default, RW)
    elif a.kind == "drawable":
        procedure.add_drawable_argument(a.name, a.label, a.blurb, True, RW)  # None allowed: no guide
    else:
        procedure.add_string_argument(a.name, a.label, a.blurb, a.default, RW)


def _guarded(procedure, run_mode, config, work, image=None, drawables=()):
    """Every procedure's run: the dialog when interactive (its channel picker ranks the one drawable, if it is one),
    then ``work(form, args, connection)``, every failure a GIMP error."""
    try:
        form = _forms()[procedure.get_name()]
        if run_mode == Gimp.RunMode.INTERACTIVE:
            from gimp_dialog import run_dialog

            if not run_dialog(procedure, config, form, _settings(), image, drawables):
                return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
        args = form.values(config)
        for name in KEPT_ELSEWHERE:
            config.set_property(name, "")
        return work(form, args, _connection(args))
    except (DreamError, ClientError, DescriptionError) as exc:
        return _error(procedure, str(exc))
    except Exception as exc:  # noqa: BLE001 - a readable message, never a traceback dialog
        return _error(procedure, f"{procedure.get_menu_label().rstrip('.')} failed unexpectedly: {exc}")


def _settings() -> PluginSettings:
    return PluginSettings.in_gimp_folder(Gimp.directory())


def _connection(args: dict):
    from server_connection import Connection

    return Connection(args[SERVER_URL], _settings(), python=args[SERVER_PYTHON], token=args[TOKEN],
                      say=Gimp.progress_set_text, tell=Gimp.message)


def _error(procedure, message: str):
    Gimp.progress_end()
    return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR,
                                       GLib.Error.new_literal(Gimp.PlugIn.error_quark(), message, 0))


Gimp.main(DreamlayerPlugIn.__gtype__, sys.argv)
