"""The example under telemetry: a registration is traced from its request through its use
cases and statements, and no span quotes its input, its password or its hash."""

from __future__ import annotations

from opentelemetry.trace import SpanKind

from tests.accounts_support import PASSWORD, register_over_http
from tests.telemetry_support import Traced

USE_CASES = ["RegisterAccount", "CreateAccount"]


def test_a_registration_is_traced_through_its_use_cases(traced_backend: Traced) -> None:
    registration = register_over_http(traced_backend, "ada@example.com")

    request = traced_backend.served("POST /accounts")
    in_registration = traced_backend.in_trace(registration)
    use_cases = [span for span in in_registration if span.name in USE_CASES]
    assert sorted(span.name for span in use_cases) == sorted(USE_CASES)
    register = next(span for span in use_cases if span.name == "RegisterAccount")
    assert register.parent is not None
    assert register.parent.span_id in {s.context.span_id for s in in_registration}
    assert request.context.span_id in {s.parent.span_id for s in in_registration if s.parent}


def test_no_span_of_a_registration_holds_the_password_or_its_hash(traced_backend: Traced) -> None:
    register_over_http(traced_backend, "ada@example.com")

    recorded = [
        str(value)
        for span in traced_backend.spans.get_finished_spans()
        for value in (span.attributes or {}).values()
    ]
    assert recorded
    assert not [value for value in recorded if PASSWORD in value or "argon2" in value]


def test_on_sql_backends_each_statement_of_a_registration_is_a_span_in_its_trace(
    traced_sql_backend: Traced,
) -> None:
    registration = register_over_http(traced_sql_backend, "ada@example.com")

    statements = [
        span for span in traced_sql_backend.in_trace(registration) if span.kind == SpanKind.CLIENT
    ]
    texts = [str((span.attributes or {}).get("db.statement", "")) for span in statements]
    inserts = [text for text in texts if text.startswith("INSERT INTO")]
    # The account and its admin, first; then whatever a follow-up writes (the welcome's row).
    assert [text.split()[2] for text in inserts][:2] == ["accounts", "users"]
    assert all(span.parent is not None for span in statements)


def test_on_sql_backends_a_failed_statement_span_names_the_error_never_the_row(
    traced_sql_backend: Traced,
) -> None:
    register_over_http(traced_sql_backend, "victim@example.com")

    register_over_http(traced_sql_backend, "victim@example.com", answer=409)

    failed = [
        span
        for span in traced_sql_backend.spans.get_finished_spans()
        if span.kind == SpanKind.CLIENT and not span.status.is_ok and span.status.description
    ]
    assert failed
    # PostgreSQL's message quotes the row ("Key (email)=(victim@example.com)"): a CHECK
    # constraint would quote a password hash the same way.
    assert not [span for span in failed if "victim" in str(span.status.description)]
    assert all("IntegrityError" in str(span.status.description) for span in failed)


def test_a_refused_registration_is_an_answer_in_its_spans_and_they_quote_no_input(
    traced_backend: Traced,
) -> None:
    register_over_http(traced_backend, "victim@example.com")

    register_over_http(traced_backend, "victim@example.com", answer=409)

    refused = [
        span
        for span in traced_backend.spans.get_finished_spans()
        if span.name in USE_CASES and (span.attributes or {}).get("keel.refused")
    ]
    assert {span.name for span in refused} == {"RegisterAccount", "CreateAccount"}
    assert all(span.status.is_unset for span in refused)
    said = [
        str(value)
        for span in traced_backend.spans.get_finished_spans()
        if span.name in USE_CASES
        for value in [
            span.status.description,
            *(span.attributes or {}).values(),
            *(str(event.attributes) for event in span.events),
        ]
    ]
    assert not [value for value in said if "victim" in value]
