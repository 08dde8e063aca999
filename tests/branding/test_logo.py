import io
import resource

import pytest
from PIL import Image

from app.branding.logo import LOGO_BOX, LogoRefused, prepare_logo
from tests.branding import images


def test_it_makes_a_small_png_within_the_fixed_box():
    logo = prepare_logo(images.png(1200, 400))
    image = Image.open(io.BytesIO(logo.png))
    assert image.format == "PNG"
    assert image.size == (192, 64)
    assert image.width <= LOGO_BOX[0] and image.height <= LOGO_BOX[1]
    assert len(logo.png) < 4_000


def test_it_strips_exif_and_keeps_the_picture_upright():
    logo = prepare_logo(images.jpeg_with_exif(800, 400))
    assert b"Dr Secret Artist" not in logo.png and b"Hidden Lane" not in logo.png and b"Exif" not in logo.png
    image = Image.open(io.BytesIO(logo.png))
    assert not image.getexif()
    assert not image.info.get("exif")
    assert image.height > image.width  # the orientation tag was applied, then dropped


def test_it_accepts_webp():
    assert prepare_logo(images.webp()).height == 64


@pytest.mark.parametrize("data", [images.SVG, images.gif(), b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\nbroken"])
def test_it_refuses_other_types_with_415(data):
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(data)
    assert refusal.value.status == 415


def test_it_refuses_more_than_2_mb_with_413():
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(b"\x89PNG" + b"\x00" * (2 * 1024 * 1024))
    assert refusal.value.status == 413


def test_it_refuses_a_decompression_bomb_without_decoding_it():
    bomb = images.png_bomb(20_000)
    assert len(bomb) < 2 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(bomb)
    assert refusal.value.status == 413
    assert "20,000 × 20,000" in refusal.value.message or "too many pixels" in refusal.value.message
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 50_000  # decoding it would take 400 MB


def test_it_refuses_an_image_just_over_the_pixel_limit():
    with pytest.raises(LogoRefused) as refusal:
        prepare_logo(images.png_bomb(4100))
    assert refusal.value.status == 413
