"""The example's command: registering an account and its admin user."""

from __future__ import annotations

import argparse
import getpass
from typing import TYPE_CHECKING

from entrypoints.cli.program import Commands

if TYPE_CHECKING:
    from bootstrap import Container


def add_commands(commands: Commands) -> None:
    register = commands.add_parser("register", help="register an account and its admin user")
    register.add_argument("--email", required=True)
    register.add_argument(
        "--password", help="omit it to be asked for it without echo (safer: no shell history)"
    )
    register.add_argument("--account-name")
    register.set_defaults(run=_register)


def _register(container: Container, arguments: argparse.Namespace) -> int:
    from application.accounts.commands import (
        CreateAccountCommand,  # pydantic models: not for --help
    )

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
