"""Telemetry the tests read: a backend whose container reports to the SDK's in-memory
exporter and reader (no global provider is ever set). The fixtures that take it,
`traced_backend` and `traced_sql_backend`, are in conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dependency_injector import providers
from fastapi.testclient import TestClient
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from adapters.kit.sqlalchemy.database import create_engine
from adapters.kit.telemetry import Telemetry
from entrypoints.http.app import create_app
from tests.support import Backend


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

    def served(self, route: str) -> ReadableSpan:
        """The span of the last request to route, e.g. "POST /accounts"."""
        return [s for s in self.named(route) if s.kind == SpanKind.SERVER][-1]

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
