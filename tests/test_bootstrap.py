"""The composition root: settings pick the adapters, and bad settings are refused by name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.memory.unit_of_work import InMemoryUnitOfWork
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from bootstrap import Settings, build_container


@pytest.mark.parametrize(
    ("url", "unit_of_work"),
    [("memory://", InMemoryUnitOfWork), ("sqlite:///keel.db", SqlAlchemyUnitOfWork)],
)
def test_the_database_url_picks_the_unit_of_work(url: str, unit_of_work: type) -> None:
    container = build_container(Settings(database_url=url))

    assert isinstance(container.unit_of_work(), unit_of_work)
    assert container.unit_of_work() is container.unit_of_work()  # one, shared: it nests


@pytest.mark.parametrize("name", ["relay_lease_seconds", "relay_max_attempts", "argon2_time_cost"])
def test_a_setting_that_must_be_positive_is_refused_naming_it(name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: 0})
