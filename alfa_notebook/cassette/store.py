"""One cassette file in memory, shared by every client of the process that names it.

The blocking client of a notebook and the awaitable clients of its background answers use one
:class:`Cassette`, so they agree on what was recorded, on how many times each question was asked,
and on which questions each thread has heard. Every decision of a record mode is made here, in
:meth:`Cassette.lookup`.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from ..wire.errors import CassetteMissError
from . import file

_open: dict[Path, Cassette] = {}
_open_lock = threading.Lock()

REDACTED = "[redacted]"


def open_cassette(path: str | os.PathLike[str]) -> Cassette:
    """The process's cassette for ``path`` (read on first use, re-read when the file changes)."""
    resolved = Path(path).expanduser().resolve()
    with _open_lock:
        cassette = _open.get(resolved)
        if cassette is None:
            cassette = _open[resolved] = Cassette(resolved)
        return cassette


class Cassette:
    """The records of one file, the uses made of them in this process, and the threads it knows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.existed = path.exists()  # ``once`` records only into a cassette that did not exist
        self._lock = threading.RLock()
        self._header = file.header_line()
        self._lines: list[str] = []
        self._records: list[dict[str, Any]] = []
        self._index: dict[str, dict[int, int]] = {}  # key text -> occurrence -> position
        self._stamp: tuple[int, int] | None = None  # the file as last read or written
        self._uses: Counter[str] = Counter()
        self._threads: dict[str, list[str]] = {}  # thread id -> the questions asked in it, in order
        self._secrets: set[str] = set()

    def rewind(self) -> None:
        """Start over, as a new process would: the next use of each key is its first again."""
        with self._lock:
            self._uses.clear()
            self._threads.clear()

    def never_write(self, secret: str | None) -> None:
        """Remember a credential, so that it is redacted from anything written, wherever it hides."""
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    # -- threads ---------------------------------------------------------------------------

    def thread_key(self, thread_id: str | None) -> Any:
        """A turn's place in its thread: a new thread, the questions asked before it in a thread
        this cassette knows, or, for a thread it does not know, the thread's id."""
        if thread_id is None:
            return "new"
        with self._lock:
            asked = self._threads.get(thread_id)
            return {"id": thread_id} if asked is None else {"after": list(asked)}

    def thread_started(self, thread_id: str) -> None:
        with self._lock:
            self._threads[thread_id] = []

    def asked(self, thread_id: str | None, question: str) -> None:
        if thread_id:
            with self._lock:
                self._threads.setdefault(thread_id, []).append(question)

    # -- records ---------------------------------------------------------------------------

    def lookup(self, kind: str, key: dict[str, Any], mode: str, label: str) -> tuple[dict[str, Any] | None, int]:
        """For one use of ``key``: ``(record to replay, occurrence)``, or ``(None, occurrence)`` when
        the service is to be asked and the answer recorded; :class:`CassetteMissError` when
        ``mode`` allows neither.

        The n-th use of a key in a process replays its n-th recording. Beyond the recordings, a
        mode that records asks the service again; one that does not replays the last recording
        (re-running a cell replays it).
        """
        with self._lock:
            self._refresh()
            text = file.key_text(kind, key)
            self._uses[text] += 1
            n = self._uses[text]
            if mode == "all":
                return None, n
            found = self._index.get(text, {})
            if n in found:
                return self._records[found[n]], n
            if mode == "new_episodes" or (mode == "once" and not self.existed):
                return None, n
            if found:
                return self._records[found[max(found)]], n
            raise CassetteMissError(
                f"{label!r} was never recorded in {self.path} (record_mode={mode!r}). Record it while the "
                "service is reachable: record_mode='new_episodes' (or ALFA_RECORD_MODE=new_episodes)."
            )

    def save(self, kind: str, key: dict[str, Any], n: int, body: dict[str, Any]) -> dict[str, Any]:
        """Write the record of the n-th use of ``key`` (in place of an older one), every other line
        unchanged; returns the record as written, credentials redacted."""
        line = self._redact(file.dump({kind: key, "n": n, **body}))
        record: dict[str, Any] = json.loads(line)
        with self._lock:
            self._refresh()  # a broken file raises here, before anything is written over it
            text = file.key_text(kind, key)
            at = self._index.setdefault(text, {}).get(n)
            if at is None:
                self._index[text][n] = len(self._lines)
                self._lines.append(line)
                self._records.append(record)
            else:
                self._lines[at], self._records[at] = line, record
            file.write(self.path, self._header, self._lines)
            self._stamp = _stamp(self.path)
        return record

    def _redact(self, line: str) -> str:
        for secret in tuple(self._secrets):  # a client made on another thread may add one meanwhile
            for form in (secret, json.dumps(secret, ensure_ascii=False)[1:-1]):
                line = line.replace(form, REDACTED)
        return line

    def _refresh(self) -> None:
        """Read the file again if it changed since it was last read or written here."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return
        if stamp is None:  # deleted: a new cassette from now on
            self._header, self._lines, self._records, self._index = file.header_line(), [], [], {}
            self._stamp, self.existed = None, False
            return
        header, lines, records = file.read(self.path)
        index: dict[str, dict[int, int]] = {}
        for position, record in enumerate(records):
            kind = next(k for k in file.KINDS if k in record)
            index.setdefault(file.key_text(kind, record[kind]), {})[record["n"]] = position
        self._header, self._lines, self._records, self._index = header, lines, records, index
        self._stamp = stamp


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):  # not there (yet): writing it says why not
        return None
    return st.st_mtime_ns, st.st_size
