"""The blocking and the async client have one surface: each public method of one has its twin on the
other, with the same parameters, blocking on one side and awaitable on the other. A method on one
side only is a decision, listed here with its reason, not drift.
"""

from __future__ import annotations

import inspect

import pytest

from alfa_notebook.client import AlfaClient, AsyncAlfaClient
from alfa_notebook.threads import AsyncThreads, Threads

# The same call under another name, as httpx names it (Client.close, AsyncClient.aclose).
RENAMED = {"close": "aclose"}

ASYNC_ONLY = {
    "ask_events": "an async iterator of events is how async code follows a stream; blocking code "
    "follows an answer with ask(on_event=...), and a blocking generator left unfinished would keep "
    "the stream and the task on the server open until it is garbage-collected",
}
BLOCKING_ONLY: dict[str, str] = {}

# Return types that differ by design: the blocking and the async form of the same object (the first
# for stream() as a context manager, as httpx's).
TWIN_TYPES = {"Iterator[SyncEventStream]": "AsyncIterator[AsyncEventStream]", "SyncEventStream": "AsyncEventStream"}


def public_methods(cls: type) -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(member) or inspect.ismethod(member))
    }


def shape(function: object, *, twin_types: bool = False) -> tuple[list[tuple[str, object, object, object]], str]:
    signature = inspect.signature(function)  # type: ignore[arg-type]
    parameters = [
        (p.name, p.kind, p.default, p.annotation)
        for p in signature.parameters.values()
        if p.name not in ("self", "cls")
    ]
    returned = str(signature.return_annotation)
    if twin_types:
        for blocking, awaitable in TWIN_TYPES.items():
            returned = returned.replace(blocking, awaitable)
    return parameters, returned


PAIRS = [(AlfaClient, AsyncAlfaClient), (Threads, AsyncThreads)]


@pytest.mark.parametrize(("blocking", "awaitable"), PAIRS, ids=lambda c: c.__name__)
def test_every_method_has_a_twin_or_a_reason(blocking: type, awaitable: type):
    ours, theirs = public_methods(blocking), public_methods(awaitable)
    paired = {RENAMED.get(name, name) for name in ours}
    missing_async = sorted(n for n in ours if RENAMED.get(n, n) not in theirs and n not in BLOCKING_ONLY)
    missing_blocking = sorted(set(theirs) - paired - set(ASYNC_ONLY))
    assert not missing_async, f"{awaitable.__name__} lacks {missing_async}: add them, or list them in BLOCKING_ONLY"
    assert not missing_blocking, f"{blocking.__name__} lacks {missing_blocking}: add them, or list them in ASYNC_ONLY"


@pytest.mark.parametrize(("blocking", "awaitable"), PAIRS, ids=lambda c: c.__name__)
def test_twins_take_the_same_parameters_and_only_the_async_one_is_awaited(blocking: type, awaitable: type):
    theirs = public_methods(awaitable)
    for name, method in public_methods(blocking).items():
        twin = theirs.get(RENAMED.get(name, name))
        if twin is None:
            continue
        assert shape(method, twin_types=True) == shape(twin), f"{blocking.__name__}.{name} and its twin differ"
        assert not inspect.iscoroutinefunction(method), f"{blocking.__name__}.{name} must not be async"
        awaited = inspect.iscoroutinefunction(twin) or inspect.isasyncgenfunction(getattr(twin, "__wrapped__", None))
        assert awaited, f"{awaitable.__name__}.{RENAMED.get(name, name)} must be async (or an async context manager)"


def test_the_one_sided_methods_are_still_one_sided():
    """A reason listed for a method that has since gained a twin (or gone) is stale: remove it."""
    blocking, awaitable = public_methods(AlfaClient), public_methods(AsyncAlfaClient)
    for name in ASYNC_ONLY:
        assert name in awaitable and name not in {RENAMED.get(n, n) for n in blocking}
    for name in BLOCKING_ONLY:
        assert name in blocking and RENAMED.get(name, name) not in awaitable


def test_both_clients_have_the_same_properties():
    def properties(cls: type) -> set[str]:
        return {n for n, m in inspect.getmembers(cls) if isinstance(m, property) and not n.startswith("_")}

    assert properties(AlfaClient) == properties(AsyncAlfaClient) >= {"last_answer", "last_batch", "limiter"}
    hints = {cls: inspect.get_annotations(cls)["threads"] for cls in (AlfaClient, AsyncAlfaClient)}
    assert hints == {AlfaClient: "Threads", AsyncAlfaClient: "AsyncThreads"}
