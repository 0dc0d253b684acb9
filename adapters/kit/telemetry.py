"""OpenTelemetry, when KEEL_TELEMETRY turns it on: a span per use case and per SQL
statement, and whatever else this module declares. Off, none of this is in the way: the
container wires the plain objects instead.

Providers are passed explicitly, never set as OpenTelemetry's globals, so two containers in
one process (the tests') each report to their own.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from asgi_correlation_id import correlation_id
from opentelemetry.instrumentation.sqlalchemy import engine as sqlalchemy_tracing
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Status, StatusCode, Tracer, TracerProvider
from sqlalchemy import Engine, ExceptionContext, event

from adapters.kit.sqlalchemy.errors import storage_error
from domain.errors import DomainError


@dataclass(frozen=True)
class Telemetry:
    """Where spans and metrics go."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    @property
    def tracer(self) -> Tracer:
        return self.tracer_provider.get_tracer("keel")


def exporting_to(destination: Literal["console", "otlp"]) -> Telemetry:
    """Telemetry sent in batches to stdout, or over OTLP/HTTP to the collector the standard
    OTEL_EXPORTER_OTLP_* variables name (http://localhost:4318 by default)."""
    spans: SpanExporter
    metrics: MetricExporter
    if destination == "console":
        spans, metrics = ConsoleSpanExporter(), ConsoleMetricExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        spans, metrics = OTLPSpanExporter(), OTLPMetricExporter()
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are read here too.
    service = os.environ.get("OTEL_SERVICE_NAME", "keel")
    resource = Resource.create({SERVICE_NAME: service})
    tracer_provider = SdkTracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(spans))
    reader = PeriodicExportingMetricReader(metrics)  # OTEL_METRIC_EXPORT_INTERVAL: 60 s
    # Both providers flush what they hold when the process exits.
    return Telemetry(tracer_provider, SdkMeterProvider([reader], resource=resource))


class Traceable(Protocol):
    """What can be traced: anything with an `execute`, as every use case has."""

    def execute(self, *args: Any, **kwargs: Any) -> Any: ...


UseCaseT = TypeVar("UseCaseT", bound=Traceable)


def traced(use_case: UseCaseT, telemetry: Telemetry | None) -> UseCaseT:
    """The use case itself, each of its `execute` calls a span named after it while telemetry
    is on: still the same object, of its own type."""
    if telemetry is None:
        return use_case
    tracer, name, execute = telemetry.tracer, type(use_case).__name__, use_case.execute

    @functools.wraps(execute)
    def in_a_span(*args: Any, **kwargs: Any) -> Any:
        # The request id joins a trace to the log lines of its request.
        request_id = correlation_id.get()
        request = {"keel.request_id": request_id} if request_id else {}
        # The SDK would record an exception's message, which may quote the input (an email):
        # the span keeps its kind only. A refusal by the rules is an answer, not an error.
        with tracer.start_as_current_span(
            name, attributes=request, record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                return execute(*args, **kwargs)
            except DomainError as refusal:
                span.set_attribute("keel.refused", type(refusal).__name__)
                raise
            except Exception as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise

    use_case.execute = in_a_span  # type: ignore[method-assign]  # this object's alone
    return use_case


def trace_statements(engine: Engine, telemetry: Telemetry | None) -> Engine:
    """The engine, each SQL statement of it a span (the statement's text, never its
    parameters: they may hold a password hash), and its pool's connections counted."""
    if telemetry is not None:
        meter = telemetry.meter_provider.get_meter("opentelemetry.instrumentation.sqlalchemy")
        usage = meter.create_up_down_counter("db.client.connections.usage", unit="connections")
        tracer = telemetry.tracer_provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
        # Only this engine's events: SQLAlchemyInstrumentor would also patch create_engine for
        # every engine the process makes, reporting to whichever providers came first.
        EngineTracer(tracer, engine, usage)  # type: ignore[no-untyped-call]  # untyped library
        # The instrumentation gives a failed statement's span the driver's message, which may
        # quote the row (PostgreSQL's DETAIL: an email, a password hash): the kind of error only.
        event.remove(engine, "handle_error", sqlalchemy_tracing._handle_error)
        event.listen(engine, "handle_error", _end_failed_statement_span)
    return engine


def _end_failed_statement_span(context: ExceptionContext) -> None:
    span = getattr(context.execution_context, "_otel_span", None)  # the instrumentation's
    if span is None:
        return
    if span.is_recording():
        error = context.sqlalchemy_exception
        if error is None:
            reason = type(context.original_exception).__name__
        else:
            reason = storage_error(error).reason  # classes and SQLSTATE: what StorageError says
        span.set_status(Status(StatusCode.ERROR, reason))
    span.end()
