"""What every command shares: the program's name, what it exits with, and what a feature adds
its commands to."""

from __future__ import annotations

import argparse
from typing import TypeAlias

# The program's subcommands, to which each feature adds its own (argparse's type is private).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

PROG = "keel"  # the command's name, in its usage and at the start of its messages

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_STORAGE_FAILED = 3
EXIT_BAD_SETTINGS = 78  # EX_CONFIG of sysexits.h
