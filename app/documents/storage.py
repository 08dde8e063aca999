"""Where encrypted document bytes live. Views never touch it: the domain code asks storage() for the store.

The store only ever sees ciphertext (see app.documents.sealing). A local directory is the default; another
store (e.g. S3-compatible) implements the same six methods.
"""

import os
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

COPY_BUFFER = 1024 * 1024


class Storage(Protocol):
    def new_key(self) -> str:
        """A fresh, unguessable name for a new stored file."""

    def open_for_append(self, key: str, at: int) -> BinaryIO:
        """The file opened for writing at byte `at`; anything after `at` (a write cut short) is dropped."""

    def open_for_reading(self, key: str) -> BinaryIO: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Remove the file; no error if it is already gone."""

    def replace_head(self, key: str, head: bytes) -> None:
        """Swap the file's first len(head) bytes for `head` all at once: readers see the old file or the new."""


class LocalStorage:
    """Files in a directory on this machine, spread over 256 subfolders, readable by this user alone."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def new_key(self) -> str:
        return secrets.token_hex(16)

    def _path(self, key: str) -> Path:
        if len(key) != 32 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    def open_for_append(self, key: str, at: int) -> BinaryIO:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        file = os.fdopen(fd, "r+b")
        file.truncate(at)
        file.seek(at)
        return file

    def open_for_reading(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def replace_head(self, key: str, head: bytes) -> None:
        """A copy with the new head is written beside the file, flushed to disk, then renamed over it."""
        path = self._path(key)
        draft = path.with_name(path.name + ".new")
        with open(path, "rb") as old, os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                                                "wb") as new:
            old.seek(len(head))
            new.write(head)
            shutil.copyfileobj(old, new, COPY_BUFFER)
            new.flush()
            os.fsync(new.fileno())
        os.replace(draft, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def storage() -> Storage:
    found = current_app.extensions.get("porch.storage")
    if found is None:
        found = current_app.extensions["porch.storage"] = LocalStorage(current_app.config["PORCH_STORAGE_DIR"])
    return found
