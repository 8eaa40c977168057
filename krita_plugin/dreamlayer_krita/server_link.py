"""Which dream server the docker talks to, and the managed one it starts and stops.

The artist picks one of two in the docker's Server section (``ServerChoice``):

- *This computer (managed)*, the default: the plugin talks to ``http://127.0.0.1:PORT`` (37326 unless the artist
  picks another port). When the docker opens, when Dream is pressed, or when a dream's server went away, and
  nothing answers there, it starts ``SERVER_PYTHON -m dreamlayer serve`` with ``dreamlayer_editor.launcher``: with ``--parent-pid``
  set to Krita's own process, so the server exits when Krita ends, however it ends (a quit, a crash, a kill:
  the server looks every second, so it is gone a few seconds later); when Krita quits, the plugin also stops it
  at once. A dreamlayer server that already answers on the port (one the artist started by hand) is used and
  never stopped, whether or not a Python is set; a port held by another program gives launcher.PortTaken's
  message, naming the port. The server writes its log to ``<Krita's data folder>/dreamlayer/server.log`` (the
  launcher moves a long one to ``server.log.old`` before a start).
- *A server at this URL*: the plugin only talks to it, with the token if one is given; it never starts or
  stops it.

Host-neutral (no Krita, no Qt), so it is tested on its own. Methods that wait run on worker threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.launcher import LaunchError, NoPython, ServerLauncher
from dreamlayer_editor.protocol import ClientError, ServerUnavailable


# After a dream's server went away, how long a server at a URL (which the plugin cannot start) has to come back
# before the dream is sent again.
COME_BACK_SECONDS = 20.0
Report = Callable[[str, str], None]  # (state, text): "starting", "connected" or "not connected", and what to say


class ServerChoice(NamedTuple):
    managed: bool
    url: str  # a server at a URL: its address
    token: str  # ... and its token ("" for none)
    python: str  # the managed server: the Python that runs it
    port: int
    device: str

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}" if self.managed else self.url


class ServerLink:
    """The chosen server: ``ready()`` gives a client for it, starting the managed server first when nothing answers."""

    def __init__(self, log_file: str, parent_pid: int, report: Report | None = None):
        self.log_file, self.parent_pid = log_file, parent_pid
        self.report = report or (lambda state, text: None)
        self.choice: ServerChoice | None = None
        self._launcher: ServerLauncher | None = None
        self._starting = threading.Lock()  # one start at a time, and a stop waits for a start under way

    def configure(self, choice: ServerChoice) -> None:
        """Use this server from now on; a managed server started for an earlier choice is stopped (off this thread,
        once any start under way has finished). Never blocks."""
        if choice == self.choice:
            return
        old, self.choice = self._launcher, choice
        self._launcher = ServerLauncher(choice.python, self.log_file, choice.port, choice.device,
                                        parent_pid=self.parent_pid) if choice.managed else None
        if old is not None:
            threading.Thread(target=self._retire, args=(old,), name="dreamlayer-stop", daemon=True).start()

    def client(self) -> DreamClient:
        choice = self._current()
        return DreamClient(choice.address, (choice.token or None) if not choice.managed else None)

    def ready(self, after_loss: bool = False) -> DreamClient:
        """A client for a server that answers: the managed one is started if nothing answers on its port. After a
        server was lost mid-dream (``after_loss``), a server at a URL gets COME_BACK_SECONDS to answer again.
        Raises ClientError (LaunchError's message included) for the artist."""
        choice, launcher = self._current(), self._launcher
        if launcher is None:
            client = self.client()
            if after_loss:
                self._wait_for(client)
            return client
        try:
            with self._starting:
                started = launcher.ensure_running(on_starting=self._on_starting)
        except NoPython as exc:
            message = (f"{exc} Start `dreamlayer serve` yourself, type the Python that runs it in the Server section "
                       "(Python), or install the plugin again with `dreamlayer install-plugin krita`.")
            self.report("not connected", message)
            raise ClientError(message, "no_python") from None
        except LaunchError as exc:
            self.report("not connected", str(exc))
            raise ClientError(str(exc), "launch_failed") from None
        if started:
            self.report("connected", f"Started the dream server on this computer ({choice.address}).")
        return self.client()

    def started_here(self) -> int | None:
        """The process id of the managed server this plugin started and that still runs, else None."""
        launcher = self._launcher
        return launcher.process.pid if launcher is not None and launcher.running_here else None

    def stop(self) -> None:
        """Stop the server this plugin started (Krita is quitting); one the artist started is left alone."""
        if self._launcher is not None:
            self._launcher.stop()

    def _current(self) -> ServerChoice:
        if self.choice is None:
            raise ClientError("No dream server is chosen yet.", "no_server")
        return self.choice

    def _on_starting(self) -> None:
        self.report("starting", "Starting the dream server on this computer (the first start can take a minute)...")

    def _retire(self, launcher: ServerLauncher) -> None:
        with self._starting:
            launcher.stop()

    @staticmethod
    def _wait_for(client: DreamClient) -> None:
        deadline = time.monotonic() + COME_BACK_SECONDS
        while True:
            try:
                client.health()
                return
            except ServerUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


class FixedServer:
    """A server named by a script (``dreamlayer_krita.dream(..., server_url=...)``): only talked to."""

    def __init__(self, url: str, token: str = ""):
        self.url, self.token = url, token

    def client(self) -> DreamClient:
        return DreamClient(self.url, self.token or None)

    def ready(self, after_loss: bool = False) -> DreamClient:
        client = self.client()
        if after_loss:
            ServerLink._wait_for(client)
        return client
