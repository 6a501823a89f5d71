"""The cassette file: JSON Lines, a header line with the format version, then one record a line.

Read whole, written whole and atomically (a temporary file beside it, then a rename), with every
line that did not change written back byte for byte: a new record adds one line to the diff. A
file that cannot be read is reported with its path and line number and is never written over.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..wire.errors import CassetteError

FORMAT_VERSION = 1
HEADER: dict[str, Any] = {
    "alfa_cassette": FORMAT_VERSION,
    "about": "alfa-notebook cassette: recorded Alfa turns and requests, one JSON record a line (docs/cassettes.md)",
}
KINDS = ("turn", "request")  # the key of a record that says what it records


def dump(record: dict[str, Any]) -> str:
    """One record as one line: compact, UTF-8, keys in the order the record was built in (fixed by
    the code that builds it, so the same record is always the same line)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def key_text(kind: str, key: dict[str, Any]) -> str:
    """A record's identity as text, for lookups: key order never matters here."""
    return json.dumps([kind, key], ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def read(path: Path) -> tuple[str, list[str], list[dict[str, Any]]]:
    """``(header line, record lines, records)`` of the file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{path} is not a cassette: it is not UTF-8 text ({exc.reason}). {_LEFT}")
    except OSError as exc:
        raise CassetteError(f"{path} cannot be read as a cassette: {exc.strerror or exc}.")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise CassetteError(f"{path} is empty, not a cassette (no header line). {_LEFT}")
    header = _parse(path, 1, lines[0])
    if "alfa_cassette" not in header:
        raise CassetteError(f"{path}, line 1: not a cassette header (no 'alfa_cassette' version). {_LEFT}")
    if header["alfa_cassette"] != FORMAT_VERSION:
        raise CassetteError(
            f"{path}, line 1: cassette format {header['alfa_cassette']!r}, but this alfa-notebook reads "
            f"format {FORMAT_VERSION}: upgrade alfa-notebook, or record the cassette again. {_LEFT}"
        )
    records = []
    for number, line in enumerate(lines[1:], start=2):
        record = _parse(path, number, line)
        kind = next((k for k in KINDS if k in record), None)
        if kind is None or not isinstance(record[kind], dict) or not isinstance(record.get("n"), int):
            raise CassetteError(f"{path}, line {number}: not a cassette record (no turn or request key). {_LEFT}")
        records.append(record)
    return lines[0], lines[1:], records


_LEFT = "The file was left as it is: fix that line, or delete the file to record it again."


def _parse(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise CassetteError(f"{path}, line {number}: not valid JSON ({getattr(exc, 'msg', exc)}). {_LEFT}") from None
    if not isinstance(value, dict):
        raise CassetteError(f"{path}, line {number}: a record is a JSON object, not {type(value).__name__}. {_LEFT}")
    return value


def write(path: Path, header: str, lines: list[str]) -> None:
    """Replace the file with ``header`` and ``lines`` at once: a reader (or a crash) sees the old
    file or the new one, never half of one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CassetteError(f"{path}: the cassette cannot be written there: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(header + "\n")
            for line in lines:
                out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):  # a full disk, say: the old file is still whole
            raise CassetteError(f"{path}: the cassette could not be saved: {exc.strerror or exc}.") from exc
        raise


def header_line() -> str:
    return dump(HEADER)
