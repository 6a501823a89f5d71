"""Where a column's unit lives: ``units="attrs"`` (the default) or ``units="label"``.

By default a column keeps its label ("Market cap") and its unit is in
``attrs["alfa_columns"][label]["unit"]``. ``attrs`` do not survive everything (``merge`` and
``concat`` of frames with different attrs drop them), so ``units="label"`` writes the unit into the
label as well, "Market cap (USD bn)", where every pandas operation, CSV and parquet keep it. Values
are never rescaled: a cell reads in the unit its label names.
"""

from __future__ import annotations

from typing import Any

from ...wire.errors import ConfigurationError

UNIT_MODES = ("attrs", "label")
DEFAULT_UNITS = "attrs"


def check_units(mode: Any) -> str:
    if mode not in UNIT_MODES:
        raise ConfigurationError(f"units {mode!r} is not one of {', '.join(map(repr, UNIT_MODES))}")
    return str(mode)


def unit_label(label: str, unit: Any) -> str:
    """``label`` with its unit: "Market cap (USD bn)"; unchanged when it has none or says it already."""
    if not isinstance(unit, str) or not unit.strip() or label.endswith(f"({unit})"):
        return label
    return f"{label} ({unit})"
