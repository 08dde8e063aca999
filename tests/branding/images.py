"""Image files made for the tests: real encodings, including a decompression bomb built without ever holding its
pixels in memory."""

import io
import struct
import zlib

from PIL import Image


def png(width: int = 600, height: int = 200, colour: str = "#2e6b4f") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif(width: int = 800, height: int = 400) -> bytes:
    image = Image.new("RGB", (width, height), "#1f5f8b")
    exif = Image.Exif()
    exif[0x013B] = "Dr Secret Artist"  # Artist
    exif[0x010E] = "Taken at 12 Hidden Lane"  # ImageDescription
    exif[0x0112] = 6  # Orientation: rotated 90°
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (300, 300), (200, 30, 30, 255)).save(out, "WEBP")
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (40, 40)).save(out, "GIF")
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def png_bomb(side: int = 20_000) -> bytes:
    """A 1-bit PNG of side × side black pixels: a few hundred kilobytes that decode to side² bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
