"""Keys derived from the application secret, and sealing short secrets with them."""

from __future__ import annotations

import pytest

from scheduler.security import (
    OFFER_SIGNING,
    TOKEN_AT_REST,
    Sealer,
    derive_key,
)

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def test_each_purpose_gets_its_own_stable_key() -> None:
    """The same secret and purpose give the same key; other purposes or secrets another."""
    key = derive_key(SECRET, OFFER_SIGNING)
    assert len(key) == 32
    assert derive_key(SECRET, OFFER_SIGNING) == key
    assert derive_key(SECRET, TOKEN_AT_REST) != key
    assert derive_key(SECRET + "x", OFFER_SIGNING) != key


def test_no_key_without_a_secret_or_a_purpose() -> None:
    """An empty secret or label is a configuration error, never a weak key."""
    with pytest.raises(ValueError):
        derive_key("", OFFER_SIGNING)
    with pytest.raises(ValueError):
        derive_key(SECRET, "")


def test_a_sealed_value_opens_only_with_its_key_and_context() -> None:
    """Sealing hides the text, and another key, another context or one changed character fails."""
    sealer = Sealer(derive_key(SECRET, TOKEN_AT_REST))
    sealed = sealer.seal(b"manage-token-123", b"visit:7")
    assert "manage-token-123" not in sealed
    assert sealer.open(sealed, b"visit:7") == b"manage-token-123"
    assert sealer.seal(b"manage-token-123", b"visit:7") != sealed  # a fresh nonce every time
    with pytest.raises(ValueError):
        sealer.open(sealed, b"visit:8")
    with pytest.raises(ValueError):
        Sealer(derive_key(SECRET, OFFER_SIGNING)).open(sealed, b"visit:7")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(ValueError):
        sealer.open(flipped, b"visit:7")
    with pytest.raises(ValueError):
        sealer.open("plain-text-token", b"visit:7")
