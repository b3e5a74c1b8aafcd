"""Languages: negotiation, switching, localizers for any locale, Babel date formatting."""

import datetime
import unicodedata
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from pyramid.config import Configurator
from pyramid.i18n import Localizer, TranslationStringFactory, make_localizer
from pyramid.path import AssetResolver
from pyramid.request import Request

from dimoskopio.config import AVAILABLE_LOCALES

TRANSLATION_DOMAIN = "dimoskopio"
LOCALE_COOKIE = "dimoskopio_locale"
LOCALE_NAMES = {"el": "Ελληνικά", "en": "English"}

_ = TranslationStringFactory(TRANSLATION_DOMAIN)
# The interface's languages as the interface names them in the visitor's language (LOCALE_NAMES
# name each in itself, for the language switcher).
LANGUAGE_LABELS = {"el": _("Greek"), "en": _("English")}

_TRANSLATION_DIRS = [AssetResolver().resolve("dimoskopio:locale").abspath()]
_localizers: dict[str, Localizer] = {}


# The centre's name as shipped; a centre that sets its own name shows it untranslated.
DEFAULT_CENTRE_NAME = _("Dimoskopio")


def centre_name(settings: dict[str, Any], localizer: Localizer) -> str:
    name = settings["dimoskopio.centre_name"]
    return localizer.translate(DEFAULT_CENTRE_NAME) if name == DEFAULT_CENTRE_NAME else name


def is_available_locale(locale_name: str | None) -> bool:
    return locale_name in AVAILABLE_LOCALES


def localizer_for(locale_name: str) -> Localizer:
    """A localizer for any supported locale, e.g. to write an email in the recipient's language."""
    if locale_name not in _localizers:
        _localizers[locale_name] = make_localizer(locale_name, _TRANSLATION_DIRS)
    return _localizers[locale_name]


def chosen_locale(request: Request) -> str | None:
    """The language the visitor picked with the switch, if any (needs no database)."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    return chosen if is_available_locale(chosen) else None


def negotiate_locale(request: Request) -> str:
    """The visitor's explicit choice, then their account's language, then the default (Greek)."""
    chosen = chosen_locale(request)
    if chosen is not None:
        return chosen
    user = getattr(request, "user", None)
    if user is not None and is_available_locale(user.locale):
        return user.locale
    return request.registry.settings["dimoskopio.default_locale"]


def format_datetime(
    value: datetime.datetime | None, locale_name: str, tz: ZoneInfo, format: str = "medium"
) -> str:
    if value is None:
        return ""
    if format == "short":
        # The short date of the language with a 24-hour time, as the centre writes times
        # everywhere (CLDR's short Greek time is "2:17 μ.μ.", which also ends a sentence badly).
        local = value.astimezone(tz)
        return f"{babel_dates.format_date(local.date(), format='short', locale=locale_name)}, {local:%H:%M}"
    return babel_dates.format_datetime(value, format=format, tzinfo=tz, locale=locale_name)


def format_date(value: datetime.date | datetime.datetime | None, locale_name: str,
                tz: ZoneInfo, format: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.astimezone(tz).date()
    return babel_dates.format_date(value, format=format, locale=locale_name)


_GREEK_TO_LATIN = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}


_GREEK_DIGRAPHS = {"ου": "ou", "αυ": "av", "ευ": "ev", "γγ": "ng", "γκ": "gk", "γχ": "nch"}


def transliterate(text: str) -> str:
    """Greek to Latin letters for addresses and slugs (ELOT 743, simplified); drops other symbols."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(ch) != "Mn"
    )
    for digraph, latin in _GREEK_DIGRAPHS.items():
        plain = plain.replace(digraph, latin)
    return "".join(_GREEK_TO_LATIN.get(ch, ch) for ch in plain if ch.isalnum() or ch in "._-")


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    config.registry["timezone"] = ZoneInfo(settings["dimoskopio.timezone"])
    config.add_translation_dirs("dimoskopio:locale")
    config.set_locale_negotiator(negotiate_locale)
