"""Small, well-formed files of every accepted type (and broken ones), made here rather than shipped."""

import io
import struct
import zipfile
import zlib


def pdf(pages: int = 1) -> bytes:
    body = b"".join(b"%d 0 obj\n<< /Type /Page >>\nendobj\n" % (n + 3) for n in range(pages))
    return b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + body + b"trailer\n<< >>\n%%EOF\n"


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x2a\x7f\xc0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def jpeg(size: int = 2048) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * size + b"\xff\xd9"


def mp4(media_bytes: int = 4096, brand: bytes = b"isom", compatible: bytes = b"isommp41") -> bytes:
    def box(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", 8 + len(data)) + kind + data

    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + compatible)
    return ftyp + box(b"mdat", bytes(range(256)) * (media_bytes // 256)) + box(b"moov", b"\x00" * 100)


def mov(media_bytes: int = 4096) -> bytes:
    return mp4(media_bytes, brand=b"qt  ", compatible=b"qt  ")


def webp() -> bytes:
    data = b"WEBPVP8 " + struct.pack("<I", 10) + b"\x00" * 10
    return b"RIFF" + struct.pack("<I", len(data)) + data


def webm() -> bytes:
    header = b"\x42\x82\x84webm" + b"\x42\x87\x81\x02"
    ebml = b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header)]) + header
    segment_body = b"\x15\x49\xa9\x66\x80" * 4
    return ebml + b"\x18\x53\x80\x67" + bytes([0x80 | len(segment_body)]) + segment_body


def heic() -> bytes:
    ftyp = b"heic\x00\x00\x00\x00mif1heic"
    meta = b"\x00" * 24
    return (struct.pack(">I", 8 + len(ftyp)) + b"ftyp" + ftyp + struct.pack(">I", 8 + len(meta)) + b"meta" + meta
            + struct.pack(">I", 8 + 64) + b"mdat" + b"\x01" * 64)


def zipped(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            compression = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compression)
    return buffer.getvalue()


XML = b'<?xml version="1.0" encoding="UTF-8"?>'


def docx(content_types_first: bool = True) -> bytes:
    """As Word writes it ([Content_Types].xml first) or as LibreOffice does (it comes last)."""
    parts = [("_rels/.rels", XML + b"<Relationships/>"), ("docProps/app.xml", XML + b"<Properties/>"),
             ("word/document.xml", XML + b"<w:document><w:body><w:p/></w:body></w:document>")]
    types = ("[Content_Types].xml", XML + b"<Types/>")
    return zipped([types, *parts] if content_types_first else [*parts, types])


def xlsx() -> bytes:
    return zipped([("[Content_Types].xml", XML + b"<Types/>"), ("xl/workbook.xml", XML + b"<workbook/>")])


def odt() -> bytes:
    return zipped([("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", XML + b"<office/>"),
                   ("META-INF/manifest.xml", XML + b"<manifest/>")])


def rtf() -> bytes:
    return b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 Discharge summary, 2019.\\par}\n"


def text() -> bytes:
    return "Home exercises\n\n1. Wall squats, 3 × 10\n2. Calf raises — slow\n".encode()


def html() -> bytes:
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
