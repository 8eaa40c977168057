"""Press keys in the window titled TITLE, as an artist would: ``python3 press_key.py TITLE KEY...``.

A KEY is an X key name, with modifiers before a "+" if any: Return, Escape, alt+h; or a click of the first mouse
button at a point of the screen, modifiers held likewise: click@120,300, ctrl+click@220,300. Runs beside GIMP under
Xvfb (no window manager), with only the standard library: libX11 finds the window among the screen's top-level
windows (waiting up to two minutes for it) and gives it the keyboard; libXtst presses the keys, a second apart.
Exits 0 once they are pressed, 1 if no such window appeared in time.
"""

import ctypes
import ctypes.util
import sys
import time

x11 = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")
xtst = ctypes.cdll.LoadLibrary(ctypes.util.find_library("Xtst") or "libXtst.so.6")
Window = ctypes.c_ulong
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
x11.XDefaultRootWindow.restype = Window
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XQueryTree.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(Window), ctypes.POINTER(Window),
                           ctypes.POINTER(ctypes.POINTER(Window)), ctypes.POINTER(ctypes.c_uint)]
x11.XFetchName.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(ctypes.c_char_p)]
x11.XSetInputFocus.argtypes = [ctypes.c_void_p, Window, ctypes.c_int, ctypes.c_ulong]
x11.XStringToKeysym.restype = ctypes.c_ulong
x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
x11.XKeysymToKeycode.restype = ctypes.c_ubyte
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XFlush.argtypes = [ctypes.c_void_p]
x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
REVERT_TO_PARENT = 2
MODIFIERS = {"alt": "Alt_L", "ctrl": "Control_L", "shift": "Shift_L"}


def find_window(display, title: str):
    root, parent = Window(), Window()
    children, count = ctypes.POINTER(Window)(), ctypes.c_uint()
    if not x11.XQueryTree(display, x11.XDefaultRootWindow(display), ctypes.byref(root), ctypes.byref(parent),
                          ctypes.byref(children), ctypes.byref(count)):
        return None
    for i in range(count.value):
        name = ctypes.c_char_p()
        if x11.XFetchName(display, children[i], ctypes.byref(name)) and name.value and name.value.decode() == title:
            return children[i]
    return None


def press(display, key: str) -> None:
    *modifiers, name = key.split("+")
    codes = [x11.XKeysymToKeycode(display, x11.XStringToKeysym(k.encode())) for k in [MODIFIERS[m.lower()] for m in modifiers]]
    for code in codes:
        xtst.XTestFakeKeyEvent(display, code, 1, 0)
    if name.startswith("click@"):  # the pointer there, the first button pressed and let go, modifiers held
        x, y = (int(v) for v in name.removeprefix("click@").split(","))
        xtst.XTestFakeMotionEvent(display, -1, x, y, 0)
        xtst.XTestFakeButtonEvent(display, 1, 1, 0)
        xtst.XTestFakeButtonEvent(display, 1, 0, 0)
    else:
        code = x11.XKeysymToKeycode(display, x11.XStringToKeysym(name.encode()))
        xtst.XTestFakeKeyEvent(display, code, 1, 0)
        xtst.XTestFakeKeyEvent(display, code, 0, 0)
    for code in reversed(codes):
        xtst.XTestFakeKeyEvent(display, code, 0, 0)
    x11.XFlush(display)


def main(title: str, keys: list[str], timeout: float = 120.0) -> int:
    display = x11.XOpenDisplay(None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        window = find_window(display, title)
        if window:
            for key in keys:
                time.sleep(1.0)  # let the dialog finish mapping (or answer the key before) first
                x11.XSetInputFocus(display, window, REVERT_TO_PARENT, 0)
                x11.XSync(display, 0)
                press(display, key)
            return 0
        time.sleep(0.2)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
