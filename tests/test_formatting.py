"""Dates and times as the reader sees them: the year when it is not this year, the zone when it is not theirs."""

from datetime import UTC, datetime

from app import clock
from app.formatting import local_day, local_time

IN_2026 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
FRIDAY_3_JANUARY_2025 = datetime(2025, 1, 3, 15, 0, tzinfo=UTC)


def test_it_leaves_out_the_year_of_a_day_this_year():
    clock.freeze(IN_2026)
    assert local_day(datetime(2026, 12, 8, 15, 0, tzinfo=UTC), "America/New_York") == "Tuesday 8 December"


def test_it_shows_the_year_of_a_day_in_another_year():
    clock.freeze(IN_2026)
    assert local_day(FRIDAY_3_JANUARY_2025, "America/New_York") == "Friday 3 January 2025"
    assert local_day(datetime(2027, 1, 5, 15, 0, tzinfo=UTC), "America/New_York") == "Tuesday 5 January 2027"


def test_it_takes_this_year_where_the_reader_is():
    clock.freeze(datetime(2027, 1, 1, 3, 0, tzinfo=UTC))  # already 2027 in London, still 2026 in New York
    new_years_eve = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)
    assert local_day(new_years_eve, "America/New_York") == "Thursday 31 December"
    assert local_day(new_years_eve, "Europe/London") == "Thursday 31 December 2026"


def test_it_shows_a_time_without_a_zone_to_a_viewer_in_that_zone():
    assert local_time(FRIDAY_3_JANUARY_2025, "America/New_York", viewer_zone="America/New_York") == "10:00 AM"


def test_it_says_the_zone_when_the_viewer_is_in_another_one():
    in_berlin = local_time(FRIDAY_3_JANUARY_2025, "Europe/Berlin", viewer_zone="America/New_York")
    in_new_york = local_time(FRIDAY_3_JANUARY_2025, "America/New_York", viewer_zone="Europe/Berlin")
    assert (in_berlin, in_new_york) == ("4:00 PM Berlin time", "10:00 AM New York time")


def test_it_leaves_out_a_zone_whose_clocks_show_the_same_time():
    assert local_time(FRIDAY_3_JANUARY_2025, "America/Toronto", viewer_zone="America/New_York") == "10:00 AM"


def test_it_says_no_zone_where_there_is_no_viewer():
    """E-mails are rendered by jobs, outside any request; they name the zone in their own words."""
    assert local_time(FRIDAY_3_JANUARY_2025, "Europe/Berlin") == "4:00 PM"
