"""Brand colours a client can read: white text on the colour (buttons, the logo mark) and the colour as text on
white pages (links) both need WCAG AA contrast, which is the same ratio either way round."""

import colorsys
import re

AA_CONTRAST = 4.5
WHITE = "#ffffff"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of a #rrggbb colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_with_white(colour: str) -> bool:
    return contrast(colour, WHITE) >= AA_CONTRAST


def nearest_readable(colour: str) -> str:
    """The same hue and saturation, only as much darker as white text on it needs."""
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    low, high = 0.0, lightness  # lightness 0 (black) always passes; find the lightest that does
    for _ in range(30):
        middle = (low + high) / 2
        if readable_with_white(_hex(colorsys.hls_to_rgb(hue, middle, saturation))):
            low = middle
        else:
            high = middle
    found = _hex(colorsys.hls_to_rgb(hue, low, saturation))
    return found if readable_with_white(found) else "#000000"


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in rgb)
