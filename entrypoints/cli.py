"""The command line: its use cases, the HTTP server and the database schema.

Exit codes: 0 success, 1 refused by the business rules (e.g. a taken unique value),
2 bad input (a usage error or a field that fails validation), 3 the database failed or was
busy (the message says which: "retry" when trying again may succeed), 78 invalid settings.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError

from application.kit.errors import ApplicationError, StorageError, Unavailable
from domain.errors import Conflict, DomainError, InvalidValue, NotFound

# The rest is imported where a command needs it, so that `--help` starts at once and no
# command loads FastAPI, uvicorn or Alembic unless it serves or migrates.
if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from bootstrap import Container

PROG = "keel"  # the command's name, in its usage and at the start of its messages

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_STORAGE_FAILED = 3
EXIT_BAD_SETTINGS = 78  # EX_CONFIG of sysexits.h

# What a domain error exits with, by its category: a new error picks a category, not a branch.
EXIT_BY_CATEGORY: dict[type[DomainError], int] = {
    InvalidValue: EXIT_BAD_INPUT,
    NotFound: EXIT_REFUSED,
    Conflict: EXIT_REFUSED,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    # Only once a command runs: not for --help.
    from bootstrap import build_container
    from entrypoints.logs import configure_logging
    from settings import Settings

    try:
        settings = Settings()
    except ValidationError as error:
        details = "; ".join(_describe_setting(problem) for problem in error.errors())
        print(f"{PROG}: invalid settings: {details}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    configure_logging(settings.log_format)
    container = build_container(settings)
    try:
        return int(arguments.run(container, arguments))
    except ValidationError as error:
        details = "; ".join(_describe(problem) for problem in error.errors())
        print(f"{PROG}: invalid input: {details}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Unavailable as error:
        print(f"{PROG}: {error}; retry", file=sys.stderr)
        return EXIT_STORAGE_FAILED
    except StorageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_STORAGE_FAILED
    except DomainError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return exit_code_for(error)
    except ApplicationError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_REFUSED


def exit_code_for(error: DomainError) -> int:
    for category, exit_code in EXIT_BY_CATEGORY.items():
        if isinstance(error, category):
            return exit_code
    return EXIT_REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    # >>> example
    register = commands.add_parser("register", help="register an account and its admin user")
    register.add_argument("--email", required=True)
    register.add_argument(
        "--password", help="omit it to be asked for it without echo (safer: no shell history)"
    )
    register.add_argument("--account-name")
    register.set_defaults(run=_register)

    # <<< example
    serving = "serve the HTTP API with uvicorn (on SQLite, migrating the schema first)"
    serve = commands.add_parser("serve", help=serving, description=serving)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (%(default)s)")
    serve.add_argument(
        "--workers", type=_positive, default=1, help="processes serving requests (%(default)s)"
    )
    serve.set_defaults(run=_serve)

    # >>> outbox
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
    # <<< outbox

    database = commands.add_parser("db", help="manage the database schema")
    database_commands = database.add_subparsers(required=True, metavar="ACTION")
    upgrading = "apply the migrations up to REVISION (default: head, the newest)"
    database_upgrade = database_commands.add_parser(
        "upgrade", help=upgrading, description=upgrading
    )
    database_upgrade.add_argument("revision", nargs="?", default="head", metavar="REVISION")
    database_upgrade.set_defaults(run=_migrate_database, direction="upgrade")
    downgrading = "undo the migrations down to REVISION (base: drop every table)"
    database_downgrade = database_commands.add_parser(
        "downgrade", help=downgrading, description=downgrading
    )
    database_downgrade.add_argument("revision", metavar="REVISION")
    database_downgrade.set_defaults(run=_migrate_database, direction="downgrade")
    return parser


# >>> example
def _register(container: Container, arguments: argparse.Namespace) -> int:
    from application.commands import CreateAccountCommand  # pydantic models: not for --help

    if arguments.password is None:
        password = getpass.getpass("Password: ")
        confirmation = getpass.getpass("Repeat password: ")
    else:
        password = confirmation = arguments.password
    command = CreateAccountCommand(
        email=arguments.email,
        password=password,
        password_confirmation=confirmation,
        account_name=arguments.account_name,
    )
    created = container.register_account().execute(command)
    print(f"account {created.account_id}")
    print(f"user {created.user_id}")
    return 0


# <<< example


# >>> outbox
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
    from application.commands import RetryNotificationCommand  # pydantic models: not for --help

    command = RetryNotificationCommand(notification_id=arguments.notification_id)
    container.retry_dead_notification().execute(command)
    print(f"notification {command.notification_id} is pending again")
    return 0


# <<< outbox


def _serve(container: Container, arguments: argparse.Namespace) -> int:
    # FastAPI and uvicorn: only the command that serves pays for loading them.
    import uvicorn

    if container.settings().backend == "sqlalchemy" and container.engine().dialect.name == "sqlite":
        # An embedded database belongs to this process; a shared server's schema is changed
        # on purpose with `keel db`, never as a side effect of starting a server.
        from adapters.migrations import upgrade  # Alembic: only when it migrates

        upgrade(container.migration_engine())
    # Each worker process builds its app from the environment, as this one read it; with one
    # worker it runs in this process. log_config=None: uvicorn's records go through the
    # service's handler, with their request ids.
    uvicorn.run(
        "entrypoints.http.app:create_served_app",
        factory=True,
        workers=arguments.workers,
        host=arguments.host,
        port=arguments.port,
        log_config=None,
    )
    return 0


def _migrate_database(container: Container, arguments: argparse.Namespace) -> int:
    if container.settings().backend == "memory":
        print(f"{PROG}: the memory backend has no schema", file=sys.stderr)
        return 0
    # Alembic: only the commands that migrate pay for loading it.
    from alembic.util import CommandError

    from adapters.migrations import downgrade, upgrade

    migrate = upgrade if arguments.direction == "upgrade" else downgrade
    try:
        migrate(container.migration_engine(), arguments.revision)
    except CommandError as error:  # e.g. a revision that does not exist
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"schema at revision {arguments.revision}")
    return 0


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {number}")
    return number


def _describe(problem: ErrorDetails) -> str:
    field = ".".join(str(part) for part in problem["loc"])
    return f"{field or 'input'}: {problem['msg']}"


def _describe_setting(problem: ErrorDetails) -> str:
    # Named as the user sets it; the message never quotes the value (it may be a secret).
    name = "_".join(str(part) for part in problem["loc"]).upper()
    return f"{f'KEEL_{name}' if name else 'settings'}: {problem['msg']}"
