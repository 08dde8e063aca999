"""Logos as the practice uploads them, made safe and small: the type told by content, the pixel count checked
before any decoding, re-encoded to one palette PNG of a fixed size with nothing of the original's metadata."""

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4096 * 4096
LOGO_BOX = (320, 64)  # twice the 160 × 32 it is shown at, for sharp screens
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
ACCEPTED_WORDS = "a PNG, JPEG or WebP image"
TOO_LARGE = "This file is larger than 2 MB, the most a logo may be. Choose a smaller image."

# Pillow's own guard against decompression bombs, at our limit: opening anything twice as large raises.
Image.MAX_IMAGE_PIXELS = LOGO_MAX_PIXELS


class LogoRefused(Exception):
    """Why the upload can't be a logo, in words for the practice, and the HTTP status that says so."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class PreparedLogo:
    png: bytes
    width: int
    height: int

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.png).hexdigest()[:16]


def prepare_logo(data: bytes) -> PreparedLogo:
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRefused(TOO_LARGE, 413)
    if not data:
        raise LogoRefused(f"This file is empty. Choose {ACCEPTED_WORDS}.", 415)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoRefused(_too_many_pixels(), 413) from None
    except (UnidentifiedImageError, OSError):
        raise LogoRefused(f"This file isn't {ACCEPTED_WORDS} (SVG and other types can't be used).", 415) from None
    with image:
        width, height = image.size
        if width * height > LOGO_MAX_PIXELS:
            raise LogoRefused(_too_many_pixels(width, height), 413)
        try:
            image.draft("RGB", (LOGO_BOX[0] * 2, LOGO_BOX[1] * 2))  # JPEG: decode at a fraction of the size
            upright = ImageOps.exif_transpose(image)
            upright = upright.convert("RGBA")
        except (OSError, ValueError, Image.DecompressionBombError):
            raise LogoRefused(f"This image is damaged or cut short. Choose {ACCEPTED_WORDS}.", 415) from None
    upright.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    small = upright.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    small.save(out, "PNG", optimize=True)  # a new image: no EXIF, ICC or text chunks of the upload survive
    return PreparedLogo(out.getvalue(), small.width, small.height)


def _too_many_pixels(width: int | None = None, height: int | None = None) -> str:
    size = f"This image is {width:,} × {height:,} pixels; " if width else "This image has too many pixels; "
    return size + "a logo may have at most 4096 × 4096. Choose a smaller image."
