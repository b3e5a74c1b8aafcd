"""The iCalendar writer: the same bytes as icalendar's own, folded a line at a time."""

import datetime
import random

import pytest
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from events.calendar import FOLD_AT, serialize

# Greek, escapes that must not be split from what they escape, 2-, 3- and 4-octet characters.
ALPHABET = "abcxyz ΑαΆάΣσςΐΰώ,;:\\\"^\n€𝄞✓-" + "Ηράκλειο "


def _text(generator: random.Random, length: int) -> str:
    return "".join(generator.choice(ALPHABET) for _ in range(length))


def _calendar(generator: random.Random) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//test//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _text(generator, generator.randrange(0, 200)).replace("\n", " "))
    for number in range(5):
        component = CalendarEvent()
        component.add("uid", f"event-{number}@example.org")
        component.add("dtstamp", datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC))
        component.add("summary", _text(generator, generator.randrange(0, 300)))
        component.add("description", _text(generator, generator.randrange(0, 900)))
        component.add("location", _text(generator, generator.randrange(60, 90)))
        component.add("categories", [_text(generator, 40), _text(generator, 40)])
        calendar.add_component(component)
    return calendar


@pytest.mark.parametrize("seed", range(40))
def test_serialize_writes_what_icalendar_writes(seed: int) -> None:
    calendar = _calendar(random.Random(seed))
    assert serialize(calendar) == calendar.to_ical()


def test_folded_lines_stay_under_the_limit_and_unfold_to_the_text() -> None:
    calendar = _calendar(random.Random(7))
    written = serialize(calendar)
    for line in written.split(b"\r\n"):
        assert len(line) <= FOLD_AT  # RFC 5545: at most 75 octets, a fold's space included
        line.decode()  # no character is cut in two
    assert Calendar.from_ical(written) == Calendar.from_ical(calendar.to_ical())


@pytest.mark.parametrize("position", range(70, 78))
def test_an_escape_is_never_split_from_the_character_it_escapes(position: int) -> None:
    component = CalendarEvent()
    component.add("summary", "x" * (position - len("SUMMARY:")) + ";" + "y" * 100)
    written = serialize(component)
    assert b"\\\r\n " not in written
    assert written == component.to_ical()
