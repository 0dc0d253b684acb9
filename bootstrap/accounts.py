"""The example's providers: the password hasher, the registration rate limit, and the use
cases of accounts."""

from __future__ import annotations

from dependency_injector import providers
from pydantic import SecretStr

from adapters.passwords import Argon2PasswordHasher, BoundedPasswordHasher
from adapters.rate_limits import RateLimiter
from application.accounts.use_cases import (
    ChangeAccountName,
    CreateAccount,
    GetAccount,
    GetUser,
    InviteMember,
    RegisterAccount,
)
from bootstrap.kit import KitContainer, UseCaseFactory

# The kit's providers that this feature's are wired to.
config, unit_of_work = KitContainer.config, KitContainer.unit_of_work


class AccountsContainer(KitContainer):
    argon2 = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=config.argon2_time_cost,
        memory_cost_kib=config.argon2_memory_cost_kib,
        parallelism=config.argon2_parallelism,
    )
    password_hasher = providers.Singleton(
        BoundedPasswordHasher,
        argon2,
        concurrency=config.password_hashing_concurrency,
        max_waiting=config.password_hashing_queue,
    )
    rate_limit_storage_url = providers.Callable(
        SecretStr.get_secret_value, config.rate_limit_storage_url
    )
    registration_rate_limiter = providers.Singleton(
        RateLimiter, limit=config.registration_rate_limit, storage_url=rate_limit_storage_url
    )
    create_account = UseCaseFactory(
        CreateAccount, uow=unit_of_work, password_hasher=password_hasher
    )
    # The steps that follow a registration in its transaction, each optional: none here.
    register_account = UseCaseFactory(
        RegisterAccount, uow=unit_of_work, create_account=create_account, follow_ups=()
    )
    change_account_name = UseCaseFactory(ChangeAccountName, uow=unit_of_work)
    invite_member = UseCaseFactory(InviteMember, uow=unit_of_work)
    get_account = UseCaseFactory(GetAccount, uow=unit_of_work)
    get_user = UseCaseFactory(GetUser, uow=unit_of_work)
