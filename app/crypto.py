"""Encryption at rest: Fernet tokens under a MultiFernet, so old keys can be rotated out."""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _keyring() -> MultiFernet:
    keyring = current_app.extensions.get("porch.keyring")
    if keyring is None:
        keys = current_app.config["PORCH_ENCRYPTION_KEYS"]
        keyring = current_app.extensions["porch.keyring"] = MultiFernet([Fernet(k) for k in keys])
    return keyring


def encrypt(text: str) -> str:
    return _keyring().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return _keyring().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same plaintext under the newest key; InvalidToken if no configured key opens it."""
    return _keyring().rotate(token.encode()).decode()


def is_current(token: str) -> bool:
    """Is this token sealed under the newest key (the first in PORCH_ENCRYPTION_KEYS)?"""
    try:
        Fernet(current_app.config["PORCH_ENCRYPTION_KEYS"][0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True
