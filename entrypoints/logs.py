"""How the service logs: one line per event on stderr, each carrying the id of the HTTP
request it belongs to ("-" outside a request). Human-readable lines by default; one JSON
object per line for production (KEEL_LOG_FORMAT=json), for a log shipper to parse.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["human", "json"]

HUMAN = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


class RequestIdFilter(CorrelationIdFilter):
    """Adds `request_id`: the id asgi-correlation-id keeps for the request being served, unless
    the line names one itself (as a line about work a request queued may)."""

    def __init__(self) -> None:
        super().__init__(default_value="-")

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        served = record.__dict__.pop("correlation_id")
        record.request_id = getattr(record, "request_id", served)
        return True


class ServiceLogHandler(logging.StreamHandler[TextIO]):
    """The handler configure_logging installs, told apart from others (a test runner's)."""


def configure_logging(
    log_format: LogFormat, level: int = logging.INFO, stream: TextIO = sys.stderr
) -> None:
    """Sends every logger's records, the libraries' included, through the service's handler;
    called again, it replaces the handler it installed before."""
    handler = ServiceLogHandler(stream)
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter(HUMAN))
    root = logging.getLogger()
    for installed in [h for h in root.handlers if isinstance(h, ServiceLogHandler)]:
        root.removeHandler(installed)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
