"""The tracing row: a registration through the service with telemetry off, and on (a span
per use case and per SQL statement, batched to an in-memory exporter), in the same run."""

from __future__ import annotations

from dependency_injector import providers
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.kit.sqlalchemy.database import create_engine
from adapters.kit.telemetry import Telemetry
from bench import registration
from bench.databases import Backend
from bench.table import Table, micros, ops, times
from bench.timing import measure
from bootstrap import Container


def traced(backend: Backend) -> Container:
    """A container like the backend's, on the same database, with telemetry on."""
    container = Container()
    container.config.from_dict(backend.container.config())
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    telemetry = Telemetry(tracer_provider, MeterProvider(shutdown_on_exit=False))
    container.telemetry.override(providers.Object(telemetry))
    if backend.raw is not None:  # an engine of its own: the untraced one stays untraced
        container.engine.override(providers.Object(create_engine(backend.engine.url)))
    return container


def rows(table: Table, backends: list[Backend], rounds: int, count: int) -> None:
    variants = {}
    for backend in backends:
        variants[f"{backend.name} off"] = registration.through_the_service(backend)
        on = Backend(backend.name, traced(backend), None)
        variants[f"{backend.name} on"] = registration.through_the_service(on)
    timings = measure(variants, rounds, count)
    names = [backend.name for backend in backends]
    setting = "KEEL_TELEMETRY"
    table.section(f"Tracing: (a) with {setting} off and on (in-memory exporter, batched)")
    table.row("(a) telemetry off", {n: ops(timings.ops_per_second(f"{n} off")) for n in names})
    table.row("(a) telemetry on", {n: ops(timings.ops_per_second(f"{n} on")) for n in names})
    table.row(
        "tracing costs, per registration",
        {
            n: f"{micros(timings.gap(f'{n} on', f'{n} off'), signed=True)} "
            f"({times(timings.ratio(f'{n} on', f'{n} off'))})"
            for n in names
        },
    )
