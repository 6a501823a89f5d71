"""One cassette file in memory, shared by every client of the process that names it.

The blocking client of a notebook and the awaitable clients of its background answers use one
:class:`Cassette`, so they agree on what was recorded, on how many times each question was asked,
and on which questions each thread has heard. Every decision of a record mode is made here, in
:meth:`Cassette.lookup`.

Several processes may record into one file at once (two notebooks, pytest-xdist workers): each
write takes a lock on the file (``filelock``), reads again what the others wrote, adds its own
record and replaces the file atomically, so no recorded answer is ever lost.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..wire.errors import CassetteError, CassetteMissError
from . import file

_open: dict[Path, Cassette] = {}
_open_lock = threading.Lock()

REDACTED = "[redacted]"
LOCK_WAIT = 60.0  # seconds a writer waits for another process to finish writing the file


def open_cassette(path: str | os.PathLike[str]) -> Cassette:
    """The process's cassette for ``path`` (read on first use, re-read when the file changes)."""
    resolved = Path(path).expanduser().resolve()
    with _open_lock:
        cassette = _open.get(resolved)
        if cassette is None:
            cassette = _open[resolved] = Cassette(resolved)
        return cassette


class Uses:
    """How many times each key was used, where occurrences are counted: the process (a
    :class:`Cassette`), or one batch (:func:`counting_apart`), whose items are counted as if it
    ran in a new process, so that running it again in the same kernel replays what it answered
    and asks only the rest."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.asked = False  # whether a use was asked of the service (not replayed)


_scope: contextvars.ContextVar[Uses | None] = contextvars.ContextVar("alfa_cassette_uses", default=None)


@contextlib.contextmanager
def counting_apart(uses: Uses) -> Iterator[None]:
    """Count the uses of the code run inside (in this task or thread) in ``uses``."""
    token = _scope.set(uses)
    try:
        yield
    finally:
        _scope.reset(token)


class Cassette:
    """The records of one file, the uses made of them in this process, and the threads it knows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.existed = path.exists()  # ``once`` records only into a cassette that did not exist
        self._lock = threading.RLock()
        self._file_lock = FileLock(path.parent / f".{path.name}.lock", timeout=LOCK_WAIT)
        self._header = file.header_line()
        self._lines: list[str] = []
        self._records: list[dict[str, Any]] = []
        self._numbers: dict[int, int] = {}  # id of a record -> its line in the file
        self._index: dict[str, dict[int, int]] = {}  # key text -> occurrence -> position
        self._stamp: tuple[int, int, int] | None = None  # the file as last read or written
        self._uses = Uses()
        self._threads: dict[str, list[str]] = {}  # thread id -> the questions asked in it, in order
        self._secrets: set[str] = set()

    def rewind(self) -> None:
        """Start over, as a new process would: the next use of each key is its first again."""
        with self._lock:
            self._uses = Uses()
            self._threads.clear()

    def never_write(self, secret: str | None) -> None:
        """Remember a credential, so that it is redacted from anything written, wherever it hides."""
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def where(self, record: dict[str, Any]) -> str:
        """``PATH, line N`` of a record this cassette handed out, for a message about it."""
        number = self._numbers.get(id(record))
        return f"{self.path}, line {number}" if number else str(self.path)

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
        ``mode`` allows neither. ``label`` says what was asked, for that error.

        The n-th use of a key in a process (or in a batch, see :func:`counting_apart`) replays its
        n-th recording. Beyond the recordings, a mode that records asks the service again; one that
        does not replays the last recording (re-running a cell replays it).
        """
        with self._lock:
            self._refresh()
            uses = _scope.get() or self._uses
            text = file.key_text(kind, key)
            uses.counts[text] += 1
            n = uses.counts[text]
            found = self._index.get(text, {})
            if mode != "all":
                if n in found:
                    return self._records[found[n]], n
                if not (mode == "new_episodes" or (mode == "once" and not self.existed)):
                    if found:
                        return self._records[found[max(found)]], n
                    raise CassetteMissError(
                        f"{label} was never recorded in {self.path} (record_mode={mode!r}). Record it while "
                        "the service is reachable: record_mode='new_episodes' (or ALFA_RECORD_MODE=new_episodes)."
                    )
            uses.asked = True
            return None, n

    def find(self, kind: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """The latest record of ``key``, whatever the uses (a batch's time)."""
        with self._lock:
            self._refresh()
            found = self._index.get(file.key_text(kind, key))
            return self._records[found[max(found)]] if found else None

    def save(self, kind: str, key: dict[str, Any], n: int, body: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        """Write the record of the n-th use of ``key``, every other line unchanged; returns the record
        as written, credentials redacted.

        ``replace`` (record mode ``all``): in place of the n-th record. Otherwise a record another
        process wrote meanwhile under the same key and occurrence is kept, and this one follows it."""
        with self._lock, self._locked():
            self._refresh()  # what other processes wrote; a broken file raises here, before anything is written
            text = file.key_text(kind, key)
            found = self._index.setdefault(text, {})
            if n in found and not replace:
                n = max(found) + 1
            line = self._redact(file.dump({kind: key, "n": n, **body}))
            record: dict[str, Any] = json.loads(line)
            at = found.get(n)
            if at is None:
                found[n] = len(self._lines)
                self._lines.append(line)
                self._records.append(record)
            else:
                self._lines[at], self._records[at] = line, record
            file.write(self.path, self._header, self._lines)
            self._stamp = _stamp(self.path)
            self._numbers = {id(r): number for number, r in enumerate(self._records, start=2)}
        return record

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the file's lock (``.NAME.lock`` beside it) while it is read again and written."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file_lock.acquire()
        except Timeout:
            raise CassetteError(
                f"{self.path}: another process has been writing this cassette for {LOCK_WAIT:.0f} s "
                f"(it holds {self._file_lock.lock_file}); nothing was written. If no process is recording "
                "into it, delete that lock file."
            ) from None
        except OSError as exc:
            raise CassetteError(f"{self.path}: the cassette cannot be written there: {exc.strerror or exc}.") from None
        try:
            yield
        finally:
            self._file_lock.release()

    def _redact(self, line: str) -> str:
        for secret in tuple(self._secrets):  # a client made on another thread may add one meanwhile
            for form in (secret, file.dump(secret)[1:-1]):  # as written, and as JSON writes it
                line = line.replace(form, REDACTED)
        return line

    def _refresh(self) -> None:
        """Read the file again if it changed since it was last read or written here."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return
        if stamp is None:  # deleted: a new cassette from now on
            self._header, self._lines, self._records, self._index = file.header_line(), [], [], {}
            self._numbers, self._stamp, self.existed = {}, None, False
            return
        contents = file.read(self.path, dict(zip(self._lines, self._records)))
        index: dict[str, dict[int, int]] = {}
        for position, record in enumerate(contents.records):
            kind = file.kind_of(record)
            index.setdefault(file.key_text(kind, record[kind]), {})[record["n"]] = position
        self._header, self._lines, self._records, self._index = (
            contents.header,
            contents.lines,
            contents.records,
            index,
        )
        self._numbers = {id(r): number for r, number in zip(contents.records, contents.numbers)}
        self._stamp = stamp


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):  # not there (yet): writing it says why not
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
