"""The managed server, inside real Krita, through the docker: a port held by another program named clearly; Dream
starting the server and the dream landing; the server killed (noticed by the docker's watch, started again by
Dream) and killed mid-dream (the dream sent again); a server started by hand used, and the plugin's own stopped;
Show log and Copy diagnostics. Krita then quits with File > Quit, and test_krita.py looks at what is left.
Imported by krita_cases.py; stdlib and Krita's Qt only."""

import os
import signal
import time

from batch_cases import pressed, quick_knobs
from docker_cases import picture_document, the_docker, wait_for_all, wait_until

SEEN = []  # every (state, text) the connection said, in order


def listen(ctl):
    if not SEEN:
        ctl.connection.changed.connect(lambda state, text: SEEN.append((state, text)))


def port_taken_case(krita, server):
    """The docker opens with the managed port held by another program: it says so, naming the port; Dream too,
    and the image is left as it was."""
    from dreamlayer_krita.controller import controller

    port = int(os.environ["DREAMLAYER_TEST_OTHER_PORT"])
    listen(controller())
    docker = the_docker(krita)
    wait_until(lambda: docker.server.button.text() == "Server: not connected", 30, "the docker to find the port taken")
    status = docker.server.status.text()
    doc, source = yield from picture_document(krita, "taken")
    count = len(doc.rootNode().childNodes())
    task = pressed(docker, docker.dream_button)[0]
    wait_for_all(docker)
    return {"port": port, "status": status, "open": docker.server.is_open(), "error": task.error,
            "message": docker.message.text(), "layers_added": len(doc.rootNode().childNodes()) - count,
            "started": controller().connection.link.started_here()}


def managed_dream_case(krita, server):
    """A free port typed into the docker, then Dream at once: the docker says it is starting the server, the
    server starts (with Krita's process id to watch), and the dream lands as a new layer."""
    from dreamlayer_krita.controller import controller

    ctl, docker = controller(), the_docker(krita)
    port = int(os.environ["DREAMLAYER_TEST_MANAGED_PORT"])
    doc, source = yield from picture_document(krita, "managed")
    quick_knobs(docker, 3)
    seen_from = len(SEEN)
    docker.server.port.setValue(port)
    docker.server.port.editingFinished.emit()
    task = pressed(docker, docker.dream_button)[0]
    wait_for_all(docker)
    wait_until(lambda: docker.server.button.text() == "Server: connected", 30, "the docker to say connected")
    pid = ctl.connection.link.started_here()
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = f.read().decode().split("\0")
    docker.server.log_button.click()
    return {"states": [state for state, _ in SEEN[seen_from:]], "error": task.error,
            "layer": task.new_layer.name() if task.new_layer else None, "names": [n.name() for n in doc.rootNode().childNodes()],
            "pid": pid, "argv": argv, "krita_pid": os.getpid(), "port": port,
            "log_shown": docker.log_view is not None and docker.log_view.isVisible(),
            "log_text": docker.log_view.text.toPlainText()[-2000:] if docker.log_view else "",
            "log_file": ctl.log_file}


def restart_case(krita, server):
    """The managed server killed: the docker's watch notices without a press; Dream starts it again. Then killed
    in the middle of a dream: the dream is sent again, once, and lands; the artist is told."""
    from dreamlayer_krita.controller import controller

    ctl, docker = controller(), the_docker(krita)
    doc, source = yield from picture_document(krita, "restart")
    quick_knobs(docker, 4)
    first = ctl.connection.link.started_here()
    os.kill(first, signal.SIGKILL)
    started = time.monotonic()
    wait_until(lambda: "stopped answering" in docker.server.status.text(), 20, "the watch to notice the server gone")
    noticed = [round(time.monotonic() - started, 1), docker.server.button.text(), docker.server.status.text()]
    open_while_gone = docker.server.is_open()
    again = pressed(docker, docker.dream_button)[0]
    wait_for_all(docker)
    wait_until(lambda: docker.server.button.text() == "Server: connected", 30, "the docker to say connected")
    open_when_back = docker.server.is_open()
    second = ctl.connection.link.started_here()

    quick_knobs(docker, 6, steps=200)
    states = []
    lost = pressed(docker, docker.dream_button)[0]
    lost.progress.connect(lambda status: states.append(status.state))
    wait_until(lambda: "running" in states or lost.done, 60, "the long dream to run")
    os.kill(second, signal.SIGKILL)
    wait_for_all(docker)
    return {"noticed": noticed, "open": [open_while_gone, open_when_back], "again_error": again.error, "again_layer": again.new_layer is not None,
            "pids": [first, second, ctl.connection.link.started_here()], "saw_running": "running" in states,
            "lost_error": lost.error, "lost_layer": lost.new_layer.name() if lost.new_layer else None,
            "notes": lost.notes, "message": docker.message.text()}


def hand_started_case(krita, server):
    """The managed port changed to one where a server started by hand answers: it is used as it is, and the
    server the plugin started is stopped (File > Quit, at the end, must leave the hand-started one running)."""
    from dreamlayer_krita.controller import controller

    ctl, docker = controller(), the_docker(krita)
    ours = ctl.connection.link.started_here()
    hand_port = int(server.rsplit(":", 1)[1])
    doc, source = yield from picture_document(krita, "by hand")
    quick_knobs(docker, 8)
    docker.server.port.setValue(hand_port)
    docker.server.port.editingFinished.emit()
    wait_until(lambda: docker.server.button.text() == "Server: connected", 30, "the docker to use the server started by hand")
    task = pressed(docker, docker.dream_button)[0]
    wait_for_all(docker)
    wait_until(lambda: not os.path.exists(f"/proc/{ours}"), 20, "the plugin's own server to stop")
    return {"error": task.error, "layer": task.new_layer is not None, "url": task.client.url,
            "started_here": ctl.connection.link.started_here(), "ours_stopped": not os.path.exists(f"/proc/{ours}")}


def diagnostics_case(krita, server):
    """Copy diagnostics: versions, the server, its Python and log, and the last errors, on the clipboard."""
    from dreamlayer_krita.controller import controller
    from dreamlayer_krita.qt import QtWidgets

    docker = the_docker(krita)
    docker.server.diagnostics_button.click()
    return {"text": QtWidgets.QApplication.clipboard().text(), "message": docker.message.text(),
            "python": controller().state.server_python}
