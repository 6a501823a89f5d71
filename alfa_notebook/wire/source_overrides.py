"""Which data sources an answer may draw on: the ``source_overrides`` of a message, validated.

The service takes, per message, an object with any of :data:`SOURCE_NAMES` set to
``"all_sources"`` or ``"off"``, plus ``update_default_settings`` (true: the overrides also become
the account's default). Sources left out keep the account's default. It is sent as a JSON *string*
in the ``source_overrides`` form field (:func:`alfa_notebook.wire.operations.send_message`).

Short spellings, for the magic's ``--sources web=off,filings=on``: ``web`` is ``web_search``,
``scraping`` ``web_scraping``; ``on`` is ``all_sources``. Anything else is refused with one line
naming the known names, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ConfigurationError

SOURCE_NAMES = ("web_search", "web_scraping", "filings", "earnings", "news")
SOURCE_VALUES = ("all_sources", "off")
UPDATE_DEFAULT = "update_default_settings"

SHORT_NAMES: Mapping[str, str] = {"web": "web_search", "scraping": "web_scraping"}
SHORT_VALUES: Mapping[str, str] = {"on": "all_sources"}
_TRUE, _FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})


def _name(name: Any) -> str:
    text = str(name).strip().lower()
    text = SHORT_NAMES.get(text, text)
    if text not in SOURCE_NAMES and text != UPDATE_DEFAULT:
        raise ConfigurationError(
            f"unknown source {name!r}: the sources are {', '.join(SOURCE_NAMES)} "
            f"(web and scraping for short), plus {UPDATE_DEFAULT}"
        )
    return text


def _value(name: str, value: Any) -> str | bool:
    if name == UPDATE_DEFAULT:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ConfigurationError(f"{UPDATE_DEFAULT} is true or false, not {value!r}")
    text = str(value).strip().lower() if isinstance(value, str) else value
    text = SHORT_VALUES.get(text, text) if isinstance(text, str) else text
    if text not in SOURCE_VALUES:
        raise ConfigurationError(f"source {name} is 'all_sources' (or 'on') or 'off', not {value!r}")
    return str(text)


def source_overrides(sources: Mapping[str, Any] | str | None) -> dict[str, str | bool] | None:
    """``sources`` (a mapping, or text like ``"web=off,filings=on"``) as the service's
    ``source_overrides`` object, full names and values; None or empty for no overrides."""
    if sources is None:
        return None
    if isinstance(sources, str):
        sources = parse_sources(sources)
    if not isinstance(sources, Mapping):
        raise ConfigurationError(f"sources is a dict such as {{'web_search': 'off'}}, not {sources!r}")
    overrides: dict[str, str | bool] = {}
    for name, value in sources.items():
        full = _name(name)
        overrides[full] = _value(full, value)
    return overrides or None


def parse_sources(text: str) -> dict[str, str]:
    """``"web=off, filings=on"`` as ``{"web": "off", "filings": "on"}`` (names checked later)."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, value = item.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ConfigurationError(f"--sources takes name=value pairs such as web=off,filings=on, not {item!r}")
        pairs[name.strip()] = value.strip()
    return pairs
