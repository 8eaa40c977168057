"""Schemathesis over the served OpenAPI spec: no 5xx, and every response matches the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .live_server import start_server


@pytest.fixture(scope="module")
def fuzz_server():
    # A tight cost budget keeps accepted dreams tiny. The queue is long enough never to fill: schemathesis counts
    # a 503 as a server error, and the full queue's 503 is tested on its own in test_server_jobs.
    live = start_server({"MAX_COST": 500_000, "MAX_QUEUED": 10_000, "MAX_PIXELS": 512 * 512})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    return schemathesis.openapi.from_url(f"{fuzz_server.url}/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance, response_headers_conformance])
