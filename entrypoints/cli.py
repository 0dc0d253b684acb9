"""The `keel` command line.

Exit codes: 0 success, 1 refused by the business rules (e.g. email already registered),
2 bad input (a usage error or a field that fails validation).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from adapters.sqlalchemy.database import create_schema
from application.commands import CreateAccountCommand
from application.errors import ApplicationError
from bootstrap import Container, Settings, build_container
from domain.errors import DomainError

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    container = build_container(Settings())
    try:
        return int(arguments.run(container, arguments))
    except ValidationError as error:
        details = "; ".join(_describe(problem) for problem in error.errors())
        print(f"keel: invalid input: {details}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (DomainError, ApplicationError) as error:
        print(f"keel: {error}", file=sys.stderr)
        return EXIT_REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keel", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    register = commands.add_parser(
        "register", help="register an account and its admin user, and welcome them"
    )
    register.add_argument("--email", required=True)
    register.add_argument(
        "--password", help="omit it to be asked for it without echo (safer: no shell history)"
    )
    register.add_argument("--account-name")
    register.set_defaults(run=_register)

    database = commands.add_parser("db", help="manage the database schema")
    database_commands = database.add_subparsers(required=True, metavar="ACTION")
    init = database_commands.add_parser("init", help="create the tables (SQL backends)")
    init.set_defaults(run=_init_database)
    return parser


def _register(container: Container, arguments: argparse.Namespace) -> int:
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


def _init_database(container: Container, arguments: argparse.Namespace) -> int:
    if container.config.backend() == "memory":
        print("keel: the memory backend has no schema", file=sys.stderr)
        return 0
    create_schema(container.engine())
    print("schema created")
    return 0


def _describe(problem: ErrorDetails) -> str:
    field = ".".join(str(part) for part in problem["loc"])
    return f"{field or 'input'}: {problem['msg']}"
