"""Renaming an account and inviting to it, on every backend: versions, stale saves, seats, and
races for the last one."""

from __future__ import annotations

import threading

import pytest

from application.accounts.commands import ChangeAccountNameCommand, InviteMemberCommand
from application.kit.errors import ConcurrentUpdate
from domain.accounts import (
    DEFAULT_SEAT_LIMIT,
    AccountId,
    AlreadyInvited,
    Invitation,
    Role,
    SeatLimitReached,
)
from domain.email import Email
from tests.accounts_support import registration
from tests.support import Backend


def test_renaming_an_account_stores_the_name_and_a_new_version(backend: Backend) -> None:
    created = backend.container.create_account().execute(registration())

    renamed = backend.container.change_account_name().execute(
        ChangeAccountNameCommand(account_id=created.account_id, name="  Analytical Engines ")
    )

    with backend.uow.transaction():
        stored = backend.uow.accounts.get(created.account_id)
    assert (stored.name, stored.version) == ("Analytical Engines", renamed.version)
    assert renamed.version == 2


def test_renaming_from_a_stale_version_is_refused_and_keeps_the_newer_name(
    backend: Backend,
) -> None:
    created = backend.container.create_account().execute(registration())
    rename = backend.container.change_account_name()
    rename.execute(ChangeAccountNameCommand(account_id=created.account_id, name="First"))

    with pytest.raises(ConcurrentUpdate):
        rename.execute(
            ChangeAccountNameCommand(
                account_id=created.account_id, name="Second", expected_version=1
            )
        )

    with backend.uow.transaction():
        assert backend.uow.accounts.get(created.account_id).name == "First"


def test_saving_an_entity_another_transaction_changed_raises_concurrent_update(
    backend: Backend,
) -> None:
    created = backend.container.create_account().execute(registration())
    uow = backend.uow
    with uow.transaction():
        stale = uow.accounts.get(created.account_id)
    with uow.transaction():
        fresh = uow.accounts.get(created.account_id)
        fresh.rename("Fresh")
        uow.accounts.save(fresh)

    stale.rename("Stale")
    with pytest.raises(ConcurrentUpdate), uow.transaction():
        uow.accounts.save(stale)

    with uow.transaction():
        assert uow.accounts.get(created.account_id).name == "Fresh"


def invite(backend: Backend, account_id: AccountId, email: str) -> Invitation:
    command = InviteMemberCommand(account_id=account_id, email=email)
    invitation: Invitation = backend.container.invite_member().execute(command)
    return invitation


def test_an_invitation_takes_a_seat_of_the_account_and_reads_back_with_it(
    backend: Backend,
) -> None:
    created = backend.container.create_account().execute(registration())

    invite(backend, created.account_id, "Grace@Example.com")

    account = backend.container.get_account().execute(created.account_id)
    assert account.invitations == [Invitation(Email("grace@example.com"), Role.MEMBER)]
    assert account.version == 2


def test_inviting_someone_already_invited_is_refused_and_keeps_one_invitation(
    backend: Backend,
) -> None:
    created = backend.container.create_account().execute(registration())
    invite(backend, created.account_id, "grace@example.com")

    with pytest.raises(AlreadyInvited):
        invite(backend, created.account_id, "GRACE@example.com")

    assert len(backend.container.get_account().execute(created.account_id).invitations) == 1


def test_inviting_when_every_seat_is_taken_is_refused(backend: Backend) -> None:
    created = backend.container.create_account().execute(registration())
    for number in range(DEFAULT_SEAT_LIMIT):
        invite(backend, created.account_id, f"member{number}@example.com")

    with pytest.raises(SeatLimitReached):
        invite(backend, created.account_id, "one-too-many@example.com")


def test_members_racing_for_the_last_seat_give_one_success_and_seat_limit_reached_to_the_rest(
    backend: Backend,
) -> None:
    created = backend.container.create_account().execute(registration())
    for number in range(DEFAULT_SEAT_LIMIT - 1):
        invite(backend, created.account_id, f"member{number}@example.com")
    racers = 3
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []

    def race(email: str) -> None:
        barrier.wait()
        try:
            invite(backend, created.account_id, email)
            outcomes.append("invited")
        except SeatLimitReached:
            outcomes.append("seat limit reached")

    threads = [
        threading.Thread(target=race, args=(f"racer{n}@example.com",)) for n in range(racers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["invited", "seat limit reached", "seat limit reached"]
    account = backend.container.get_account().execute(created.account_id)
    assert len(account.invitations) == DEFAULT_SEAT_LIMIT
