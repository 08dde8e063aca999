import pytest

from app.branding.colours import WHITE, contrast, nearest_readable, readable_with_white, relative_luminance


def test_it_computes_the_wcag_luminance_of_black_and_white():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert contrast("#000000", WHITE) == pytest.approx(21)


@pytest.mark.parametrize(("colour", "ratio"), [("#767676", 4.54), ("#777777", 4.48), ("#1f5f8b", 6.84)])
def test_it_matches_known_contrast_ratios(colour, ratio):
    assert contrast(colour, WHITE) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize("colour", ["#ffcc00", "#ff0000", "#00ff00", "#ffffff", "#87ceeb"])
def test_it_suggests_the_lightest_colour_of_the_same_hue_that_passes(colour):
    suggestion = nearest_readable(colour)
    assert readable_with_white(suggestion)
    assert contrast(suggestion, WHITE) < 4.7  # no darker than it needs to be


def test_it_leaves_a_readable_colour_as_it_is():
    assert nearest_readable("#1f5f8b") == "#1f5f8b"
