"""API keys: created once (the secret is shown only then), stored hashed, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadflow.db import companies as repo
from leadflow.db.tables import ApiKey, Company
from leadflow.db.types import utcnow
from leadflow.domain.roles import ROLES
from leadflow.errors import Forbidden, NotFound, Unauthorized, ValidationFailed

PREFIX = "lf_"


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, company: Company, *, name: str, role: str) -> tuple[ApiKey, str]:
    """A new key for `company`; returns the row and the secret (never stored in clear)."""
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of: {', '.join(ROLES)} (got '{role}')")
    if not name.strip():
        raise ValidationFailed("a key needs a name")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(company_id=company.id, name=name.strip(), role=role, prefix=secret[:10],
                 key_hash=hash_key(secret))
    session.add(row)
    session.flush()
    return row, secret


def revoke_key(session: Session, company: Company, key_id: int) -> ApiKey:
    """Revoke one of `company`'s keys."""
    row = session.get(ApiKey, key_id)
    if row is None or row.company_id != company.id:
        raise NotFound(f"no API key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


@dataclass(frozen=True)
class Actor:
    """Who is calling (a key of `home`) and which company they act on."""

    company: Company
    home: Company
    role: str
    key_id: int | None

    @property
    def site_admin(self) -> bool:
        return self.home.is_site and self.role == "admin"


def authenticate(session: Session, secret: str, act_as: str | None = None) -> Actor:
    """The actor for a bearer secret, optionally acting on another company (X-Company)."""
    row = repo.key_by_hash(session, hash_key(secret.strip()))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("the API key is unknown or revoked")
    home = repo.company_by_id(session, row.company_id)
    assert home is not None
    return acting(session, home, row.role, row.id, act_as)


def acting(
    session: Session, home: Company, role: str, key_id: int | None, act_as: str | None
) -> Actor:
    """Resolve `X-Company` / `--company`: only a site admin may act on a client company."""
    if not act_as or act_as in (home.key, str(home.id)):
        return Actor(home, home, role, key_id)
    target = repo.company_by_key(session, act_as)
    if target is None and act_as.isdigit():
        target = repo.company_by_id(session, int(act_as))
    allowed = home.is_site and role == "admin"
    if target is None or not allowed or (target.parent_id != home.id and target.id != home.id):
        if not allowed:
            raise Forbidden("only an admin of the site company may act on another company")
        raise NotFound(f"no company '{act_as}'")
    return Actor(target, home, role, key_id)
