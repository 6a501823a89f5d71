"""Benchmark padding: an answer made about N words long (the ``words=N`` control)."""

from __future__ import annotations

import dataclasses

from .engine import SYNTHETIC_FOOTER, Answer

_FILLER = [
    "revenue",
    "margin",
    "guidance",
    "demand",
    "pricing",
    "backlog",
    "capacity",
    "inventory",
    "supply",
    "valuation",
    "momentum",
    "dividend",
    "buyback",
    "leverage",
    "liquidity",
    "outlook",
]
_FILLER_LINE = 16
_PADDING_HEADING = "### Appendix: benchmark padding\n\n"


def pad_to_words(answer: Answer, words: int) -> Answer:
    """The answer stretched to about ``words`` word chunks (``words=N``), footer kept last."""
    footer = SYNTHETIC_FOOTER + "\n"
    missing = words - len(answer.text.split()) - len(_PADDING_HEADING.split())
    if missing <= 0:
        return answer
    filler = [_FILLER[i % len(_FILLER)] for i in range(missing)]
    lines = (" ".join(filler[i : i + _FILLER_LINE]) for i in range(0, missing, _FILLER_LINE))
    padding = _PADDING_HEADING + "\n".join(lines) + "\n\n"
    return dataclasses.replace(answer, text=answer.text.removesuffix(footer) + padding + footer)
