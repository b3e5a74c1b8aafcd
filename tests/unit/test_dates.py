"""Times are stored in UTC and shown in Europe/Athens, right on both sides of the clock changes."""

import datetime
from zoneinfo import ZoneInfo

from dimoskopio.i18n import format_date, format_datetime

ATHENS = ZoneInfo("Europe/Athens")
UTC = datetime.UTC


def test_times_are_shown_in_athens_across_the_march_switch():
    before = datetime.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)   # 02:30 EET
    after = datetime.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)    # 04:30 EEST
    assert format_datetime(before, "en", ATHENS, "HH:mm") == "02:30"
    assert format_datetime(after, "en", ATHENS, "HH:mm") == "04:30"


def test_times_are_shown_in_athens_across_the_october_switch():
    before = datetime.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 03:30 EEST
    after = datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)   # 03:30 EET, an hour later
    assert format_datetime(before, "en", ATHENS, "HH:mm zzzz") != format_datetime(after, "en", ATHENS, "HH:mm zzzz")
    assert format_datetime(after, "en", ATHENS, "HH:mm") == "03:30"


def test_dates_are_in_greek_with_greek_month_names():
    late_evening_utc = datetime.datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # already the 28th in Athens
    assert format_date(late_evening_utc, "el", ATHENS) == "28 Νοεμβρίου 2026"
    assert format_date(late_evening_utc, "en", ATHENS) == "November 28, 2026"
    assert format_datetime(None, "el", ATHENS) == ""


def test_short_date_and_time_use_the_24_hour_clock_in_both_languages():
    moment = datetime.datetime(2026, 12, 4, 12, 17, tzinfo=datetime.UTC)  # 14:17 in Heraklion

    assert format_datetime(moment, "el", ATHENS, "short") == "4/12/26, 14:17"
    assert format_datetime(moment, "en", ATHENS, "short") == "12/4/26, 14:17"
