"""A campaign's timeline: hours or days in the centre's time, empty ones included, first opens only."""

import datetime
from zoneinfo import ZoneInfo

from mailing.stats import bucket_events

ATHENS = ZoneInfo("Europe/Athens")
UTC = datetime.UTC
START = datetime.datetime(2026, 11, 20, 8, 30, tzinfo=UTC)  # 10:30 in Athens


def after(**delta):
    return START + datetime.timedelta(**delta)


def counts(timeline):
    return [(bucket.delivered, bucket.opened, bucket.clicked) for bucket in timeline.buckets]


def test_no_events_no_buckets():
    timeline = bucket_events(START, [], ATHENS)
    assert timeline.buckets == []
    assert timeline.largest == 0


def test_hourly_from_the_start_with_empty_hours_and_first_opens_only():
    timeline = bucket_events(START, [
        ("delivered", 1, after(minutes=40)),  # 11:10
        ("open", 1, after(minutes=50)),
        ("open", 1, after(hours=2)),  # the same person again: not counted
        ("click", 1, after(hours=2, minutes=5)),
        ("click", 1, after(hours=2, minutes=6)),  # every click counts
        ("open", 2, after(hours=2, minutes=10)),
    ], ATHENS)

    assert timeline.hourly
    assert [bucket.start for bucket in timeline.buckets] == [
        datetime.datetime(2026, 11, 20, hour, tzinfo=ATHENS) for hour in (10, 11, 12)]
    assert counts(timeline) == [(0, 0, 0), (1, 1, 0), (0, 1, 2)]
    assert timeline.largest == 2
    assert timeline.labels("el") == ["20/11 10:00", "20/11 11:00", "20/11 12:00"]
    assert timeline.labels("en") == ["11/20 10:00", "11/20 11:00", "11/20 12:00"]


def test_seventy_two_hours_are_hourly_a_minute_more_daily():
    exactly = bucket_events(START, [("delivered", 1, after(hours=72))], ATHENS)
    assert exactly.hourly
    assert len(exactly.buckets) == 73

    longer = bucket_events(START, [("delivered", 1, after(hours=72, minutes=1))], ATHENS)
    assert not longer.hourly
    assert [bucket.start.date() for bucket in longer.buckets] == [
        datetime.date(2026, 11, day) for day in (20, 21, 22, 23)]
    assert counts(longer) == [(0, 0, 0)] * 3 + [(1, 0, 0)]
    assert longer.labels("el") == ["20 Νοε", "21 Νοε", "22 Νοε", "23 Νοε"]


def test_days_are_the_centres_days():
    # 23:30 UTC on the 20th is already the 21st in Athens.
    timeline = bucket_events(START, [("delivered", 1, after(days=3, hours=1)),
                                     ("open", 1, datetime.datetime(2026, 11, 20, 23, 30, tzinfo=UTC))], ATHENS)
    assert counts(timeline) == [(0, 0, 0), (0, 1, 0), (0, 0, 0), (1, 0, 0)]


def test_the_hour_that_happens_twice_when_the_clocks_go_back_is_two_buckets():
    # 25 October 2026: at 04:00 the clocks go back to 03:00 in Athens.
    start = datetime.datetime(2026, 10, 24, 23, 50, tzinfo=UTC)  # 02:50 local, summer time
    timeline = bucket_events(start, [
        ("delivered", 1, datetime.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # 03:30 summer time
        ("delivered", 2, datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),  # 03:30 winter time
        ("delivered", 3, datetime.datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),  # 04:30
    ], ATHENS)

    assert timeline.labels("el") == ["25/10 02:00", "25/10 03:00", "25/10 03:00", "25/10 04:00"]
    assert counts(timeline) == [(0, 0, 0), (1, 0, 0), (1, 0, 0), (1, 0, 0)]


def test_events_reported_before_the_recorded_start_still_count():
    timeline = bucket_events(START, [("delivered", 1, START - datetime.timedelta(minutes=45)),
                                     ("open", 1, after(minutes=5))], ATHENS)
    assert [bucket.start.hour for bucket in timeline.buckets] == [9, 10]
    assert counts(timeline) == [(1, 0, 0), (0, 1, 0)]


def test_a_campaign_without_a_recorded_start_begins_at_its_first_event():
    timeline = bucket_events(None, [("click", 1, START)], ATHENS)
    assert counts(timeline) == [(0, 0, 1)]
