"""With telemetry on, a request is traced through its use cases (and on SQL backends its
statements), and what spans say of errors never quotes input. The SDK's in-memory exporter
and reader are passed to the container: no global provider is ever set."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy.exc import DBAPIError

from adapters.kit.telemetry import Telemetry, exporting_to
from adapters.kit.telemetry import traced as traced_use_case
from adapters.unit_of_work import SqlAlchemyUnitOfWork
from domain.errors import NotFound
from tests.telemetry_support import Traced


def test_a_readiness_check_is_traced_from_its_request_through_its_use_case(
    traced_backend: Traced,
) -> None:
    trace_id = traced_backend.check_health()

    in_check = traced_backend.in_trace(trace_id)
    [use_case] = [span for span in in_check if span.name == "CheckHealth"]
    assert use_case.parent is not None
    assert use_case.parent.span_id in {span.context.span_id for span in in_check}


class Refusing:
    def execute(self, name: str) -> None:
        raise NotFound("widget", name)


class Failing:
    def execute(self, name: str) -> None:
        raise RuntimeError(f"db.internal refused {name}")


def test_a_use_case_span_marks_a_refusal_as_an_answer_and_a_failure_as_an_error() -> None:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry(tracer_provider, MeterProvider(shutdown_on_exit=False))

    for use_case, error in ((Refusing(), NotFound), (Failing(), RuntimeError)):
        with pytest.raises(error):
            traced_use_case(use_case, telemetry).execute("ada@example.com")

    refused, failed = spans.get_finished_spans()
    assert (refused.name, failed.name) == ("Refusing", "Failing")
    assert refused.status.is_unset
    assert (refused.attributes or {}).get("keel.refused") == "NotFound"
    assert (failed.status.status_code, failed.status.description) == (
        StatusCode.ERROR,
        "RuntimeError",
    )
    said = [str(value) for span in (refused, failed) for value in (span.attributes or {}).values()]
    assert not [value for value in said if "ada@example.com" in value or "db.internal" in value]


@pytest.mark.parametrize(
    ("variable", "service"),
    [(None, "keel"), ("lending", "lending")],
)
def test_exported_spans_name_the_service_as_otel_service_name_says(
    monkeypatch: pytest.MonkeyPatch, variable: str | None, service: str
) -> None:
    if variable is None:
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    else:
        monkeypatch.setenv("OTEL_SERVICE_NAME", variable)
    telemetry = exporting_to("console")

    with telemetry.tracer.start_as_current_span("CheckHealth") as span:
        pass
    tracer_provider, meter_provider = telemetry.tracer_provider, telemetry.meter_provider
    assert isinstance(tracer_provider, TracerProvider)
    assert isinstance(meter_provider, MeterProvider)
    tracer_provider.shutdown()
    meter_provider.shutdown()

    assert span.resource.attributes["service.name"] == service  # type: ignore[attr-defined]


def test_on_sql_backends_the_statement_of_a_readiness_check_is_a_span_in_its_trace(
    traced_sql_backend: Traced,
) -> None:
    trace_id = traced_sql_backend.check_health()

    statements = [
        span for span in traced_sql_backend.in_trace(trace_id) if span.kind == SpanKind.CLIENT
    ]
    texts = [str((span.attributes or {}).get("db.statement", "")) for span in statements]
    assert texts[-1:] == ["SELECT 1"]  # after the BEGIN SQLite is told to send
    assert all(span.parent is not None for span in statements)


def test_on_sql_backends_a_failed_statement_span_names_the_error_never_the_values(
    traced_sql_backend: Traced,
) -> None:
    uow = traced_sql_backend.backend.container.unit_of_work()
    assert isinstance(uow, SqlAlchemyUnitOfWork)
    engine = uow.engine
    secret = "SELECT email FROM nowhere WHERE email = 'victim@example.com'"

    with pytest.raises(DBAPIError), engine.connect() as connection:
        connection.exec_driver_sql(secret)

    [failed] = [s for s in traced_sql_backend.spans.get_finished_spans() if not s.status.is_ok]
    assert failed.kind == SpanKind.CLIENT
    assert (
        failed.status.description
        == {
            "sqlite": "OperationalError (sqlite3.OperationalError)",
            "postgres": "ProgrammingError (psycopg.errors.UndefinedTable, SQLSTATE 42P01)",
        }[traced_sql_backend.backend.name]
    )
