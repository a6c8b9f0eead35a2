"""Secrets: random tokens shown once, stored only as SHA-256 hashes; keys derived from the one
application secret (``AANHUIS_SECRET_KEY``) for signing and for encrypting what must be kept.

Tokens carry 256 bits of randomness, so a fast hash is enough (no password stretching needed) and
lets a token be looked up by its hash in one indexed query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

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


# -- keys derived from the one application secret ------------------------------------------------

#: Purposes that derive a key from ``AANHUIS_SECRET_KEY``; a new feature adds its own label, so
#: no two features ever share a key (a signature made for one can never pass for another).
OFFER_SIGNING = "offer-signing"
TOKEN_AT_REST = "token-at-rest"  # noqa: S105 (a label, not a secret)
SHORT_LINK = "short-link"
PSEUDONYM = "pseudonym"
SESSION = "web-session"
AUDIT_CHAIN = "audit-chain"
AUDIT_CHECKPOINT = "audit-checkpoint"
DATA_SUBJECT = "processing-data-subject"


def derive_key(secret: str, purpose: str, length: int = 32) -> bytes:
    """A key for one ``purpose`` derived from the application secret (HKDF-SHA256).

    Pure: the caller passes the secret (only ``api/`` reads settings). The same secret and purpose
    always give the same key, on every worker and machine.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if not secret:
        raise ValueError("an application secret is needed to derive keys")
    if not purpose:
        raise ValueError("a key needs a purpose label")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=b"aanhuis/v1", info=purpose.encode())
    return hkdf.derive(secret.encode())


def sign(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of ``message`` under ``key``."""
    return hmac.new(key, message, hashlib.sha256).digest()


class Sealer:
    """Authenticated encryption (AES-256-GCM) of short secrets, with a key from :func:`derive_key`.

    ``seal`` gives URL-safe text (version, nonce, ciphertext and tag); ``open`` returns the plain
    text or raises ``ValueError`` when the text was not sealed with this key or was altered.
    ``context`` binds a sealed value to where it belongs (e.g. a visit id): a value copied to
    another row does not open there.
    """

    PREFIX = "v1."

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(key) != 32:
            raise ValueError("a sealing key has 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plain: bytes, context: bytes = b"") -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plain, context)
        return self.PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, text: str, context: bytes = b"") -> bytes:
        from cryptography.exceptions import InvalidTag

        if not text.startswith(self.PREFIX):
            raise ValueError("not a sealed value")
        body = text[len(self.PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError) as exc:
            raise ValueError("not a sealed value") from exc
        if len(raw) < 12 + 16:
            raise ValueError("not a sealed value")
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context)
        except InvalidTag as exc:
            raise ValueError("sealed with another key, or altered") from exc


@dataclass(frozen=True)
class KeyRing:
    """The sealers the domain needs, each with its own key derived from the application secret."""

    #: Tokens kept for a while (the idempotent replay's manage token, messages waiting to be sent).
    tokens: Sealer
    #: Offers handed to anonymous clients instead of being stored.
    offers: Sealer
    #: The key that hashes short manage-link codes (HMAC), so stored hashes open nothing alone.
    short_links: bytes = b""

    @classmethod
    def derive(cls, secret: str) -> KeyRing:
        return cls(
            tokens=Sealer(derive_key(secret, TOKEN_AT_REST)),
            offers=Sealer(derive_key(secret, OFFER_SIGNING)),
            short_links=derive_key(secret, SHORT_LINK),
        )


def is_sealed(text: str | None) -> bool:
    """``text`` was written by :meth:`Sealer.seal` (plain values never start so)."""
    return bool(text) and str(text).startswith(Sealer.PREFIX)
