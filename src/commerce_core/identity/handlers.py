from __future__ import annotations

from commerce_core.identity.commands import Authenticate, CreateAdmin, GetUser, RegisterUser
from commerce_core.identity.model import Email, Role, User, check_password_strength
from commerce_core.identity.ports import PasswordHasher
from commerce_core.shared.errors import EmailTaken, InvalidCredentials, UserNotFound
from commerce_core.shared.ports import Clock, IdGenerator
from commerce_core.shared.unit_of_work import UnitOfWork


async def register_user(
    command: RegisterUser,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    ids: IdGenerator,
) -> User:
    email = Email(command.email)
    check_password_strength(command.password)
    async with uow:
        if await uow.users.get_by_email(email.value) is not None:
            raise EmailTaken(f"{email.value} is already registered", field="email")
    # Hash outside the transaction: it is the slow part and needs no lock.
    password_hash = await hasher.hash(command.password)
    async with uow:
        user = User.register(
            user_id=ids.new_id(),
            email=email,
            name=command.name,
            password_hash=password_hash,
            role=Role.CUSTOMER,
            now=clock.now(),
        )
        uow.users.add(user)
        await uow.commit()  # a racing registration of the same e-mail fails here with EmailTaken
    return user


async def create_admin(
    command: CreateAdmin,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    ids: IdGenerator,
) -> User:
    email = Email(command.email)
    check_password_strength(command.password)
    password_hash = await hasher.hash(command.password)
    async with uow:
        user = await uow.users.get_by_email(email.value)
        if user is None:
            user = User.register(
                user_id=ids.new_id(),
                email=email,
                name=command.name,
                password_hash=password_hash,
                role=Role.ADMIN,
                now=clock.now(),
            )
            uow.users.add(user)
        else:
            user.promote_to_admin()
            user.change_password_hash(password_hash)
        await uow.commit()
    return user


async def authenticate(command: Authenticate, uow: UnitOfWork, hasher: PasswordHasher) -> User:
    try:
        email = Email(command.email).value
    except Exception:
        email = None
    async with uow:
        user = await uow.users.get_by_email(email) if email else None
    if user is None:
        await hasher.verify_dummy(command.password)
        raise InvalidCredentials()
    if not await hasher.verify(user.password_hash, command.password):
        raise InvalidCredentials()
    if hasher.needs_rehash(user.password_hash):
        new_hash = await hasher.hash(command.password)
        async with uow:
            fresh = await uow.users.get(user.id)
            if fresh is not None:
                fresh.change_password_hash(new_hash)
                await uow.commit()
                user = fresh
    return user


async def get_user(query: GetUser, uow: UnitOfWork) -> User:
    async with uow:
        user = await uow.users.get(query.user_id)
    if user is None:
        raise UserNotFound()
    return user


COMMAND_HANDLERS = {
    RegisterUser: register_user,
    CreateAdmin: create_admin,
    Authenticate: authenticate,
    GetUser: get_user,
}
