"""The cassette file: JSON Lines, a header line with the format version, then one record a line.

Read whole, written whole and atomically (a temporary file beside it, then a rename), with every
line that did not change written back byte for byte: a new record adds one line to the diff. A
file that cannot be read is reported with its path, line number and field, and is never written
over. The file keeps its permissions; a new one gets the process's umask, as any file it writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeGuard

from ..wire.errors import CassetteError

FORMAT_VERSION = 1
HEADER: dict[str, Any] = {
    "alfa_cassette": FORMAT_VERSION,
    "about": "alfa-notebook cassette: recorded Alfa turns and requests, one JSON record a line (docs/cassettes.md)",
}
Entry = list[Any]  # a recorded event: [seconds since the turn began, event type or None for a mark, payload or mark]
KINDS = ("turn", "request", "batch")  # the key of a record that says what it records
STATUSES = ("complete", "no_results", "cancelled", "error", "incomplete")  # what a recorded turn ended as


def dump(record: Any) -> str:
    """One record as one line: compact, UTF-8, keys in the order the record was built in (fixed by
    the code that builds it, so the same record is always the same line)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def key_text(kind: str, key: dict[str, Any]) -> str:
    """A record's identity as text, for lookups: key order never matters here."""
    return json.dumps([kind, key], sort_keys=True)


def kind_of(record: dict[str, Any]) -> str:
    """``"turn"``, ``"request"`` or ``"batch"``, of a record :func:`read` accepted."""
    return next(k for k in KINDS if k in record)


class Contents:
    """A file as read: its header line, its record lines (blank lines left out), the records, and
    the line number of each record in the file."""

    def __init__(self, header: str, lines: list[str], records: list[dict[str, Any]], numbers: list[int]) -> None:
        self.header, self.lines, self.records, self.numbers = header, lines, records, numbers


def read(path: Path, known: dict[str, dict[str, Any]] | None = None) -> Contents:
    """The file at ``path``, every record checked; ``CassetteError`` naming the line and the field
    of the first one that is not a record this version can replay. ``known``: lines read (and
    checked) before, with their records, taken as they are (a file another process appended to
    is read again at the cost of its new lines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{path} is not a cassette: it is not UTF-8 text ({exc.reason}). {_LEFT}") from None
    except OSError as exc:
        raise CassetteError(f"{path} cannot be read as a cassette: {exc.strerror or exc}.") from None
    numbered = [(number, line) for number, line in enumerate(text.split("\n"), start=1) if line.strip()]
    if not numbered:
        raise CassetteError(f"{path} is empty, not a cassette (no header line). {_LEFT}")
    first, header_text = numbered[0]
    header = _parse(path, first, header_text)
    if "alfa_cassette" not in header:
        raise CassetteError(f"{path}, line {first}: not a cassette header (no 'alfa_cassette' version). {_LEFT}")
    if header["alfa_cassette"] != FORMAT_VERSION:
        raise CassetteError(
            f"{path}, line {first}: cassette format {header['alfa_cassette']!r}, but this alfa-notebook reads "
            f"format {FORMAT_VERSION}: upgrade alfa-notebook, or record the cassette again. {_LEFT}"
        )
    records = []
    for number, line in numbered[1:]:
        record = known.get(line) if known else None
        if record is None:
            record = _parse(path, number, line)
            problem = next(_problems(record), None)
            if problem is not None:
                raise CassetteError(f"{path}, line {number}: {problem}. {_LEFT}")
        records.append(record)
    return Contents(header_text, [line for _, line in numbered[1:]], records, [n for n, _ in numbered[1:]])


_LEFT = "The file was left as it is: fix that line, or delete the file to record it again."


def _parse(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise CassetteError(f"{path}, line {number}: not valid JSON ({getattr(exc, 'msg', exc)}). {_LEFT}") from None
    if not isinstance(value, dict):
        raise CassetteError(f"{path}, line {number}: a record is a JSON object, not {type(value).__name__}. {_LEFT}")
    return value


# -- what a record must be --------------------------------------------------------------------
# Each check yields what is wrong, naming the field as a path into the record; the first is reported.


def _problems(record: dict[str, Any]) -> Iterator[str]:
    kinds = [k for k in KINDS if k in record]
    if len(kinds) != 1:
        yield "not a cassette record (it needs one 'turn', 'request' or 'batch' key)"
        return
    kind = kinds[0]
    if not isinstance(record[kind], dict):
        yield f"'{kind}' must be an object, not {_type(record[kind])}"
        return
    n = record.get("n")
    if not _whole(n) or n < 1:
        yield f"'n' must be a whole number from 1, not {n!r}"
    if kind == "turn":
        yield from _turn(record)
    elif kind == "request":
        yield from _request(record)
    else:
        yield from _batch(record)


def _turn(record: dict[str, Any]) -> Iterator[str]:
    key = record["turn"]
    if not isinstance(key.get("question"), str):
        yield f"'turn.question' must be text, not {_type(key.get('question'))}"
    thread = key.get("thread")
    if not (
        thread == "new"
        or (isinstance(thread, dict) and set(thread) == {"id"} and isinstance(thread["id"], str))
        or (isinstance(thread, dict) and set(thread) == {"after"} and _texts(thread["after"]))
    ):
        yield f'\'turn.thread\' must be "new", {{"id": ...}} or {{"after": [questions]}}, not {thread!r:.80}'
    if "source_overrides" in key and not isinstance(key["source_overrides"], dict):
        yield "'turn.source_overrides' must be an object"
    for field in ("thread_id", "message_id"):
        if record.get(field) is not None and not isinstance(record[field], str):
            yield f"'{field}' must be text or null, not {_type(record[field])}"
    if record.get("status") not in STATUSES:
        yield f"'status' must be one of {', '.join(STATUSES)}, not {record.get('status')!r:.80}"
    elapsed = record.get("elapsed")
    if not _number(elapsed) or elapsed < 0:
        yield f"'elapsed' must be a number of seconds, not {elapsed!r:.80}"
    calls = record.get("calls")
    if not isinstance(calls, list):
        yield f"'calls' must be a list, not {_type(calls)}"
    else:
        for i, call in enumerate(calls):
            yield from _call(f"calls[{i}]", call)
    streams = record.get("streams")
    if not isinstance(streams, list):
        yield f"'streams' must be a list, not {_type(streams)}"
        return
    for s, stream in enumerate(streams):
        if not isinstance(stream, list):
            yield f"'streams[{s}]' must be a list of events, not {_type(stream)}"
            continue
        for e, entry in enumerate(stream):
            yield from _entry(f"streams[{s}][{e}]", entry)


def _entry(where: str, entry: Any) -> Iterator[str]:
    if not isinstance(entry, list) or len(entry) != 3:
        yield f"'{where}' must be [seconds, event type, payload], not {entry!r:.80}"
        return
    at, kind, payload = entry
    if not _number(at) or at < 0:
        yield f"'{where}[0]' must be seconds since the turn began, not {at!r:.80}"
    if kind is not None and not isinstance(kind, str):
        yield f"'{where}[1]' must be an event type or null, not {_type(kind)}"
    if not isinstance(payload, dict):
        yield f"'{where}[2]' must be an object, not {_type(payload)}"
    elif kind is None and not (payload.get("closed") is True or payload.get("lost") is True or "malformed" in payload):
        yield f'\'{where}[2]\' must be a mark ({{"closed": true}}, {{"lost": true}} or {{"malformed": ...}})'


def _batch(record: dict[str, Any]) -> Iterator[str]:
    key = record["batch"]
    if not (_whole(key.get("items")) and isinstance(key.get("sha256"), str)):
        yield '\'batch\' must be {"items": count, "sha256": digest of its questions}'
    elapsed = record.get("elapsed")
    if not _number(elapsed) or elapsed < 0:
        yield f"'elapsed' must be a number of seconds, not {elapsed!r:.80}"


def _request(record: dict[str, Any]) -> Iterator[str]:
    yield from _call("request", {**record["request"], **{k: record[k] for k in ("response", "error") if k in record}})


def _call(where: str, call: Any) -> Iterator[str]:
    if not isinstance(call, dict):
        yield f"'{where}' must be an object, not {_type(call)}"
        return
    label = call.get("call")
    if not isinstance(label, str) or " /" not in label:
        yield f"'{where}.call' must be a method and a path, as \"GET /threads\", not {label!r:.80}"
    if "error" in call:
        error = call["error"]
        if not isinstance(error, dict):
            yield f"'{where}.error' must be an object, not {_type(error)}"
        elif not (_whole(error.get("status_code")) and 100 <= error["status_code"] <= 599):
            yield f"'{where}.error.status_code' must be an HTTP status, not {error.get('status_code')!r:.80}"
        elif not isinstance(error.get("message", ""), str) or not isinstance(error.get("type", ""), str):
            yield f"'{where}.error' must have a text 'type' and 'message'"
    elif "response" not in call:
        yield f"'{where}' has neither 'response' nor 'error'"


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # not NaN


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


# -- writing ----------------------------------------------------------------------------------


def write(path: Path, header: str, lines: list[str]) -> None:
    """Replace the file with ``header`` and ``lines`` at once: a reader (or a crash) sees the old
    file or the new one, never half of one. The file keeps its mode; a new one is made as any file
    the process creates (``0666`` less the umask), so a cassette meant to be shared stays readable.
    The folder exists: the store makes it to hold the file's lock there."""
    try:
        fd, temporary = _create_beside(path)
    except OSError as exc:
        raise CassetteError(f"{path}: the cassette cannot be written there: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(header + "\n")
            for line in lines:
                out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):  # a full disk, say: the old file is still whole
            raise CassetteError(f"{path}: the cassette could not be saved: {exc.strerror or exc}.") from exc
        raise


def _create_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in ``path``'s folder, opened for writing with mode ``0666`` less the
    umask (``tempfile.mkstemp`` makes ``0600``, which a rename would give the cassette)."""
    for _ in range(100):
        name = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), name  # not inherited (PEP 446)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def header_line() -> str:
    return dump(HEADER)
