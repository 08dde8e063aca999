"""Documents are encrypted at rest as a stream of authenticated records; the disk never holds plaintext."""

import os
from pathlib import Path

import pytest

from app.documents.sealing import RECORD_SIZE, RecordWriter, SealedFile, SealingStream, Tampered
from app.documents.storage import LocalStorage

SECRET = b"Aisha Rahman: lower back pain, session 3 of 8. " * 5000  # about 240 KB, several records


@pytest.fixture
def store(app, tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "documents")


def seal(store: LocalStorage, data: bytes, piece: int = 8192) -> str:
    stream = SealingStream(store, store.new_key())
    for start in range(0, len(data), piece):
        stream.write(data[start:start + piece])
    stream.finish()
    return stream.key


def read_all(store: LocalStorage, key: str) -> bytes:
    with SealedFile(store.open_for_reading(key)) as sealed:
        return b"".join(sealed.chunks())


def test_it_reads_back_what_was_sealed(store):
    key = seal(store, SECRET)
    assert read_all(store, key) == SECRET


def test_it_keeps_no_plaintext_on_disk(store):
    key = seal(store, SECRET)
    on_disk = b"".join(path.read_bytes() for path in Path(store.root).rglob("*") if path.is_file())
    assert len(on_disk) > len(SECRET)
    for phrase in (b"Aisha", b"lower back pain", b"session 3"):
        assert phrase not in on_disk
    assert oct(os.stat(store._path(key)).st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(("start", "end"), [(0, 10), (5, RECORD_SIZE + 7), (RECORD_SIZE, 2 * RECORD_SIZE),
                                            (len(SECRET) - 3, len(SECRET)), (12345, 200_000)])
def test_it_reads_any_byte_range(store, start, end):
    key = seal(store, SECRET)
    with SealedFile(store.open_for_reading(key)) as sealed:
        assert b"".join(sealed.chunks(start, end)) == SECRET[start:end]


def test_it_reads_a_file_written_in_uneven_parts(store):
    key = store.new_key()
    with store.open_for_append(key, 0) as file:
        writer = RecordWriter.start(file)
        writer.write(SECRET[:1000])
        position, records = file.tell(), writer.index
    with store.open_for_append(key, position) as file:
        writer = RecordWriter.resume(file, records)
        writer.write(SECRET[1000:70_000])
        writer.write(SECRET[70_000:], last=True)
    assert read_all(store, key) == SECRET
    with SealedFile(store.open_for_reading(key)) as sealed:
        assert sealed.read_at(999, 3) == SECRET[999:1002]


def test_it_refuses_a_changed_byte(store):
    key = seal(store, SECRET)
    path = store._path(key)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(Tampered):
        read_all(store, key)


def test_it_refuses_a_file_cut_short_at_a_record_boundary(store):
    key = seal(store, SECRET)
    path = store._path(key)
    with SealedFile(store.open_for_reading(key)) as sealed:
        _, _, position, length, _ = sealed.records()[1]
    path.write_bytes(path.read_bytes()[:position + length])
    with pytest.raises(Tampered):
        read_all(store, key)


def test_it_refuses_records_swapped(store):
    key = seal(store, SECRET[:3 * RECORD_SIZE])
    path = store._path(key)
    with SealedFile(store.open_for_reading(key)) as sealed:
        records = sealed.records()
    data = path.read_bytes()
    first = data[records[0][2] - 4: records[0][2] + records[0][3]]
    second = data[records[1][2] - 4: records[1][2] + records[1][3]]
    path.write_bytes(data[:records[0][2] - 4] + second + first + data[records[1][2] + records[1][3]:])
    with pytest.raises(Tampered):
        read_all(store, key)


def test_it_needs_the_configured_keys(store, make_app):
    key = seal(store, SECRET)
    from cryptography.fernet import Fernet

    other = make_app(PORCH_ENCRYPTION_KEYS=[Fernet.generate_key().decode()])
    with other.app_context(), pytest.raises(Tampered):
        read_all(store, key)


def test_it_refuses_a_storage_key_that_could_leave_the_directory(store):
    for key in ("../../etc/passwd", "a" * 31, "Z" * 32):
        with pytest.raises(ValueError):
            store.open_for_reading(key)
