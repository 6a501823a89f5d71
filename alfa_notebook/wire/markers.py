"""Inline objects in message text: ```` ```{"type": "output_artifact", "artifact_id": ...}``` ````.

The service embeds JSON objects in fenced blocks anywhere in the text, mid-sentence included
(docs/protocol.md, Inline objects); artifacts are one kind, stocks another, and more may come. The text is split once into plain strings and
:class:`InlineObject` pieces, keeping each piece's span in the raw text so that citation offsets,
which count raw characters, can still be placed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# A fenced block holding one JSON object; an optional "json" tag, any whitespace inside.
_BLOCK = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)


@dataclass(frozen=True, slots=True)
class InlineObject:
    type: str
    data: dict[str, Any]
    start: int
    end: int

    @property
    def artifact_id(self) -> str | None:
        if self.type == "output_artifact":
            value = self.data.get("artifact_id")
            return str(value) if value is not None else None
        return None

    def as_text(self) -> str:
        """How the object reads in plain prose: a stock by its symbol, anything else by nothing."""
        if self.type == "stock":
            return str(self.data.get("symbol") or self.data.get("company_name") or "")
        return ""


Piece = str | InlineObject


def split(text: str) -> list[Piece]:
    """Split ``text`` into prose strings and the inline objects between them, in order.

    A fenced block that is not a JSON object with a string ``type`` stays in the prose untouched.
    """
    if "```" not in text:  # the common case costs one scan
        return [text] if text else []
    pieces: list[Piece] = []
    cursor = 0
    for match in _BLOCK.finditer(text):
        obj = _parse(match.group(1))
        if obj is None:
            continue
        if match.start() > cursor:
            pieces.append(text[cursor : match.start()])
        pieces.append(InlineObject(obj["type"], obj, match.start(), match.end()))
        cursor = match.end()
    if cursor < len(text):
        pieces.append(text[cursor:])
    return pieces


def _parse(body: str) -> dict[str, Any] | None:
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return None
    if isinstance(obj, dict) and isinstance(obj.get("type"), str):
        return obj
    return None


def artifact_ids(text: str) -> list[str]:
    """The artifact ids announced in ``text``, in order of appearance, without repeats."""
    ids = (p.artifact_id for p in split(text) if isinstance(p, InlineObject))
    return list(dict.fromkeys(i for i in ids if i))


def plain_text(text: str) -> str:
    """``text`` with artifact markers removed and other inline objects written as prose."""
    return "".join(p if isinstance(p, str) else p.as_text() for p in split(text))
