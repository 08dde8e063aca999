"""Template filters: times in the viewer's zone, money with its currency."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency
from flask import Flask

LOCALE = "en_US"


def local_day(moment: datetime, time_zone: str) -> str:
    return format_date(moment.astimezone(ZoneInfo(time_zone)), "EEEE d MMMM", locale=LOCALE)


def local_time(moment: datetime, time_zone: str) -> str:
    return format_time(moment.astimezone(ZoneInfo(time_zone)), "h:mm a", locale=LOCALE)


def local_date(moment: datetime, time_zone: str) -> str:
    return long_date(moment.astimezone(ZoneInfo(time_zone)).date())


def local_datetime(moment: datetime, time_zone: str) -> str:
    return format_datetime(moment, "d MMM yyyy, h:mm a zzz", tzinfo=ZoneInfo(time_zone), locale=LOCALE)


def machine_datetime(moment: datetime) -> str:
    """For `<time datetime>`: ISO 8601 to the second (HTML allows at most three fractional digits)."""
    return moment.isoformat(timespec="seconds")


def long_date(day: date) -> str:
    return format_date(day, "d MMMM yyyy", locale=LOCALE)


def money(cents: int, currency: str) -> str:
    return format_currency(cents / 100, currency, locale=LOCALE)


def init_app(app: Flask) -> None:
    for fn in (local_day, local_time, local_date, local_datetime, machine_datetime, long_date, money):
        app.add_template_filter(fn)
