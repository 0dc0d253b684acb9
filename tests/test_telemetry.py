"""With telemetry on, a request is traced through its use cases (and on SQL backends its
statements), and what spans say of errors never quotes input. The SDK's in-memory exporter
and reader are passed to the container: no global provider is ever set."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy.exc import DBAPIError

from adapters.kit.sqlalchemy.database import create_engine
from adapters.kit.telemetry import Telemetry, exporting_to
from adapters.kit.telemetry import traced as traced_use_case
from adapters.unit_of_work import SqlAlchemyUnitOfWork
from application.outbox.ports import EmailMessage
from domain.errors import NotFound
from entrypoints.http.app import create_app
from tests.accounts_support import PASSWORD
from tests.support import Backend, backend_for

# >>> example
USE_CASES = [
    "RegisterAccount",
    "CreateAccount",
    # >>> outbox
    "QueueWelcomeEmail",
    # <<< outbox
]
# <<< example


@dataclass
class Traced:
    """A backend whose container reports to in-memory telemetry."""

    backend: Backend
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    def check_health(self) -> str:
        """Asks GET /health, expecting 200; the trace id of the request, in hex."""
        with TestClient(create_app(self.backend.container)) as client:
            assert client.get("/health").status_code == 200
        [served] = [s for s in self.named("GET /health") if s.kind == SpanKind.SERVER]
        return f"{served.context.trace_id:032x}"

    # >>> example
    def register(self, email: str, answer: int = 201) -> str:
        """Registers over HTTP, expecting the answer; the trace id of the request, in hex."""
        body = {"email": email, "password": PASSWORD, "password_confirmation": PASSWORD}
        with TestClient(create_app(self.backend.container)) as client:
            assert client.post("/accounts", json=body).status_code == answer
        return f"{self.served().context.trace_id:032x}"

    def served(self) -> ReadableSpan:
        """The span of the last POST /accounts."""
        return [s for s in self.named("POST /accounts") if s.kind == SpanKind.SERVER][-1]

    # <<< example

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans.get_finished_spans() if span.name == name]

    def in_trace(self, trace_id: str) -> list[ReadableSpan]:
        spans = self.spans.get_finished_spans()
        return [span for span in spans if f"{span.context.trace_id:032x}" == trace_id]

    def metric(self, name: str) -> dict[str, int]:
        """The metric's points, by their status attribute ("" without one)."""
        data = self.metrics.get_metrics_data()
        assert data is not None
        return {
            str(point.attributes.get("status", "") if point.attributes else ""): int(point.value)
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
            if isinstance(point, NumberDataPoint)  # counters and gauges: no histogram here
        }


def traced(backend: Backend) -> Iterator[Traced]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    metrics = InMemoryMetricReader()
    meter_provider = MeterProvider([metrics], shutdown_on_exit=False)
    container = backend.container
    container.telemetry.override(providers.Object(Telemetry(tracer_provider, meter_provider)))
    # An engine of its own: the traced one carries listeners, the session's must not keep them.
    engine = None if backend.engine is None else create_engine(backend.engine.url)
    if engine is not None:
        container.engine.override(providers.Object(engine))
    yield Traced(backend, spans, metrics)
    if engine is not None:
        engine.dispose()
    meter_provider.shutdown()
    tracer_provider.shutdown()


@pytest.fixture
def traced_backend(backend: Backend) -> Iterator[Traced]:
    yield from traced(backend)


@pytest.fixture(params=["sqlite", "postgres"])
def traced_sql_backend(request: pytest.FixtureRequest) -> Iterator[Traced]:
    yield from traced(backend_for(request.param, request))


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


# >>> example
def test_a_registration_is_traced_through_its_use_cases(traced_backend: Traced) -> None:
    registration = traced_backend.register("ada@example.com")

    request = traced_backend.served()
    in_registration = traced_backend.in_trace(registration)
    use_cases = [span for span in in_registration if span.name in USE_CASES]
    assert sorted(span.name for span in use_cases) == sorted(USE_CASES)
    register = next(span for span in use_cases if span.name == "RegisterAccount")
    assert register.parent is not None
    assert register.parent.span_id in {s.context.span_id for s in in_registration}
    assert request.context.span_id in {s.parent.span_id for s in in_registration if s.parent}


# >>> outbox
def test_the_relays_send_of_a_welcome_links_to_the_registration_that_queued_it(
    traced_backend: Traced,
) -> None:
    registration = traced_backend.register("ada@example.com")

    traced_backend.backend.container.relay().drain()

    [register] = traced_backend.named("RegisterAccount")
    [send] = traced_backend.named("send notification")
    assert f"{send.context.trace_id:032x}" != registration
    assert [f"{link.context.trace_id:032x}" for link in send.links] == [registration]
    assert send.attributes is not None
    key = "keel.request_id"
    assert send.attributes[key] == register.attributes[key]  # type: ignore[index]


# <<< outbox


def test_no_span_of_a_registration_holds_the_password_or_its_hash(traced_backend: Traced) -> None:
    traced_backend.register("ada@example.com")

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
    registration = traced_sql_backend.register("ada@example.com")

    statements = [
        span for span in traced_sql_backend.in_trace(registration) if span.kind == SpanKind.CLIENT
    ]
    texts = [str((span.attributes or {}).get("db.statement", "")) for span in statements]
    inserts = [text for text in texts if text.startswith("INSERT INTO")]
    tables = ["accounts", "users"]
    # >>> outbox
    tables.append("notifications")  # the welcome
    # <<< outbox
    assert [text.split()[2] for text in inserts] == tables
    assert all(span.parent is not None for span in statements)


# >>> outbox
class RefusingSender:
    def send(self, message: EmailMessage) -> None:
        raise ConnectionRefusedError("smtp down")


def test_the_relay_counts_sends_and_failures_and_the_outbox_reports_its_depth(
    traced_backend: Traced,
) -> None:
    container = traced_backend.backend.container
    traced_backend.register("ada@example.com")
    traced_backend.register("grace@example.com")
    container.relay().drain()
    container.config.relay_max_attempts.from_value(1)
    container.email_sender.override(providers.Object(RefusingSender()))
    traced_backend.register("alan@example.com")
    traced_backend.register("edsger@example.com")

    before_relay = traced_backend.metric("keel.outbox.depth")
    container.relay().relay_batch()

    assert before_relay == {"pending": 2, "dead": 0}
    assert traced_backend.metric("keel.outbox.depth") == {"pending": 0, "dead": 2}
    assert traced_backend.metric("keel.relay.sent") == {"": 2}
    assert traced_backend.metric("keel.relay.failed") == {"": 2}


# <<< outbox


def test_on_sql_backends_a_failed_statement_span_names_the_error_never_the_row(
    traced_sql_backend: Traced,
) -> None:
    traced_sql_backend.register("victim@example.com")

    traced_sql_backend.register("victim@example.com", answer=409)

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
    traced_backend.register("victim@example.com")

    traced_backend.register("victim@example.com", answer=409)

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


# <<< example
