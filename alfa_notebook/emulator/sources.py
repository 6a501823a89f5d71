"""The data sources an answer may draw on, and which citation types each one yields.

``POST .../messages`` takes ``source_overrides``, a JSON *string* holding an object: each of
:data:`SOURCE_KEYS` set to ``"all_sources"`` or ``"off"``, plus ``update_default_settings``
(boolean): when true, the overrides also become the account's default for later messages. Keys
left out keep the account's default (every source on until changed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SOURCE_KEYS = ("web_search", "web_scraping", "filings", "earnings", "news")
ON, OFF = "all_sources", "off"
VALUES = (ON, OFF)
UPDATE_DEFAULT = "update_default_settings"

CITATION_SOURCE: Mapping[str, str] = {
    "web": "web_search",
    "news_development": "news",
    "news_article": "news",
    "company_filing": "filings",
    "earnings_summary": "earnings",
    "earnings_transcript": "earnings",
}
"""The source a citation type comes from; the others (``kpi``, ``theme``, ``custom_doc``) come
from the sample data set, the research note and the user's files, which no override turns off.
``web_scraping`` yields no citation of its own in the emulator: it is accepted and recorded."""


@dataclass(frozen=True)
class Sources:
    """Each source key: on (``all_sources``) or off."""

    settings: tuple[tuple[str, str], ...] = tuple((key, ON) for key in SOURCE_KEYS)

    def as_json(self) -> dict[str, str]:
        return dict(self.settings)

    def is_on(self, key: str) -> bool:
        return self.as_json()[key] == ON

    def allows(self, citation_type: str) -> bool:
        """Whether a citation of ``citation_type`` may appear in an answer under these settings."""
        source = CITATION_SOURCE.get(citation_type)
        return source is None or self.is_on(source)

    @property
    def off(self) -> list[str]:
        return [key for key, value in self.settings if value == OFF]

    def overridden(self, overrides: Mapping[str, str]) -> Sources:
        settings = self.as_json()
        settings.update(overrides)
        return Sources(tuple((key, settings[key]) for key in SOURCE_KEYS))


ALL_ON = Sources()


@dataclass(frozen=True)
class SourceOverrides:
    """A message's validated ``source_overrides``."""

    settings: Mapping[str, str]
    update_default: bool | None = None
    """``update_default_settings`` (None: not given, which means false)."""


NO_OVERRIDES = SourceOverrides({})
