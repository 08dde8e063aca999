"""Which files Porch accepts, told by their content (never by their name or the browser's word), and how big.

A file is refused with a status and a sentence a client understands: wrong type (415), too large (413),
empty or cut short (422).
"""

import struct
from collections.abc import Callable
from typing import NamedTuple

import filetype
from flask import current_app


class FileType(NamedTuple):
    name: str  # as the upload page names it
    extension: str  # what a downloaded copy's name ends with
    inline: bool  # shown in the browser when opened; otherwise always downloaded


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
RTF = "application/rtf"
ACCEPTED = {
    "application/pdf": FileType("PDF", ".pdf", inline=False),
    DOCX: FileType("Word (.docx)", ".docx", inline=False),
    ODT: FileType("OpenDocument (.odt)", ".odt", inline=False),
    RTF: FileType("RTF", ".rtf", inline=False),
    "image/jpeg": FileType("JPEG", ".jpg", inline=True),
    "image/png": FileType("PNG", ".png", inline=True),
    "image/heic": FileType("HEIC", ".heic", inline=False),
    "image/webp": FileType("WebP", ".webp", inline=True),
    "video/mp4": FileType("MP4", ".mp4", inline=True),
    "video/quicktime": FileType("MOV", ".mov", inline=True),
    "video/webm": FileType("WebM", ".webm", inline=True),
    "text/plain": FileType("plain text", ".txt", inline=True),
}
_NAMES = [kind.name for kind in ACCEPTED.values()]
ACCEPTED_NAMES = ", ".join(_NAMES[:-1]) + " or " + _NAMES[-1]
SNIFF_SIZE = 4096
ZIP_ENTRY = b"PK\x03\x04"
ZIP_END = b"PK\x05\x06"
TEXT_CONTROLS = set(range(32)) - {9, 10, 12, 13}
ReadAt = Callable[[int, int], bytes]


class Refused(Exception):
    """The file can't be kept; `status` is the HTTP answer and the message says why, in plain words."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.2f}".rstrip("0").rstrip(".") + " MB"


def bare_file_name(name: str | None) -> str:
    """A file's name as a device gave it, without its folders or any control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable())


def document_limit() -> int:
    return current_app.config["PORCH_DOCUMENT_MAX_BYTES"]


def video_limit() -> int:
    return current_app.config["PORCH_VIDEO_MAX_BYTES"]


def largest_limit() -> int:
    return max(document_limit(), video_limit())


def limit_for(content_type: str) -> int:
    return video_limit() if content_type.startswith("video/") else document_limit()


def limits_sentence() -> str:
    return (f"{ACCEPTED_NAMES} files; documents and photos up to {megabytes(document_limit())}, "
            f"videos up to {megabytes(video_limit())}.")


def sniff(head: bytes) -> str | None:
    """The accepted type these first bytes show, or None."""
    if head.startswith(ZIP_ENTRY):
        return _zipped_document(head)
    guess = filetype.guess(head)
    if guess is not None:
        return guess.mime if guess.mime in ACCEPTED else None
    return "text/plain" if _looks_like_text(head) else None


def _zipped_document(head: bytes) -> str | None:
    """A word-processor document in a zip container: ODF names itself in a first, stored `mimetype` entry;
    OOXML has a `word/` part among its first entries. Any other zip is refused."""
    names = _entry_names(head)
    if names[:1] == [b"mimetype"] and head[38:38 + len(ODT)] == ODT.encode():
        return ODT
    if any(name.startswith(b"word/") for name in names) and b"mimetype" not in names:
        return DOCX
    return None


def _entry_names(head: bytes) -> list[bytes]:
    """The names of the zip entries whose local headers fall within `head`."""
    names, at = [], 0
    while (at := head.find(ZIP_ENTRY, at)) != -1 and at + 30 <= len(head):
        (length,) = struct.unpack("<H", head[at + 26:at + 28])
        names.append(head[at + 30:at + 30 + length])
        at += 30
    return names


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 without control characters, and not markup (HTML, SVG and XML are never plain text here)."""
    if not head or any(byte in TEXT_CONTROLS for byte in head):
        return False
    if head.lstrip(b"\xef\xbb\xbf \t\r\n\f").startswith(b"<"):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # only a character cut in two at the end of the sample
    return True


def check_type_and_size(head: bytes, size: int) -> str:
    """The file's type, from its first bytes; Refused if it is empty, of a type we don't take or too large."""
    if size == 0:
        raise Refused(422, "This file is empty. Choose another file.")
    content_type = sniff(head)
    if content_type is None:
        raise Refused(415, f"This kind of file can't be sent here. Send a {ACCEPTED_NAMES} file.")
    if size > limit_for(content_type):
        kind = "a video" if content_type.startswith("video/") else "a document or photo"
        raise Refused(413, f"This file is {megabytes(size)}; the most this portal accepts for {kind} is "
                           f"{megabytes(limit_for(content_type))}.")
    return content_type


def check_complete(content_type: str, size: int, read_at: ReadAt) -> None:
    """Refused (422) when the file ends before its own structure says it should: an upload cut short."""
    complete = COMPLETENESS.get(content_type, lambda size, read_at: True)
    try:
        whole = complete(size, read_at)
    except (struct.error, ValueError, IndexError):
        whole = False
    if not whole:
        raise Refused(422, "This file seems to be cut short (incomplete or damaged). Check that it opens on your "
                           "device, then upload it again.")


def _pdf(size: int, read_at: ReadAt) -> bool:
    return b"%%EOF" in read_at(max(size - 1024, 0), 1024)


def _zip_members(size: int, read_at: ReadAt) -> set[bytes]:
    """The names in a zip's central directory; empty if the file ends before its end record says it should."""
    tail_size = min(size, 22 + 65_535)
    tail = read_at(size - tail_size, tail_size)
    end = tail.rfind(ZIP_END)
    if end == -1 or end + 22 > len(tail):
        return set()
    directory_size, directory_at = struct.unpack("<II", tail[end + 12:end + 20])
    if directory_at + directory_size != size - tail_size + end:
        return set()
    directory, names, at = read_at(directory_at, directory_size), set(), 0
    while directory[at:at + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack("<HHH", directory[at + 28:at + 34])
        names.add(directory[at + 46:at + 46 + name_length])
        at += 46 + name_length + extra_length + comment_length
    return names


def _docx(size: int, read_at: ReadAt) -> bool:
    return {b"[Content_Types].xml", b"word/document.xml"} <= _zip_members(size, read_at)


def _odt(size: int, read_at: ReadAt) -> bool:
    return {b"mimetype", b"content.xml"} <= _zip_members(size, read_at)


def _rtf(size: int, read_at: ReadAt) -> bool:
    return read_at(max(size - 64, 0), 64).rstrip(b"\x00\r\n ").endswith(b"}")


def _jpeg(size: int, read_at: ReadAt) -> bool:
    return read_at(max(size - 64, 0), 64).rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")


def _png(size: int, read_at: ReadAt) -> bool:
    return read_at(max(size - 12, 0), 12) == b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _webp(size: int, read_at: ReadAt) -> bool:
    (riff_size,) = struct.unpack("<I", read_at(4, 4))
    return riff_size + 8 <= size


def _boxes(size: int, read_at: ReadAt) -> list[bytes] | None:
    """The top-level ISO-BMFF box types (MP4, MOV, HEIC), or None if the last box runs past the end."""
    position, found = 0, []
    while position < size:
        header = read_at(position, 16)
        (length,), kind = struct.unpack(">I", header[:4]), header[4:8]
        if length == 1:
            (length,) = struct.unpack(">Q", header[8:16])
        elif length == 0:
            length = size - position
        if length < 8:
            return None
        found.append(kind)
        position += length
    return found if position == size else None


def _movie(size: int, read_at: ReadAt) -> bool:
    return b"moov" in (_boxes(size, read_at) or [])


def _heic(size: int, read_at: ReadAt) -> bool:
    return b"meta" in (_boxes(size, read_at) or [])


def _vint(data: bytes, at: int) -> tuple[int, int, bool]:
    """An EBML variable-length number at `at`: (value, its length, whether it means 'unknown')."""
    first = data[at]
    length = 8 - first.bit_length() + 1
    if length > 8:
        raise ValueError("not an EBML number")
    value = first & (0xFF >> length)
    for byte in data[at + 1: at + length]:
        value = (value << 8) | byte
    return value, length, value == (1 << (7 * length)) - 1


def _webm(size: int, read_at: ReadAt) -> bool:
    header_size, length, _ = _vint(read_at(4, 8), 0)
    segment_at = 4 + length + header_size
    top = read_at(segment_at, 12)
    if top[:4] != b"\x18\x53\x80\x67":
        return False
    segment_size, length, unknown = _vint(top, 4)
    return unknown or segment_at + 4 + length + segment_size <= size


COMPLETENESS = {
    "application/pdf": _pdf,
    DOCX: _docx,
    ODT: _odt,
    RTF: _rtf,
    "image/jpeg": _jpeg,
    "image/png": _png,
    "image/webp": _webp,
    "image/heic": _heic,
    "video/mp4": _movie,
    "video/quicktime": _movie,
    "video/webm": _webm,
}
