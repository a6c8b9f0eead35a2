"""``aanhuis users``: planner, expert and admin accounts."""

from __future__ import annotations

import argparse
import sys

from api.settings import get_settings
from scheduler import clock
from scheduler.accounts import service as accounts
from scheduler.accounts import sessions as web_sessions
from scheduler.accounts.models import Role, User
from scheduler.db import make_engine, make_sessionmaker, transaction
from scheduler.errors import DomainError
from scheduler.tenants import service as tenants


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("users", help="accounts for planners, experts and admins")
    sub = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    create = sub.add_parser(
        "create", help="create a user; prints the bearer token alone on the last line"
    )
    create.add_argument("--municipality", help="slug (not for admins)")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--expert", type=int, help="expert id, for role expert")
    create.add_argument("--name", required=True)
    create.set_defaults(handler=_create)
    revoke = sub.add_parser(
        "revoke-sessions", help="sign a user out everywhere (every web session ends at once)"
    )
    revoke.add_argument("--user", type=int, required=True, help="user id")
    revoke.set_defaults(handler=_revoke_sessions)


def _revoke_sessions(args: argparse.Namespace) -> int:
    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            user = session.get(User, args.user)
            if user is None:
                print(f"error: there is no user {args.user}", file=sys.stderr)
                return 2
            ended = web_sessions.revoke_all(session, user, now=clock.now())
            print(f"ended {ended} session(s) of user {user.id}")
    finally:
        engine.dispose()
    return 0


def _create(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            role = Role(args.role)
            municipality = None
            if role is not Role.ADMIN:
                if not args.municipality:
                    print(f"a {role.value} needs --municipality SLUG", file=sys.stderr)
                    return 2
                municipality = tenants.get_by_slug(session, args.municipality)
            user, token = accounts.create(
                session,
                name=args.name,
                role=role,
                municipality=municipality,
                expert_id=args.expert,
            )
            where = f" in {municipality.slug}" if municipality else ""
            print(f"created {role.value} {user.name!r} (user {user.id}){where}; bearer token:")
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(token)
    return 0
