"""Template filters: times in the viewer's zone, money with its currency."""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency
from flask import Flask, has_request_context
from flask_login import current_user

from app import clock

LOCALE = "en_US"
# How a practice may have its amounts written (Settings → Billing); the names are each locale's own.
LOCALES = ("en_US", "en_CA", "fr_CA", "en_GB", "en_IE", "en_AU", "en_NZ", "de_DE", "fr_FR", "es_ES", "nl_NL")


def viewer_time_zone() -> str | None:
    """The zone of whoever is looking at the page; e-mails and jobs have no viewer (they say their zone)."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.time_zone
    return None


def local_day(moment: datetime, time_zone: str) -> str:
    """"Friday 3 January", with the year when it is not this year where the reader is."""
    zone = ZoneInfo(time_zone)
    local = moment.astimezone(zone)
    this_year = local.year == clock.now().astimezone(zone).year
    return format_date(local, "EEEE d MMMM" if this_year else "EEEE d MMMM yyyy", locale=LOCALE)


def local_time(moment: datetime, time_zone: str, viewer_zone: str | None = None) -> str:
    """"10:00 AM", and the zone ("4:00 PM Berlin time") when the viewer's clocks show another time."""
    zone = ZoneInfo(time_zone)
    local = moment.astimezone(zone)
    shown = format_time(local, "h:mm a", locale=LOCALE)
    viewer_zone = viewer_zone or viewer_time_zone()
    if viewer_zone and moment.astimezone(ZoneInfo(viewer_zone)).utcoffset() != local.utcoffset():
        shown += " " + format_datetime(moment, "VVV", tzinfo=zone, locale=LOCALE) + " time"
    return shown


def local_date(moment: datetime, time_zone: str) -> str:
    return long_date(moment.astimezone(ZoneInfo(time_zone)).date())


def local_datetime(moment: datetime, time_zone: str) -> str:
    return _minute_in_zone(moment.replace(second=0, microsecond=0), time_zone)


@lru_cache(maxsize=4096)
def _minute_in_zone(minute: datetime, time_zone: str) -> str:
    """Babel takes ~100 µs a call; a list or a batch of pushes shows the same few minutes many times."""
    return format_datetime(minute, "d MMM yyyy, h:mm a zzz", tzinfo=ZoneInfo(time_zone), locale=LOCALE)


def machine_datetime(moment: datetime) -> str:
    """For `<time datetime>`: ISO 8601 to the second (HTML allows at most three fractional digits)."""
    return moment.isoformat(timespec="seconds")


def long_date(day: date) -> str:
    return format_date(day, "d MMMM yyyy", locale=LOCALE)


def locale_name(locale: str) -> str:
    return Locale.parse(locale).get_display_name(locale)


def practice_locale() -> str:
    """The signed-in person's practice's locale; Porch's own where there is none (jobs, public pages)."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.workspace.locale
    return LOCALE


def money(cents: int, currency: str, locale: str | None = None) -> str:
    """An amount in minor units written the practice's way: "$95.00" (en_US), "95,00 $US" (fr_CA)."""
    return format_currency(cents / 100, currency, locale=locale or practice_locale())


def init_app(app: Flask) -> None:
    for fn in (local_day, local_time, local_date, local_datetime, machine_datetime, long_date, money):
        app.add_template_filter(fn)
