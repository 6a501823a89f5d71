"""What the subcommands need of the magics, as a Protocol: they reach the magics only through it.

:mod:`.magics` runs the subcommands (:mod:`.commands`); the subcommands read and change the magics'
state. Typing that state here keeps the dependency one way, magics -> commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .background import BackgroundAnswer
    from .session import Session


class Host(Protocol):
    """The ``%alfa`` magics as the subcommands see them."""

    session: Session
    background: BackgroundAnswer | None
    shell: Any
    cassette: str | None  # the %config settings %alfa cassette changes
    record_mode: str | None

    @property
    def user_ns(self) -> dict[str, Any]: ...

    @property
    def display(self) -> str: ...

    @property
    def table_rows(self) -> int: ...

    @property
    def timeout(self) -> float | None: ...

    @property
    def short_errors(self) -> bool: ...

    def configured(self) -> Mapping[str, Any]: ...

    def busy(self, thread_id: str | None) -> bool: ...

    def help_text(self) -> str: ...
