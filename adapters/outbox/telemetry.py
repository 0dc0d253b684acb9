"""The outbox under telemetry: the trace an email was queued in, kept on its row, and the
relay's sends, each a span linked to that trace, counted, with the outbox's depth."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import Link
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from adapters.kit.telemetry import Telemetry
from application.outbox.ports import DeliveryStatus, OutboxEntry, OutboxUnitOfWork, RelayMonitor
from application.outbox.relay import Unmonitored

# W3C Trace Context: the `traceparent` an outbox row keeps, so the relay can link to it.
_W3C = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The W3C traceparent of the span being recorded, if any: what an outbox row keeps."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


class RelayTelemetry:
    """The relay's sends, each a span linked to the trace that queued its email and counted
    as sent or failed; and the outbox's depth (pending, dead), read when metrics are."""

    def __init__(self, telemetry: Telemetry, uow: OutboxUnitOfWork) -> None:
        self._tracer = telemetry.tracer
        self._uow = uow
        meter = telemetry.meter_provider.get_meter("keel")
        self._sent = meter.create_counter(
            "keel.relay.sent",
            unit="{notification}",
            description="emails the relay sent",
        )
        self._failed = meter.create_counter(
            "keel.relay.failed",
            unit="{notification}",
            description="sends that raised",
        )
        meter.create_observable_gauge(
            "keel.outbox.depth",
            callbacks=[self._depth],
            unit="{notification}",
            description="notifications pending or dead, by status",
        )

    @contextmanager
    def sending(self, entry: OutboxEntry) -> Iterator[None]:
        queued_in = trace.get_current_span(_W3C.extract(entry.trace_context)).get_span_context()
        attributes: dict[str, str | int] = {
            "keel.notification_id": str(entry.notification_id),
            "keel.attempt": entry.attempts + 1,
            "keel.request_id": entry.request_id or "-",
        }
        links = [Link(queued_in)] if queued_in.is_valid else []
        with self._tracer.start_as_current_span(
            "send notification", links=links, attributes=attributes
        ):
            try:
                yield
            except Exception:
                self._failed.add(1)
                raise
        self._sent.add(1)

    def _depth(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._uow.transaction():
            counts = self._uow.outbox.counts()
        return [
            Observation(counts[status], {"status": status.value})
            for status in (DeliveryStatus.PENDING, DeliveryStatus.DEAD)
        ]


def monitor_relay(telemetry: Telemetry | None, uow: OutboxUnitOfWork) -> RelayMonitor:
    return Unmonitored() if telemetry is None else RelayTelemetry(telemetry, uow)
