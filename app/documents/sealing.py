"""Documents encrypted at rest as a stream: AES-256-GCM records under a data key of the file's own.

A sealed file is a header (magic, then the data key wrapped by the configured Fernet keys, so key rotation
works as for every other encrypted column) followed by records: 4 bytes (top bit: last record; the rest: the
ciphertext's length) and the ciphertext with its tag. A record's nonce is its number and its last-record flag,
so records can't be reordered, dropped, cut off or added after the end without the read failing.
Memory stays at one record whatever the file's size.
"""

import base64
import bisect
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.crypto import decrypt, encrypt, is_current, reencrypt

MAGIC = b"PORCHDOC1"
RECORD_SIZE = 64 * 1024
TAG_SIZE = 16
LAST = 0x8000_0000
_WORD = struct.Struct(">I")
_KEY_LENGTH = struct.Struct(">H")


class Tampered(Exception):
    """The stored bytes fail their check: changed, cut short, or not a sealed file."""


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _header() -> tuple[bytes, AESGCM]:
    data_key = AESGCM.generate_key(bit_length=256)
    wrapped = encrypt(base64.b64encode(data_key).decode()).encode()
    return MAGIC + _KEY_LENGTH.pack(len(wrapped)) + wrapped, AESGCM(data_key)


def _wrapped_key(file: BinaryIO) -> str:
    start = file.read(len(MAGIC) + _KEY_LENGTH.size)
    if len(start) != len(MAGIC) + _KEY_LENGTH.size or not start.startswith(MAGIC):
        raise Tampered("not a sealed document")
    (length,) = _KEY_LENGTH.unpack(start[len(MAGIC):])
    wrapped = file.read(length)
    try:
        return wrapped.decode()
    except UnicodeDecodeError as error:
        raise Tampered("the data key can't be unwrapped with the configured keys") from error


def _read_header(file: BinaryIO) -> AESGCM:
    wrapped = _wrapped_key(file)
    try:
        return AESGCM(base64.b64decode(decrypt(wrapped)))
    except (InvalidToken, ValueError) as error:
        raise Tampered("the data key can't be unwrapped with the configured keys") from error


def rewrapped_header(file: BinaryIO) -> bytes | None:
    """The file's header with its data key wrapped under the newest key; None when it already is.

    The new header is exactly as long as the old one (a Fernet token's length depends only on what it
    wraps), so the records, and an upload's byte counts, stay where they are.
    """
    wrapped = _wrapped_key(file)
    if is_current(wrapped):
        return None
    try:
        rewrapped = reencrypt(wrapped).encode()
    except InvalidToken as error:
        raise Tampered("the data key can't be unwrapped with the configured keys") from error
    if len(rewrapped) != len(wrapped):
        raise Tampered("the data key does not have the length of a wrapped data key")
    return MAGIC + _KEY_LENGTH.pack(len(rewrapped)) + rewrapped


class RecordWriter:
    """Appends records to a sealed file; `index` is the number of records the file already holds."""

    def __init__(self, file: BinaryIO, cipher: AESGCM, index: int = 0):
        self.file, self.cipher, self.index = file, cipher, index

    @classmethod
    def start(cls, file: BinaryIO) -> "RecordWriter":
        header, cipher = _header()
        file.write(header)
        return cls(file, cipher)

    @classmethod
    def resume(cls, file: BinaryIO, index: int) -> "RecordWriter":
        """Carry on a sealed file opened for append (its position is where the next record goes)."""
        position = file.tell()
        file.seek(0)
        cipher = _read_header(file)
        file.seek(position)
        return cls(file, cipher, index)

    def write(self, data: bytes, last: bool = False) -> None:
        sealed = self.cipher.encrypt(_nonce(self.index, last), data, None)
        self.file.write(_WORD.pack(len(sealed) | (LAST if last else 0)))
        self.file.write(sealed)
        self.index += 1


class SealingStream:
    """A write-only file that seals what it is given into storage, record by record, as it arrives.

    Used as werkzeug's container for an uploaded form file, so that the upload never touches the disk in
    the clear. The first bytes are kept (unencrypted, in memory only) to tell the file's type.
    """

    HEAD_SIZE = 4096

    def __init__(self, store, key: str):
        self.store, self.key = store, key
        self._file = store.open_for_append(key, 0)
        self._writer = RecordWriter.start(self._file)
        self._pending = bytearray()
        self.size = 0
        self.head = b""
        self.finished = False
        self.kept = False

    def write(self, data: bytes) -> int:
        if len(self.head) < self.HEAD_SIZE:
            self.head += bytes(data[: self.HEAD_SIZE - len(self.head)])
        self.size += len(data)
        self._pending += data
        while len(self._pending) > RECORD_SIZE:
            self._writer.write(bytes(self._pending[:RECORD_SIZE]))
            del self._pending[:RECORD_SIZE]
        return len(data)

    def finish(self) -> None:
        if not self.finished:
            self._writer.write(bytes(self._pending), last=True)
            self._pending.clear()
            self._file.flush()
            self._file.close()
            self.finished = True

    def seek(self, offset: int, whence: int = 0) -> int:
        """werkzeug seeks to 0 when the part has arrived: that is the end of the file."""
        self.finish()
        return 0

    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self, size: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        if not self.finished:
            self._file.close()


class SealedFile:
    """Reading a sealed file: the whole of it, or any byte range, checking every record it reads."""

    def __init__(self, file: BinaryIO, in_progress: bool = False):
        self.file, self.in_progress = file, in_progress
        self.cipher = _read_header(file)
        self.body_start = file.tell()
        self._records: list[tuple[int, int, int, int, bool]] | None = None

    def __enter__(self) -> "SealedFile":
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()

    def _open(self, index: int, position: int, length: int, last: bool) -> bytes:
        self.file.seek(position)
        sealed = self.file.read(length)
        if len(sealed) != length:
            raise Tampered("cut short")
        try:
            return self.cipher.decrypt(_nonce(index, last), sealed, None)
        except InvalidTag as error:
            raise Tampered("a record fails its check") from error

    def _walk(self) -> Iterator[tuple[int, int, int, int, bool]]:
        """(plain offset, record number, file position, sealed length, last) for each record, from the headers."""
        self.file.seek(self.body_start)
        plain, index, position, ended = 0, 0, self.body_start, False
        while True:
            word = self.file.read(_WORD.size)
            if not word:
                if not ended and not self.in_progress:
                    raise Tampered("cut short: the last record is missing")
                return
            if ended or len(word) != _WORD.size:
                raise Tampered("bytes after the last record")
            (value,) = _WORD.unpack(word)
            last, length = bool(value & LAST), value & ~LAST
            if length < TAG_SIZE:
                raise Tampered("a record is too short")
            yield plain, index, position + _WORD.size, length, last
            plain += length - TAG_SIZE
            index += 1
            position += _WORD.size + length
            ended = last
            self.file.seek(position)

    def records(self) -> list[tuple[int, int, int, int, bool]]:
        if self._records is None:
            self._records = list(self._walk())
        return self._records

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The plaintext bytes [start, end) record by record; all of it when no range is given."""
        if start == 0 and end is None:
            yield from self._stream()
            return
        records = self.records()
        first = max(bisect.bisect_right([r[0] for r in records], start) - 1, 0)
        for plain, index, position, length, last in records[first:]:
            if end is not None and plain >= end:
                return
            data = self._open(index, position, length, last)
            low = max(start - plain, 0)
            high = len(data) if end is None else min(len(data), end - plain)
            if high > low:
                yield data[low:high]

    def _stream(self) -> Iterator[bytes]:
        """Every record's plaintext in one forward pass (no seeking back)."""
        for _, index, position, length, last in self._walk():
            yield self._open(index, position, length, last)

    def read_at(self, offset: int, size: int) -> bytes:
        return b"".join(self.chunks(offset, offset + size))


class SealedReader:
    """The plaintext of a sealed file as a read-only, seekable file: each read decrypts only the record(s) it
    covers, so serving any byte range holds one record in memory whatever the file's size."""

    def __init__(self, sealed: SealedFile):
        self.sealed = sealed
        records = sealed.records()
        self._starts = [r[0] for r in records]
        self.size = records[-1][0] + records[-1][3] - TAG_SIZE if records else 0
        self.position = 0
        self._record: tuple[int, bytes] = (0, b"")  # the last record opened: its plain offset, its plaintext

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        self.position = max(base + offset, 0)
        return self.position

    def tell(self) -> int:
        return self.position

    def read(self, size: int = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.position + size, self.size)
        parts = []
        while self.position < end:
            plain, data = self._record_at(self.position)
            piece = data[self.position - plain: end - plain]
            parts.append(piece)
            self.position += len(piece)
        return b"".join(parts)

    def _record_at(self, offset: int) -> tuple[int, bytes]:
        plain, data = self._record
        if not plain <= offset < plain + len(data):
            plain, index, position, length, last = self.sealed.records()[bisect.bisect_right(self._starts, offset) - 1]
            self._record = plain, self.sealed._open(index, position, length, last)
        return self._record

    def close(self) -> None:
        self.sealed.file.close()
