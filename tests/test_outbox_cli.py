"""The outbox's commands: `keel relay` and `keel outbox`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bootstrap import build_container
from entrypoints.cli import main
from tests.outbox_support import queue_emails

# Every command here runs on a SQLite file.
pytestmark = pytest.mark.sql


def test_relay_once_sends_what_is_due_and_outbox_shows_it_as_sent(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_emails(build_container().unit_of_work(), 1)

    relayed = main(["relay", "--once"])
    relay_output = capsys.readouterr().out
    shown = main(["outbox"])

    assert (relayed, shown) == (0, 0)
    assert relay_output.strip() == "sent 1, retried later 0, dead 0"
    assert capsys.readouterr().out.split() == ["pending", "0", "sent", "1", "dead", "0"]


def test_outbox_retry_of_an_id_that_is_not_dead_exits_1_naming_it(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = uuid.uuid4()

    assert main(["outbox", "retry", str(unknown)]) == 1
    error = capsys.readouterr().err.strip()
    assert error == f"keel: dead notification not found: {unknown}"


def test_outbox_retry_of_a_malformed_id_exits_2(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outbox", "retry", "not-an-id"]) == 2
    assert "notification_id" in capsys.readouterr().err


@pytest.mark.process
def test_the_relay_runs_until_sigterm_then_stops_cleanly(database: str) -> None:
    script = Path(sys.executable).with_name("keel")
    relay = subprocess.Popen(  # noqa: S603 - our own console script
        [str(script), "relay"], stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert relay.stderr is not None
    assert "relay started" in relay.stderr.readline()

    relay.send_signal(signal.SIGTERM)

    assert relay.wait(timeout=10) == 0
    assert "relay stopped" in relay.stderr.read()
