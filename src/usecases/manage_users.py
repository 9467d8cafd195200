"""Use cases: a tenant admin (or the platform admin, or the CLI) manages the tenant's human users."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from src.domain.errors import Conflict, InvalidInput, NotFound
from src.domain.ids import new_id
from src.domain.ports.password_hasher import PasswordHasher
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from src.domain.users import Role, User, check_password_strength, normalise_email
from src.usecases.audit_trail import audit_entry


def _target(user: User) -> str:
    return f"user:{user.email}"


async def _enabled_admins(uow: UnitOfWork, tenant_id: UUID) -> set[UUID]:
    return {u.id for u in await uow.users.list(tenant_id=tenant_id) if u.role is Role.ADMIN and not u.disabled}


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateUserRequest:
    tenant_id: UUID
    email: str
    role: Role
    password: str | None  # None: the user can sign in through OIDC only, until an admin sets one
    actor: str


class CreateUser:
    """Rules: the tenant exists; the email is valid and unique within the tenant (409 otherwise);
    a password has 12+ characters and is kept only as an argon2 hash; recorded in the audit log."""

    def __init__(self, uow_factory: UnitOfWorkFactory, hasher: PasswordHasher) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher

    async def execute(self, request: CreateUserRequest) -> User:
        email = normalise_email(request.email)
        if request.password is not None:
            check_password_strength(request.password)
        user = User(
            tenant_id=request.tenant_id,
            id=new_id(),
            email=email,
            role=request.role,
            password_hash=await self._hasher.hash(request.password) if request.password is not None else None,
            created_at=datetime.now(UTC),
        )
        async with self._uow_factory() as uow:
            if await uow.tenants.get(tenant_id=request.tenant_id) is None:
                raise NotFound("no such tenant", details={"tenant_id": str(request.tenant_id)})
            await uow.act_as_tenant(request.tenant_id)
            if not await uow.users.add(user=user):
                raise Conflict("this tenant already has a user with that email", code="user_exists")
            await uow.audit.record(
                entry=audit_entry(
                    tenant_id=user.tenant_id,
                    actor=request.actor,
                    action="user.create",
                    target=_target(user),
                    details={"role": user.role.value, "user_id": str(user.id)},
                )
            )
            await uow.commit()
        return user


class GetUser:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, *, tenant_id: UUID, user_id: UUID) -> User | None:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            return await uow.users.get(tenant_id=tenant_id, user_id=user_id)


class ListUsers:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, tenant_id: UUID) -> list[User]:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            return await uow.users.list(tenant_id=tenant_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateUserRequest:
    tenant_id: UUID
    user_id: UUID
    actor: str
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = None  # a reset: also unlocks the account and ends its sessions


class UpdateUser:
    """Rules: the tenant's own users only (404 otherwise); the tenant keeps at least one enabled
    admin (409); a password reset clears the lockout and ends the user's sessions, as does
    disabling; a role change applies to open sessions at their next request; audited."""

    def __init__(self, uow_factory: UnitOfWorkFactory, hasher: PasswordHasher) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher

    async def execute(self, request: UpdateUserRequest) -> User:
        if request.password is not None:
            check_password_strength(request.password)
        if request.role is None and request.disabled is None and request.password is None:
            raise InvalidInput("nothing to change: send role, disabled or password", details={"field": "body"})
        now = datetime.now(UTC)
        # Hashed before the transaction opens: no connection is held for the hash's duration.
        new_hash = await self._hasher.hash(request.password) if request.password is not None else None
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(request.tenant_id)
            user = await uow.users.get(tenant_id=request.tenant_id, user_id=request.user_id)
            if user is None:
                raise NotFound("no such user in this tenant", details={"user_id": str(request.user_id)})
            changed = user
            details: dict[str, Any] = {"user_id": str(user.id)}
            if request.role is not None and request.role is not user.role:
                changed = replace(changed, role=request.role)
                details["role"] = {"from": user.role.value, "to": request.role.value}
            if request.disabled is not None and request.disabled != user.disabled:
                changed = replace(changed, disabled=request.disabled)
                details["disabled"] = request.disabled
            if new_hash is not None:
                changed = replace(changed, password_hash=new_hash, failed_attempts=0, locked_until=None)
                details["password_reset"] = True
            admins = await _enabled_admins(uow, request.tenant_id)
            if user.id in admins and (changed.role is not Role.ADMIN or changed.disabled) and len(admins) == 1:
                raise Conflict("the tenant must keep at least one enabled admin", code="last_admin")
            await uow.users.update(user=changed)
            if changed.disabled or request.password is not None:
                await uow.sessions.revoke_all_of(tenant_id=user.tenant_id, user_id=user.id, at=now)
            await uow.audit.record(
                entry=audit_entry(
                    tenant_id=user.tenant_id,
                    actor=request.actor,
                    action="user.update",
                    target=_target(user),
                    details=details,
                )
            )
            await uow.commit()
        return changed


class DeleteUser:
    """Rules: the tenant's own users only (404); not the last enabled admin (409); the user's
    sessions go with it; audited."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def execute(self, *, tenant_id: UUID, user_id: UUID, actor: str) -> None:
        async with self._uow_factory() as uow:
            await uow.act_as_tenant(tenant_id)
            user = await uow.users.get(tenant_id=tenant_id, user_id=user_id)
            if user is None:
                raise NotFound("no such user in this tenant", details={"user_id": str(user_id)})
            admins = await _enabled_admins(uow, tenant_id)
            if admins == {user.id}:
                raise Conflict("the tenant must keep at least one enabled admin", code="last_admin")
            await uow.users.delete(tenant_id=tenant_id, user_id=user_id)
            await uow.audit.record(
                entry=audit_entry(
                    tenant_id=tenant_id,
                    actor=actor,
                    action="user.delete",
                    target=_target(user),
                    details={"user_id": str(user.id)},
                )
            )
            await uow.commit()
