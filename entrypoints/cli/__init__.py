"""The command line: its use cases, the HTTP server and the database schema.

Exit codes: 0 success, 1 refused by the business rules (e.g. a taken unique value),
2 bad input (a usage error or a field that fails validation), 3 the database failed or was
busy (the message says which: "retry" when trying again may succeed), 78 invalid settings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError

from application.kit.errors import ApplicationError, StorageError, Unavailable
from domain.errors import Conflict, DomainError, InvalidValue, NotFound
from entrypoints.cli import accounts, outbox
from entrypoints.cli.program import (
    EXIT_BAD_INPUT,
    EXIT_BAD_SETTINGS,
    EXIT_REFUSED,
    EXIT_STORAGE_FAILED,
    PROG,
    Commands,
)

# The rest is imported where a command needs it, so that `--help` starts at once and no
# command loads FastAPI, uvicorn or Alembic unless it serves or migrates.
if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from bootstrap import Container


# Each feature's commands, beside the kit's (serve, db): `--help` lists them all.
FEATURE_COMMANDS: list[Callable[[Commands], None]] = [
    # >>> example
    accounts.add_commands,
    # <<< example
    # >>> outbox
    outbox.add_commands,
    # <<< outbox
]

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
    for add_commands in FEATURE_COMMANDS:
        add_commands(commands)

    serving = "serve the HTTP API with uvicorn (on SQLite, migrating the schema first)"
    serve = commands.add_parser("serve", help=serving, description=serving)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (%(default)s)")
    serve.add_argument(
        "--workers", type=_positive, default=1, help="processes serving requests (%(default)s)"
    )
    serve.set_defaults(run=_serve)

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
