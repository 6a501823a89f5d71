"""Read-only containers for ``DataFrame.attrs``, so pandas' copies of them cost nothing.

They are plain ``dict`` and ``list`` subclasses holding JSON values only, so ``attrs`` written to
parquet or feather (as JSON) read back equal to what was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ReadOnlyDict(dict[str, Any]):
    """A ``dict`` that refuses changes, so the copies pandas makes of ``attrs`` can share it.

    pandas deep-copies ``attrs`` on nearly every operation (``df[col]``, ``head``, each row of
    ``iterrows``); with read-only containers that copy is O(1) instead of O(metadata). Still a
    real ``dict``: ``json.dumps``, pickling and ``==`` work; ``dict(d)`` gives a mutable copy.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("alfa metadata in DataFrame.attrs is read-only; change a dict(...) copy")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __copy__(self) -> ReadOnlyDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ReadOnlyDict:
        return self

    def __reduce__(self) -> tuple[type[ReadOnlyDict], tuple[dict[Any, Any]]]:
        return type(self), (dict(self),)


class ReadOnlyList(list[Any]):
    """A ``list`` that refuses changes, shared by pandas' copies as :class:`ReadOnlyDict` is."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("alfa metadata in DataFrame.attrs is read-only; change a list(...) copy")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __copy__(self) -> ReadOnlyList:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ReadOnlyList:
        return self

    def __reduce__(self) -> tuple[type[ReadOnlyList], tuple[list[Any]]]:
        return type(self), (list(self),)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def read_only(value: Any) -> Any:
    """``value`` with its dicts and lists (and tuples) made read-only lists and dicts, all the way down."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Mapping):
        return ReadOnlyDict({key: read_only(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return ReadOnlyList([read_only(item) for item in value])
    return value
