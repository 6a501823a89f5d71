"""A kernel-like publisher for the live-view benchmarks: what a Jupyter kernel would send on IOPub,
serialised as the kernel serialises it, counted instead of sent.

Two paths reach the kernel's IOPub channel, and both are replaced here:

* ``display()`` and display-handle updates go through the shell's display publisher
  (``display_data`` / ``update_display_data``); an :class:`~IPython.core.interactiveshell.InteractiveShell`
  gets a :class:`CountingDisplayPublisher` in place of ipykernel's ``ZMQDisplayPublisher``;
* widgets talk through comms (``comm_open`` / ``comm_msg`` / ``comm_close``); ``comm.create_comm``,
  which ipywidgets calls for every widget, returns a :class:`CountingComm` in place of ipykernel's.

Each message's content is JSON-encoded, as ``jupyter_client.Session`` does before sending, so the
cost of serialising is paid as in a kernel; its bytes are counted (content only, not the envelope).
The time of every message is kept, for the time-to-first-update figure.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import comm
from comm.base_comm import BaseComm
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config


@dataclass
class IOPub:
    """Messages published: how many of each type, their bytes, and when each was sent."""

    counts: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    times: list[float] = field(default_factory=list)

    def send(self, msg_type: str, content: dict[str, Any]) -> None:
        payload = json.dumps(content, ensure_ascii=False).encode("utf-8", "surrogateescape")
        self.bytes += len(payload)
        self.counts[msg_type] = self.counts.get(msg_type, 0) + 1
        self.times.append(time.perf_counter())

    @property
    def messages(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        self.counts.clear()
        self.bytes = 0
        self.times.clear()


IOPUB = IOPub()


class CountingDisplayPublisher(DisplayPublisher):
    """ipykernel's display publisher, minus the socket."""

    def publish(  # type: ignore[override]
        self,
        data: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        source: Any = None,
        *,
        transient: dict[str, Any] | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        content = {"data": data, "metadata": metadata or {}, "transient": transient or {}}
        IOPUB.send("update_display_data" if update else "display_data", content)


class CountingComm(BaseComm):
    """ipykernel's comm, minus the socket."""

    def publish_msg(
        self,
        msg_type: str,
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        **keys: Any,
    ) -> None:
        IOPUB.send(msg_type, {"data": {} if data is None else data, "comm_id": self.comm_id, **keys})


@contextlib.contextmanager
def kernel_like() -> Iterator[IOPub]:
    """An IPython shell (no history file) whose display and comm messages go to :data:`IOPUB`."""
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    saved_pub, saved_create = shell.display_pub, comm.create_comm
    shell.display_pub = CountingDisplayPublisher(shell=shell)
    comm.create_comm = lambda *args, **kwargs: CountingComm(*args, **kwargs)
    try:
        yield IOPUB
    finally:
        shell.display_pub, comm.create_comm = saved_pub, saved_create
