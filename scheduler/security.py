"""Secrets: random tokens shown once, stored only as SHA-256 hashes.

Tokens carry 256 bits of randomness, so a fast hash is enough (no password stretching needed) and
lets a token be looked up by its hash in one indexed query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_hash)


def new_reference() -> str:
    """A booking reference a citizen can read out: ``AH-7K3M-9QXD``."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"AH-{chars[:4]}-{chars[4:]}"


def new_id() -> str:
    """An opaque identifier for offers and proposals (not guessable)."""
    return secrets.token_hex(16)
