"""What the container provides keeps its type: routes, commands and tests call the application
checked by mypy, never through Any. `make lint` runs mypy over this file; at run time each
assertion also checks the object itself."""

from __future__ import annotations

from typing import assert_type

from dependency_injector import providers
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.kit.telemetry import Telemetry
from adapters.unit_of_work import ServiceUnitOfWork
from application.kit.health import CheckHealth
from bootstrap import build_container
from settings import Settings


def test_the_container_provides_its_parts_as_their_own_types_and_a_use_case_traced() -> None:
    container = build_container(Settings(database_url="memory://"))
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry(tracer_provider, MeterProvider(shutdown_on_exit=False))
    container.telemetry.override(providers.Object(telemetry))

    assert isinstance(assert_type(container.settings(), Settings), Settings)
    assert isinstance(assert_type(container.telemetry(), Telemetry | None), Telemetry)
    assert_type(container.unit_of_work(), ServiceUnitOfWork)
    check_health = assert_type(container.check_health(), CheckHealth)
    check_health.execute()
    assert isinstance(check_health, CheckHealth)
    assert [span.name for span in spans.get_finished_spans()] == ["CheckHealth"]
