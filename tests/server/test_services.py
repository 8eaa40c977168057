"""What the app holds while it runs, found through ``services()`` in a request's context: the runner it was given,
its queue, its limits and its stream gate, made from its configuration."""

from __future__ import annotations

import pytest

from dreamlayer.server.app import create_app
from dreamlayer.server.jobs import JobQueue
from dreamlayer.server.services import EXTENSION_KEY, services

from ..held_runner import HeldRunner


@pytest.fixture
def app():
    """An app with a held runner (tests/held_runner.py): no network loads, no job runs."""
    made = create_app({"MAX_PIXELS": 1234, "MAX_STREAMS": 3, "MAX_QUEUED": 5}, HeldRunner())
    yield made
    held = made.extensions[EXTENSION_KEY]
    held.runner.release()
    held.queue.shutdown(5)
    held.limits.films.remove_all()


def test_services_are_the_apps_own_made_from_its_configuration(app):
    with app.test_request_context("/v1/health"):
        found = services()
    assert found is app.extensions[EXTENSION_KEY]
    assert isinstance(found.runner, HeldRunner)  # the runner create_app was given, not a new one
    assert isinstance(found.queue, JobQueue) and found.queue.max_queued == 5
    assert found.limits.max_pixels == 1234 and found.limits.device_type == "cpu"
    assert found.streams.limit == 3 and found.streams.open == 0


def test_services_are_only_found_while_the_app_answers_a_request():
    with pytest.raises(RuntimeError, match="application context"):
        services()
