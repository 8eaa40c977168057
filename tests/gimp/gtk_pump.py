"""What the interface runs inside GIMP share (picker_cases.py, preview_cases.py): letting GTK run while the test
waits, and keys pressed and clicks made in a window by press_key.py, in a process of its own, while GTK runs."""

import os
import subprocess
import sys
import time

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gtk  # noqa: E402

SETTLE_SECONDS = 0.5  # after the last key: what it did is drawn


def pump(seconds=0.0):
    """GTK's pending events, and on for ``seconds``."""
    end = time.monotonic() + seconds
    while True:
        while Gtk.events_pending():
            Gtk.main_iteration()
        if time.monotonic() >= end:
            return
        time.sleep(0.02)


def press(title, keys, timeout=60):
    """``keys`` pressed in the window titled ``title`` while GTK goes on running here; whether they all were."""
    presser = subprocess.Popen([sys.executable, os.environ["DREAMLAYER_TEST_KEYS"], title, *keys])
    end = time.monotonic() + timeout
    while presser.poll() is None and time.monotonic() < end:
        pump(0.05)
    if presser.poll() is None:
        presser.kill()
        return False
    pump(SETTLE_SECONDS)
    return presser.returncode == 0
