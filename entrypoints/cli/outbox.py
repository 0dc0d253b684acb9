"""The outbox's commands: the relay, what the outbox holds, and putting a dead email back."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING

from entrypoints.cli.program import PROG, Commands

if TYPE_CHECKING:
    from bootstrap import Container


def add_commands(commands: Commands) -> None:
    relaying = "send pending emails from the outbox until SIGINT or SIGTERM"
    relay = commands.add_parser("relay", help=relaying, description=relaying)
    relay.add_argument("--once", action="store_true", help="send what is due now, then exit")
    relay.set_defaults(run=_relay)

    showing = "show how many notifications are pending, sent and dead, and why the dead failed"
    outbox = commands.add_parser("outbox", help=showing, description=showing)
    outbox.set_defaults(run=_show_outbox)
    outbox_commands = outbox.add_subparsers(metavar="ACTION")
    retrying = "put a dead notification back in line, due now"
    retry = outbox_commands.add_parser("retry", help=retrying, description=retrying)
    retry.add_argument("notification_id", metavar="ID")
    retry.set_defaults(run=_retry_notification)


def _relay(container: Container, arguments: argparse.Namespace) -> int:
    relay = container.relay()
    if arguments.once:
        report = relay.drain()
        print(f"sent {report.sent}, retried later {report.retried}, dead {report.dead}")
        return 0
    stopping = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())
    idle = container.settings().relay_poll_seconds
    print(f"{PROG}: relay started; stop it with Ctrl-C or SIGTERM", file=sys.stderr, flush=True)
    # A signal only sets the flag: the batch in flight is finished and recorded first.
    while not stopping.is_set():
        try:
            claimed = relay.relay_batch().claimed
        except Exception:
            # The database may be away for a moment: keep the relay alive and try again.
            logging.getLogger(__name__).exception("relay batch failed")
            claimed = 0
        if not claimed:
            stopping.wait(idle)
    print(f"{PROG}: relay stopped", file=sys.stderr)
    return 0


def _show_outbox(container: Container, arguments: argparse.Namespace) -> int:
    status = container.get_outbox_status().execute()
    for delivery_status, count in status.counts.items():
        print(f"{delivery_status:<8}{count}")
    for dead in status.dead:
        print(f"dead {dead.notification_id} to {dead.recipient} after {dead.attempts} attempts:")
        print(f"  {dead.last_error}")
    return 0


def _retry_notification(container: Container, arguments: argparse.Namespace) -> int:
    from application.outbox.use_cases import (
        RetryNotificationCommand,  # pydantic models: not for --help
    )

    command = RetryNotificationCommand(notification_id=arguments.notification_id)
    container.retry_dead_notification().execute(command)
    print(f"notification {command.notification_id} is pending again")
    return 0
