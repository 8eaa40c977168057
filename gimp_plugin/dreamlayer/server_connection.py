"""Reaching the dream server and keeping it: the managed local server, the token, and a second try for a lost dream.

- **Managed server.** A server URL on this machine (``127.0.0.1`` or ``localhost``) needs no terminal:
  when nothing answers there, the plug-in starts ``python -m dreamlayer serve`` on the URL's port with the Python
  from its settings file (``plugin_settings``), writing its log to ``dreamlayer/server.log`` in GIMP's folder. A
  GIMP plug-in is a process per call, so the server outlives the call and serves the next ones; it exits after
  the settings' idle time (10 minutes), or when GIMP exits (``--parent-pid``: the plug-in's parent process is
  GIMP), so none is left holding the port. A dreamlayer server already answering on the port is used as it is,
  whoever started it, with or without a Python in the settings; a port held by another program is an error naming the port. Any other URL is a shared
  server, never started from here.
- **Token.** Sent as a bearer token, only to the server it was given for (kept by URL in the settings file).
- **Nothing lost.** Dreams are queued together and followed in order; each result is fetched as soon as it is
  done. A dream the server forgot (it restarted, or let the result go) or lost (it stopped answering) is sent again
  once, with the ones after it, once the server answers again, and the artist is told.

Plain Python, no GIMP: the caller passes ``say`` (for the progress text) and ``tell`` (for a message).
"""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.follow import losses_as_lost_jobs
from dreamlayer_editor.protocol import DEFAULT_PORT, ClientError, JobLost, JobStatus, normalize_url
from dreamlayer_editor.launcher import LaunchError, NoPython, ServerLauncher
from plugin_errors import DreamError
from plugin_settings import PluginSettings

# GIMP's Cancel button ends the plug-in outright; the server then cancels its jobs once nobody has asked about them
# for this many seconds (the plug-in asks about the running one several times a second, the queued ones every
# TOUCH_SECONDS).
LEASE_SECONDS = 10
POLL_SECONDS = 0.2
TOUCH_SECONDS = 2.0
# Where a managed server is started: `dreamlayer serve` listens on 127.0.0.1 (IPv4), so "::1" would not reach it.
THIS_MACHINE = {"127.0.0.1", "localhost"}
FORGET_TOKEN = "forget"  # the token argument's word for "forget the token kept for this server"
# Error codes that come from the server itself rather than from what was asked: their message names the log.
SERVER_PROBLEMS = {"internal_error", "gpu_out_of_memory", "server_unavailable", "server_restarted"}
# What happened to a lost dream, by the JobLost's code, in words for the artist.
LOST_BECAUSE = {"server_restarted": "stopped during the dream", "unknown_job": "restarted and forgot the dream",
                "expired": "let the dream's result go before it was fetched"}

Submit = Callable[[DreamClient], JobStatus]
Result = TypeVar("Result")


def is_this_machine(url: str) -> bool:
    return urllib.parse.urlsplit(normalize_url(url)).hostname in THIS_MACHINE


class Connection:
    """The server at ``url``: its client (with the token kept for it) and, on this machine, its launcher.

    ``python`` and ``token`` are the procedure's arguments: a non-empty one is kept in the settings file for the
    next calls (``FORGET_TOKEN`` forgets the kept token); empty, the kept one is used.
    """

    def __init__(self, url: str, settings: PluginSettings, python: str = "", token: str = "",
                 say: Callable[[str], None] = lambda text: None, tell: Callable[[str], None] = lambda text: None):
        self.url, self.settings, self.say, self.tell = normalize_url(url), settings, say, tell
        if python.strip():
            settings.set_server_python(python.strip())
        if token.strip():
            settings.set_token(self.url, None if token.strip() == FORGET_TOKEN else token.strip())
        self.client = DreamClient(self.url, settings.token_for(self.url))
        self.launcher = self._launcher() if is_this_machine(self.url) else None

    def _launcher(self) -> ServerLauncher:
        port = urllib.parse.urlsplit(self.url).port or DEFAULT_PORT  # normalize_url gives one; never port 80
        # The plug-in's parent is GIMP: the server stops with it. No token: it listens on this machine only.
        return ServerLauncher(self.settings.server_python, self.settings.log_file, port=port,
                              device=self.settings.device, parent_pid=os.getppid(),
                              idle_exit=self.settings.idle_exit)

    def ensure_server(self) -> None:
        """Start the managed server if this URL is on this machine and nothing answers there."""
        if self.launcher is None:
            return
        try:
            self.launcher.ensure_running(on_starting=lambda: self.say(
                f"Starting the dream server (its log: {self.settings.log_file})..."))
        except NoPython as exc:
            raise DreamError(f"{exc} Start `dreamlayer serve` yourself, run `dreamlayer install-plugin gimp` again, "
                             "or give the server's Python in the dialog's Server section.") from None
        except LaunchError as exc:
            raise DreamError(str(exc)) from None

    def run_jobs(self, submits: list[Submit], fetch: Callable[[DreamClient, JobStatus], Result],
                 show: Callable[[int, JobStatus], None]) -> list[Result]:
        """Queue a job per ``submits``, follow them in order (``show(index, status)``), and return what ``fetch``
        makes of each finished one. Every failure is a DreamError for the artist; the jobs left are cancelled."""
        self.ensure_server()
        jobs: list[JobStatus] = []
        try:
            jobs += self._submit_all(submits)
            return self._follow_all(submits, jobs, fetch, show)
        except ClientError as exc:
            self._cancel(jobs)
            raise DreamError(self.explain(exc)) from None
        except BaseException:
            self._cancel(jobs)
            raise

    def _submit_all(self, submits: list[Submit]) -> list[JobStatus]:
        jobs: list[JobStatus] = []
        try:
            for submit in submits:
                jobs.append(submit(self.client))
        except BaseException:
            self._cancel(jobs)
            raise
        return jobs

    def _follow_all(self, submits: list[Submit], jobs: list[JobStatus], fetch, show) -> list[Any]:
        results: list[Any] = []
        sent_again = False
        while len(results) < len(submits):
            index = len(results)
            try:
                results.append(self._finish(jobs, index, fetch, show))
            except JobLost as lost:
                if sent_again:
                    because = LOST_BECAUSE.get(lost.code, f"lost the dream ({lost})")
                    raise DreamError(f"The dream server {because}, and again after dreamlayer had sent it a second "
                                     f"time. Nothing was changed.{self._log_hint()}") from None
                sent_again = True
                self._send_again(submits, jobs, index, lost)
        return results

    def _send_again(self, submits: list[Submit], jobs: list[JobStatus], index: int, lost: JobLost) -> None:
        count = len(submits) - index
        what = "the dream" if count == 1 else f"the {count} dreams left"
        because = LOST_BECAUSE.get(lost.code, f"lost the dream ({lost})")
        self.tell(f"The dream server {because}: dreamlayer sends {what} again, once.{self._log_hint()}")
        self.say(f"Sending {what} again...")
        self._cancel(jobs[index:])
        self.ensure_server()
        jobs[index:] = self._submit_all(submits[index:])

    def _follow(self, jobs: list[JobStatus], index: int, show: Callable[[int, JobStatus], None]) -> JobStatus:
        """Wait for job ``index``, asking now and then about the ones queued after it, so their leases hold."""
        touched = time.monotonic()

        def progress(status: JobStatus) -> None:
            nonlocal touched
            if time.monotonic() - touched > TOUCH_SECONDS:
                touched = time.monotonic()
                for job in jobs[index + 1:]:
                    self._quietly(self.client.status, job.id)
            show(index, status)

        return self.client.wait(jobs[index].id, on_progress=progress, poll_seconds=POLL_SECONDS)

    def _finish(self, jobs: list[JobStatus], index: int, fetch, show) -> Any:
        """Job ``index`` followed to its end and fetched; a result that vanished between "done" and fetching it
        counts as a lost job too."""
        with losses_as_lost_jobs():
            return fetch(self.client, self._follow(jobs, index, show))

    def _cancel(self, jobs: list[JobStatus]) -> None:
        for job in jobs:
            self._quietly(self.client.cancel, job.id)

    @staticmethod
    def _quietly(call: Callable[[str], Any], job_id: str) -> None:
        try:
            call(job_id)
        except ClientError:
            pass  # best effort: the job may be gone already, and its lease ends it anyway

    def explain(self, exc: ClientError) -> str:
        """The message for the artist; a problem of a server on this machine names its log."""
        if exc.code in SERVER_PROBLEMS or isinstance(exc, JobLost):
            return f"{exc}{self._log_hint()}"
        if exc.code == "unauthorized":
            return (f"{exc} The server at {self.url} wants a token: give it under Token in the dialog's Server "
                    "section (or as the `token` argument); it is kept for this server.")
        return str(exc)

    def _log_hint(self) -> str:
        if self.launcher is None or not os.path.exists(self.settings.log_file):
            return ""
        return f" If dreamlayer started the server, its log is {self.settings.log_file}."
