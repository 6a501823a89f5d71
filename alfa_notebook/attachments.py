"""``attach=``: what the notebook holds, as files the service reads before the question.

A DataFrame or Series becomes a CSV (or Parquet, when its name ends in ``.parquet``), a matplotlib
or plotly figure a PNG, ``bytes`` a file as they are, a path the file it names. Everything is read
and checked here, before anything is sent: an unsupported object, an empty frame, a missing file or
one over the client's ``max_attachment_bytes`` raises :class:`AttachmentError` naming the item, and
no thread is made.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any

from .wire.errors import AttachmentError, OptionalDependencyError
from .wire.operations import Upload

Attach = Any
"""What ``attach=`` takes: one item or a list of items; an item is a DataFrame, a Series, a
matplotlib or plotly figure, ``bytes``, or a path (``str`` or ``pathlib.Path``); a ``(name, item)``
pair, or a dict of them, names the file the service sees (``{"holdings.csv": df}``)."""

FRAME_FORMATS = (".csv", ".parquet")


def uploads(attach: Attach, *, limit: int) -> list[Upload]:
    """Every item of ``attach`` read into an :class:`Upload`, in order, names made unique."""
    prepared = [
        upload(item, name=name, limit=limit, label=name or _label(position, item))
        for position, (name, item) in enumerate(_items(attach))
    ]
    seen: dict[str, int] = {}
    unique = []
    for one in prepared:
        count = seen[one.name] = seen.get(one.name, 0) + 1
        if count > 1:
            stem, dot, ext = one.name.rpartition(".")
            name = f"{stem}-{count}.{ext}" if dot and stem else f"{one.name}-{count}"
            one = Upload(name, one.content, one.origin)
        unique.append(one)
    return unique


def _items(attach: Attach) -> Iterable[tuple[str | None, Any]]:
    if attach is None:
        return []
    if isinstance(attach, Mapping):
        return [(str(name), item) for name, item in attach.items()]
    if isinstance(attach, (list, tuple)):
        return [_named(item) for item in attach]
    return [_named(attach)]


def _named(item: Any) -> tuple[str | None, Any]:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return item[0], item[1]
    return None, item


def upload(
    item: Any, *, name: str | None = None, limit: int, variable: str | None = None, label: str | None = None
) -> Upload:
    """One item as a file. ``name`` is the file name the service sees; ``variable``, the notebook
    variable the item came from (the file is then named after it: ``holdings`` -> ``holdings.csv``),
    which ``origin`` names for the user; ``label``, how an error names the item."""
    label = label or name or variable or _label(0, item)
    if isinstance(item, Upload):  # read already (ask_many reads its attach= once for every item)
        return item
    if isinstance(item, (str, os.PathLike)):
        made = _file(item, name, label)
    elif _is_pandas(item):
        made = _frame(item, name or f"{variable or 'table'}.csv", label)
    elif isinstance(item, (bytes, bytearray, memoryview)):
        content = bytes(item)
        if not content:
            raise AttachmentError("is empty (0 bytes): nothing to send.", attachment=label)
        made = Upload(name or variable or "attachment.bin", content, f"{len(content):,} bytes")
    elif _is_figure(item):
        library = type(item).__module__.partition(".")[0]
        made = Upload(name or f"{variable or 'figure'}.png", _png(item, label), f"a {library} figure")
    else:
        raise AttachmentError(
            f"cannot be sent: a {type(item).__module__}.{type(item).__qualname__} is not a DataFrame, a Series, "
            "a matplotlib or plotly figure, bytes, or a file's path.",
            attachment=label,
        )
    if variable is not None:
        made = Upload(made.name, made.content, f"the variable {variable}: {made.origin}")
    if len(made.content) > limit:
        raise AttachmentError(
            f"is {_size(len(made.content))}{'' if made.name == label else f' as {made.name}'}, over the limit of "
            f"{_size(limit)} "
            "(max_attachment_bytes, or ALFA_MAX_ATTACHMENT_BYTES, raises it if the service accepts more).",
            attachment=label,
        )
    return made


def _label(position: int, item: Any) -> str:
    """How an error names an unnamed item of ``attach=``: its path, or its place and kind."""
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    return f"item {position} ({type(item).__name__})"


def _file(path_like: str | os.PathLike[str], name: str | None, label: str) -> Upload:
    path = Path(path_like).expanduser()
    if path.is_dir():
        raise AttachmentError("is a directory; attach one file.", attachment=label)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise AttachmentError("does not exist: no such file.", attachment=label) from None
    except OSError as error:
        raise AttachmentError(f"cannot be read ({error.strerror}).", attachment=label) from None
    if not content:
        raise AttachmentError("is empty (0 bytes): nothing to send.", attachment=label)
    return Upload(name or path.name, content, f"the file {os.fspath(path_like)}")


def _is_pandas(item: Any) -> bool:
    module = type(item).__module__
    if not module.startswith("pandas"):
        return False
    import pandas as pd

    return isinstance(item, (pd.DataFrame, pd.Series))


def _frame(item: Any, name: str, label: str) -> Upload:
    """A frame as CSV or Parquet: a meaningful index kept as columns, strings written as they are
    (a ticker "NA" and a CUSIP "037833100" stay text; missing values are empty fields)."""
    import pandas as pd

    frame = item.to_frame(name=item.name if item.name is not None else "value") if isinstance(item, pd.Series) else item
    kind = type(item).__name__
    if frame.empty:
        raise AttachmentError(
            f"is an empty {kind} ({frame.shape[0]} rows × {frame.shape[1]} columns): nothing to send.",
            attachment=label,
        )
    suffix = PurePath(name).suffix.lower()
    if suffix not in FRAME_FORMATS:
        name = f"{name}.csv"
    index = not _default_index(frame.index)
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise OptionalDependencyError(
                f"{name} is Parquet, which needs pyarrow: pip install pyarrow (or name it .csv)."
            ) from None
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=index)
        content = buffer.getvalue()
    else:
        content = frame.to_csv(index=index, lineterminator="\n").encode("utf-8")
    rows, columns = frame.shape
    return Upload(name, content, f"a {kind}, {rows:,} rows × {columns:,} columns")


def _default_index(index: Any) -> bool:
    import pandas as pd

    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None


def _is_figure(item: Any) -> bool:
    module = type(item).__module__
    return (module.startswith("matplotlib") and hasattr(item, "savefig")) or (
        module.startswith("plotly") and hasattr(item, "to_image")
    )


def _png(figure: Any, label: str) -> bytes:
    if hasattr(figure, "savefig"):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
    try:
        return bytes(figure.to_image(format="png"))
    except (ValueError, ImportError) as error:  # plotly needs kaleido to draw a PNG
        raise OptionalDependencyError(
            f"{label} is a plotly figure, and drawing it as PNG needs kaleido: pip install kaleido ({error})."
        ) from None


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KiB", "MiB"):
        if value < 1024:
            return f"{count:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
