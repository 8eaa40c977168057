"""When the server loses a job, and what the plugins do then: send it again, once.

A job is lost when the server forgot it (it restarted, or let the result go before it was fetched) or stopped
answering after it took the job. Sending the job again is safe then, and only then: the server will not make it
twice. Both plugins, and ``DreamClient.wait``, read losses by this one rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from .protocol import ClientError, JobLost, ServerUnavailable

T = TypeVar("T")
LOSSES = ("unknown_job", "expired")  # the error codes of a job the server no longer has


@contextmanager
def losses_as_lost_jobs(submitted: Callable[[], bool] = lambda: True) -> Iterator[None]:
    """Inside it, a lost job is raised as JobLost; a server that never answered before the job was ``submitted()``
    stays ServerUnavailable (there is nothing to send again)."""
    try:
        yield
    except JobLost:
        raise
    except ServerUnavailable as exc:
        if not submitted():
            raise
        raise JobLost(f"The dream server stopped answering during the dream ({exc}).", "server_restarted") from None
    except ClientError as exc:
        if exc.code in LOSSES:
            raise JobLost(str(exc), exc.code) from None
        raise


def send_again_once(attempt: Callable[[], T], before_again: Callable[[JobLost], None]) -> T:
    """``attempt()``; if its job was lost, ``before_again(lost)`` (tell the artist, make sure a server answers) and
    one more ``attempt()``, whose loss is final."""
    try:
        return attempt()
    except JobLost as lost:
        before_again(lost)
    return attempt()
