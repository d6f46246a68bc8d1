"""Schema-driven fuzzing: requests generated from the live OpenAPI document never get a 5xx,
and every answer matches the document.

Every route is fuzzed against a server with all three tasks loaded (the tiny
trained translator, and stand-in chat and caption models), so no route can pass
by answering 404. Schemathesis generates the cases and Hypothesis drives them
directly (schemathesis's pytest plugin is not used: it breaks on newer pytest).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from serve_helpers import StubCaptioner, StubChatbot, png_bytes, serve_app

from attnseq.api.translator import Translator
from attnseq.serving.app import create_app
from attnseq.serving.limits import Limits
from attnseq.serving.registry import ServedModel

EXAMPLES_PER_ROUTE = 150  # three routes with bodies: 450 requests with bodies
ROUTES = [
    "GET /healthz",
    "GET /v1/models",
    "POST /v1/translate",
    "POST /v1/chat",
    "POST /v1/caption",
]


@pytest.fixture(scope="module")
def fuzz_url(run_dir) -> Iterator[str]:
    models = [
        ServedModel("fr-en", "translation", run_dir, Translator.load(run_dir)),
        ServedModel("talk", "chat", Path("talk"), StubChatbot()),
        ServedModel("look", "caption", Path("look"), StubCaptioner()),
    ]
    limits = Limits(max_chars=120, max_sentences=4, max_beam=3, default_beam=2)
    with serve_app(create_app(models, limits)) as url:
        yield url


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_url):
    return schemathesis.openapi.from_url(f"{fuzz_url}/openapi.json")


def operations(schema) -> dict[str, object]:
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[operation.label] = operation
    return found


def test_every_route_is_fuzzed(fuzz_schema):
    """A route added to the API must be added here too."""
    assert sorted(operations(fuzz_schema)) == sorted(ROUTES)


@pytest.mark.parametrize("label", ROUTES)
def test_no_request_crashes_the_server(fuzz_schema, label):
    operation = operations(fuzz_schema)[label]
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if label == "POST /v1/caption":  # random bytes are never an image; send real ones too
        strategies.append(operation.as_strategy(body={"image": png_bytes((40, 30))}))
    cases = st.one_of(*strategies)
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=cases)
    def check(case) -> None:
        response = case.call(timeout=60)
        statuses.append(response.status_code)
        assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:500]}"
        (content_type,) = response.headers["content-type"]  # schemathesis: a list per header
        assert content_type.startswith("application/json")
        if response.status_code >= 400:
            body = response.json()
            assert body["status"] == response.status_code and body["error"]
        else:
            case.validate_response(response)

    check()
    if label.startswith("POST"):  # routes without parameters have one request to make
        assert len(statuses) >= EXAMPLES_PER_ROUTE // 2
        assert 200 in statuses, sorted(set(statuses))  # the model was reached
        assert {404, 422} & set(statuses), sorted(set(statuses))  # and so was validation
