"""The Greek catalog stays complete, correct and compilable; the language switch works.

When a test here fails after you added or changed a string, run `make extract-messages`,
translate the new entries in dimoskopio/locale/el/LC_MESSAGES/dimoskopio.po, then `make catalogs`.
"""

import gettext
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

try:  # Babel >= 2.16
    from babel.messages.frontend import parse_mapping_cfg
except ImportError:  # pragma: no cover - Babel 2.14 and 2.15
    from babel.messages.frontend import parse_mapping as parse_mapping_cfg

ROOT = Path(__file__).resolve().parent.parent.parent
LOCALE_DIR = ROOT / "dimoskopio" / "locale"
DOMAIN = "dimoskopio"
POT_PATH = LOCALE_DIR / f"{DOMAIN}.pot"
PO_PATH = LOCALE_DIR / "el" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# The same keywords as `make extract-messages` (added to Babel's defaults).
EXTRA_KEYWORDS = ["_", "gettext", "ngettext:1,2"]
HOW_TO_FIX = "run `make extract-messages`, translate the new entries in the el .po, then `make catalogs`"

# Pyramid mapping placeholders (${name}) and Jinja2/Python %-placeholders (%(name)s).
PLACEHOLDER = re.compile(r"\$\{[^}]*\}|%\([^)]*\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")

Key = tuple[str | tuple[str, ...], str | None]


def _read_catalog(path: Path) -> Catalog:
    with path.open("rb") as fileobj:
        return read_po(fileobj, abort_invalid=True)


def _entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def _key(message: Message) -> Key:
    msgid = tuple(message.id) if isinstance(message.id, list | tuple) else message.id
    return msgid, message.context


def _label(key: Key) -> str:
    msgid, context = key
    text = msgid if isinstance(msgid, str) else " | ".join(msgid)
    return f"{text!r}" + (f" (context {context!r})" if context else "")


@pytest.fixture(scope="module")
def extracted() -> set[Key]:
    """Extract the source strings in-process, exactly as babel.cfg tells `pybabel extract`."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, filename="babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}
    catalog = Catalog(domain=DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    keys = {_key(message) for message in _entries(catalog)}
    assert keys, "extraction found no translatable strings at all: is babel.cfg right?"
    return keys


@pytest.fixture(scope="module")
def el_catalog() -> Catalog:
    return _read_catalog(PO_PATH)


def test_every_source_string_is_in_the_greek_catalog(extracted: set[Key], el_catalog: Catalog) -> None:
    missing = extracted - {_key(message) for message in _entries(el_catalog)}
    assert not missing, f"strings missing from {PO_PATH.name} ({HOW_TO_FIX}):\n" + "\n".join(
        sorted(map(_label, missing))
    )


def test_catalogs_have_no_stale_entries(extracted: set[Key], el_catalog: Catalog) -> None:
    stale = {_key(message) for message in _entries(el_catalog)} - extracted
    assert not stale, "entries no longer in the code or templates (run `make extract-messages`):\n" + "\n".join(
        sorted(map(_label, stale))
    )


def test_template_matches_the_source(extracted: set[Key]) -> None:
    template = {_key(message) for message in _entries(_read_catalog(POT_PATH))}
    difference = template ^ extracted
    assert not difference, f"{POT_PATH.name} is out of date (run `make extract-messages`):\n" + "\n".join(
        sorted(map(_label, difference))
    )


def test_greek_catalog_header(el_catalog: Catalog) -> None:
    assert str(el_catalog.locale) == "el"
    assert el_catalog.charset.lower() == "utf-8"
    assert el_catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    assert not el_catalog.fuzzy, "a fuzzy header makes `pybabel compile` skip the whole catalog"


def test_every_greek_entry_is_translated_and_not_fuzzy(el_catalog: Catalog) -> None:
    problems = []
    for message in _entries(el_catalog):
        strings = message.string if message.pluralizable else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {_label(_key(message))}")
        elif message.pluralizable and len(strings) != el_catalog.num_plurals:
            problems.append(f"needs {el_catalog.num_plurals} plural forms: {_label(_key(message))}")
        elif not all(text and text.strip() for text in strings):
            problems.append(f"untranslated: {_label(_key(message))}")
    assert not problems, f"{PO_PATH.name} ({HOW_TO_FIX}):\n" + "\n".join(problems)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_translations_keep_the_placeholders(el_catalog: Catalog) -> None:
    problems = []
    for message in _entries(el_catalog):
        if message.pluralizable:
            singular, plural = (_placeholders(text) for text in message.id[:2])
            for index, text in enumerate(message.string):
                found = _placeholders(text or "")
                # The singular form may leave out the count ("One message"), never invent one.
                ok = found <= singular | plural if index == 0 else found == plural
                if not ok:
                    problems.append(f"{_label(_key(message))} form {index}: {sorted(found)}")
        elif message.string and _placeholders(message.string) != _placeholders(message.id):
            problems.append(
                f"{_label(_key(message))}: expected {sorted(_placeholders(message.id))}, "
                f"got {sorted(_placeholders(message.string))} in {message.string!r}"
            )
    assert not problems, "placeholders differ between msgid and msgstr:\n" + "\n".join(problems)


def test_greek_catalog_compiles(el_catalog: Catalog) -> None:
    errors = [
        f"{_label(_key(message))}: {'; '.join(map(str, message_errors))}"
        for message, message_errors in el_catalog.check()
    ]
    assert not errors, "Babel's checks failed:\n" + "\n".join(errors)
    buffer = io.BytesIO()
    write_mo(buffer, el_catalog)
    buffer.seek(0)
    translations = gettext.GNUTranslations(buffer)
    assert translations.gettext("Events") == "Εκδηλώσεις"
    assert translations.gettext("Dimoskopio") == "Δημοσκόπιο"


# --- the language as visitors see it -------------------------------------------------------


def _require_compiled_catalog() -> None:
    if not MO_PATH.exists() or MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        pytest.fail(f"{MO_PATH.relative_to(ROOT)} is missing or older than the .po: run `make catalogs`")


def test_pages_are_greek_by_default(testapp) -> None:
    _require_compiled_catalog()
    page = testapp.get("/")
    assert '<html lang="el">' in page.text
    assert "Εκδηλώσεις" in page.text
    assert "Δημοσκόπιο" in page.text
    assert ">Events<" not in page.text


def test_language_switch_to_english_persists(testapp) -> None:
    _require_compiled_catalog()
    page = testapp.get("/events")
    form = page.forms[0]
    assert form.action == "/language"
    response = form.submit("locale", value="en")
    assert response.status_int == 303
    assert response.location.endswith("/events")
    assert testapp.cookies.get("dimoskopio_locale") == "en"

    english = response.follow()
    assert '<html lang="en">' in english.text
    assert "Upcoming events" in english.text
    assert "Εκδηλώσεις" not in english.text

    # The choice is a cookie: later requests stay in English until switched back.
    home = testapp.get("/")
    assert '<html lang="en">' in home.text
    assert ">Events<" in home.text
    assert "Εκδηλώσεις" not in home.text

    back = home.forms[0].submit("locale", value="el").follow()
    assert '<html lang="el">' in back.text
    assert "Εκδηλώσεις" in back.text


def test_unknown_language_is_rejected(testapp) -> None:
    _require_compiled_catalog()
    page = testapp.get("/")
    token = page.forms[0]["csrf_token"].value
    response = testapp.post("/language", {"locale": "xx", "csrf_token": token, "next": "/"}, status=400)
    assert "Άγνωστη γλώσσα." in response.text
    assert "dimoskopio_locale" not in testapp.cookies
