"""The docker's layout on an artist's screen: Krita maximised (1600×1000 or 1366×768) with its default dockers and
ours, the knobs as they open by default and with every section open. What is measured (test_krita.py judges it):

- widgets cut off: every visible widget inside the knobs' scroll area must lie inside its viewport's width (the
  scroll area has no horizontal scroll bar, so anything wider is clipped), and the docker's own widgets inside it;
- the knob area's share of the docker's height, and how many knob rows show at once (scrolled to the top);
- knobs out of reach: each knob, scrolled to, must then lie inside the viewport;
- a screenshot of the window and one of the docker.
"""

import base64
import os

from docker_cases import connect_docker, settle


def layout_case(krita, server):
    from dreamlayer_krita.qt import QtCore

    docker = connect_docker(krita, server)
    qwindow = krita.activeWindow().qwindow()
    qwindow.showMaximized()
    qwindow.setGeometry(qwindow.screen().availableGeometry())  # Xvfb has no window manager to maximise it
    doc = krita.openDocument(os.path.join(os.environ["DREAMLAYER_TEST_CASES"], "chelsea.png"))
    krita.activeWindow().showView(krita.activeWindow().addView(doc))
    doc.waitForDone()
    settle(1.0)
    screen = qwindow.screen().availableGeometry()
    out = {"screen": [screen.width(), screen.height()], "as_opened": measure(docker, QtCore)}
    folds = [*docker.panel.sections.values(), docker.server]
    for fold in folds:
        fold.set_open(True)
    settle(1.0)
    out["every_section_open"] = measure(docker, QtCore)
    out["wheel"] = wheel_over_a_knob(docker)
    out["window_png"], out["docker_png"] = shot(qwindow), shot(docker)
    for fold in folds:
        fold.set_open(False)
    return out


def measure(docker, QtCore):
    scroll, viewport = docker.scroll, docker.scroll.viewport()
    content = scroll.widget()
    scroll.verticalScrollBar().setValue(0)
    settle(0.3)

    def box(widget, within):
        corner = widget.mapTo(within, QtCore.QPoint(0, 0))
        return corner.x(), corner.y(), corner.x() + widget.width(), corner.y() + widget.height()

    inner = [w for w in content.findChildren(QtCore.QObject) if hasattr(w, "isVisibleTo") and w.isVisibleTo(content)
             and w.width() > 0]
    clipped = sorted({_name(w) for w in inner if box(w, content)[2] > viewport.width() + 1})
    root = docker.widget()
    outer = [docker.dream_button, docker.again_button, docker.vary_button, docker.cancel_button, docker.bar,
             docker.message, docker.panel.preset, docker.variations]
    clipped += [_name(w) for w in outer if w.isVisible() and box(w, root)[2] > root.width() + 1]
    knobs = [knob.widget for knob in docker.panel.knobs.values()] + [row.widget for row in docker.panel.extra_rows]
    rows = [w for w in knobs if w.isVisibleTo(content)]  # every row of knobs, Variations and Guide too
    shown = [w for w in rows if 0 <= box(w, viewport)[1] and box(w, viewport)[3] <= viewport.height()]
    unreachable = []
    bar = scroll.verticalScrollBar()
    for widget in rows:  # scrolled so that its bottom is at the viewport's: then it must be in view
        top_in_content = box(widget, content)[1]
        bar.setValue(max(0, top_in_content + widget.height() - viewport.height()))
        settle(0.05)
        top, bottom = box(widget, viewport)[1], box(widget, viewport)[3]
        if top < 0 or bottom > viewport.height():
            unreachable.append([_name(widget), top, bottom, bar.value(), bar.maximum(), content.height()])
    scroll.verticalScrollBar().setValue(0)
    return {"docker": [root.width(), root.height()], "viewport": [viewport.width(), viewport.height()],
            "clipped": clipped, "rows_in_view": len(shown), "rows": len(rows), "unreachable": unreachable,
            "preview_height": docker.preview.height()}


def wheel_over_a_knob(docker):
    """The mouse wheel turned down over the Iterations knob, first without clicking it, then once it has the focus:
    what the knob's value and the docker's scroll position were before and after each."""
    from dreamlayer_krita.qt import QtCore, QtGui, QtWidgets

    spin, bar = docker.panel.knobs["steps"].widget, docker.scroll.verticalScrollBar()
    bar.setValue(0)  # Iterations is among the first rows: in view, with room to scroll down
    settle(0.2)

    def turn():
        centre = QtCore.QPointF(spin.width() / 2, spin.height() / 2)
        event = QtGui.QWheelEvent(centre, QtCore.QPointF(spin.mapToGlobal(centre.toPoint())), QtCore.QPoint(0, 0),
                                  QtCore.QPoint(0, -120), QtCore.Qt.MouseButton.NoButton,
                                  QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False)
        before = [spin.value(), bar.value()]
        QtWidgets.QApplication.sendEvent(spin, event)
        settle(0.2)
        return {"value": [before[0], spin.value()], "scroll": [before[1], bar.value()], "focused": spin.hasFocus()}

    spin.clearFocus()
    unfocused = turn()
    docker.activateWindow()
    spin.setFocus(QtCore.Qt.FocusReason.MouseFocusReason)
    settle(0.2)
    focused = turn()
    spin.clearFocus()
    return {"unfocused": unfocused, "focused": focused, "scroll_maximum": bar.maximum()}


def _name(widget):
    label = widget.text() if hasattr(widget, "text") and isinstance(widget.text(), str) else ""
    return f"{type(widget).__name__}:{label[:30]}"


def shot(widget):
    path = os.path.join(os.environ["DREAMLAYER_TEST_CASES"], "shot.png")
    widget.grab().save(path, "PNG")
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()
