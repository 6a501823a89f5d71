"""``--background`` in a real ipykernel: the answer streams on the kernel's own event loop after the
cell returned, and a click on the Stop button, sent as the frontend sends it (a comm message),
cancels the answer on the server; the widget view is then replaced by the static output."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel
from nbclient.exceptions import CellExecutionError
from security.notebooks import execute, notebook_of

from alfa_notebook import AlfaClient
from alfa_notebook.emulator import Emulator
from alfa_notebook.render import MIME_JSON

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@contextmanager
def started(emulator: Emulator, key: str) -> Iterator[BlockingKernelClient]:
    env = {**os.environ, "ALFA_BASE_URL": emulator.base_url, "ALFA_API_KEY": key, "JUPYTER_PLATFORM_DIRS": "1"}
    manager: KernelManager
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel(slow_emulator: Emulator) -> Iterator[BlockingKernelClient]:
    with started(slow_emulator, slow_emulator.api_key) as client:
        yield client


def run(client: BlockingKernelClient, code: str) -> list[dict[str, Any]]:
    """Execute ``code``; its iopub messages (up to its idle status)."""
    messages: list[dict[str, Any]] = []
    reply = client.execute_interactive(code, output_hook=messages.append, timeout=60)
    assert reply["content"]["status"] == "ok", messages
    return messages


def until(client: BlockingKernelClient, seen: list[dict[str, Any]], condition: Any, timeout: float = 20) -> None:
    """Read iopub messages (sent after the cell returned) until one meets ``condition``."""
    deadline = time.monotonic() + timeout
    while True:
        message = client.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
        seen.append(message)
        if condition(message):
            return


def widget_state(message: dict[str, Any]) -> dict[str, Any]:
    if message["msg_type"] in ("comm_open", "comm_msg"):
        return message["content"].get("data", {}).get("state", {}) or {}
    return {}


def test_stop_button_in_a_real_kernel(kernel: BlockingKernelClient, slow_emulator: Emulator) -> None:
    run(kernel, "%load_ext alfa_notebook")
    cell = run(kernel, "%%alfa --background -o pending\nScreen all columns of the market")
    # The cell returned at once, with no `<BackgroundAnswer ...>` as its result: the answer is to come.
    assert [m for m in cell if m["msg_type"] == "execute_result"] == []

    seen: list[dict[str, Any]] = list(cell)
    until(kernel, seen, lambda m: "Scope" in str(widget_state(m).get("value", "")))  # streaming in the widget
    button = next(m for m in seen if widget_state(m).get("_model_name") == "ButtonModel")
    view = next(m for m in seen if m["msg_type"] == "display_data" and WIDGET_VIEW in m["content"]["data"])
    display_id = view["content"]["transient"]["display_id"]

    click = kernel.session.msg(
        "comm_msg",
        {"comm_id": button["content"]["comm_id"], "data": {"method": "custom", "content": {"event": "click"}}},
    )
    kernel.shell_channel.send(click)
    until(kernel, seen, lambda m: m["msg_type"] == "update_display_data")
    final = seen[-1]["content"]
    assert final["transient"]["display_id"] == display_id and WIDGET_VIEW not in final["data"]
    assert final["data"][MIME_JSON]["status"] == "cancelled" and final["metadata"]["alfa"]["status"] == "cancelled"

    after = run(kernel, "try:\n    await pending\nexcept Exception as error:\n    print(type(error).__name__, error)\n"
                        "print(_alfa.status, pending.status, _alfa.thread_id)")  # fmt: skip
    printed = "".join(m["content"]["text"] for m in after if m["msg_type"] == "stream")
    assert printed.startswith("Stopped The answer was stopped and its task cancelled on the server")
    status, state, thread_id = printed.splitlines()[-1].split()
    assert (status, state) == ("cancelled", "stopped")
    with AlfaClient(api_key=slow_emulator.api_key, base_url=slow_emulator.base_url) as service:
        assert service.threads.progress(thread_id).status == "cancelled"
        assert service.threads.messages(thread_id).messages[-1].text.endswith("User cancelled message")


def test_a_wrong_key_is_a_one_line_error_output(alfa_emulator: Emulator) -> None:
    """What nbconvert and papermill see: the cell fails, with one line and no library frames."""
    with started(alfa_emulator, "not-the-key") as client:
        run(client, "%load_ext alfa_notebook")
        messages: list[dict[str, Any]] = []
        reply = client.execute_interactive("%%alfa\nCompare NVDA and AMD", output_hook=messages.append, timeout=60)
    assert reply["content"]["status"] == "error"
    (error,) = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert error["ename"] == "AuthenticationError" and len(error["traceback"]) == 1
    assert error["traceback"][0].startswith("AuthenticationError: POST /threads -> 401")
    assert "not-the-key" not in str(messages)


def test_an_errored_turn_fails_a_headless_run_with_its_own_class(failing_emulator: Emulator, tmp_path: Path) -> None:
    """nbconvert and papermill stop at the cell (CellExecutionError), whose partial answer stays."""
    notebook = notebook_of("%load_ext alfa_notebook", "%%alfa -o ans\nCompare NVDA and AMD", "print('not reached')")
    with pytest.raises(CellExecutionError):
        execute(notebook, base_url=failing_emulator.base_url, api_key=failing_emulator.api_key, workdir=tmp_path,
                name="failing")  # fmt: skip
    cell = notebook.cells[1]
    (error,) = [o for o in cell.outputs if o.output_type == "error"]
    assert error.ename == "TurnFailedError" and len(error.traceback) == 1
    assert error.traceback[0].startswith("TurnFailedError: Alfa ended the answer with an error (Emulated failure")
    (shown,) = [o for o in cell.outputs if o.output_type == "display_data"]
    assert shown.data[MIME_JSON]["status"] == "error" and shown.data[MIME_JSON]["text"]
    assert notebook.cells[2].outputs == []


def test_a_headless_run_logs_each_outcome_in_one_line(alfa_emulator: Emulator, tmp_path: Path) -> None:
    """papermill --log-output shows what cells print: the answer ends with one line there."""
    notebook = notebook_of(
        "%load_ext alfa_notebook", "%%alfa\nCompare NVDA and AMD revenue growth over the last 4 quarters"
    )
    execute(notebook, base_url=alfa_emulator.base_url, api_key=alfa_emulator.api_key, workdir=tmp_path, name="log")
    printed = "".join(o.text for o in notebook.cells[1].outputs if o.output_type == "stream")
    assert re.fullmatch(r"Alfa: complete · 2 tables · 9 sources · \d+\.\d s\n", printed), printed


def test_the_live_clock_ticks_in_a_real_kernel_while_the_stream_is_silent() -> None:
    """A blocking answer whose stream stalls for 2 s: the kernel's main thread waits on the socket,
    and the ticker's updates still reach this cell (same parent message) with the clock moving."""
    with Emulator(chunk_delay=0, faults={"stall": 2, "stall_after": 4}) as emulator:
        with started(emulator, emulator.api_key) as client:
            run(client, "%load_ext alfa_notebook")
            messages = run(client, "%%alfa\nCompare NVDA and AMD")
    views = [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "update_display_data"]
    status = [v.splitlines()[0] for v in views]
    bodies = [v.splitlines()[1:] for v in views]
    ticks = [i for i in range(1, len(views)) if bodies[i] == bodies[i - 1] and status[i] != status[i - 1]]
    assert ticks, status  # the same view, redrawn with a later time
    assert all(status[i].startswith("● Answering") for i in ticks)


def test_an_interrupted_each_in_a_real_kernel_keeps_the_batch_in_alfa_only(
    kernel: BlockingKernelClient, slow_emulator: Emulator
) -> None:
    """The toolbar's Stop on a blocking ``--each`` is SIGINT to the kernel (interrupt_kernel): the
    cell fails with one line, `_alfa` holds the batch, `-o` is not set, and the live view ends as
    the static summary."""
    run(kernel, "%load_ext alfa_notebook\nuniverse = ['NVDA', 'AMD', 'INTC', 'AVGO', 'MU', 'TSM']")
    kernel.execute("%%alfa --each t in universe -o calls --concurrency 2\nScreen all columns of the market for {{t}}")
    seen: list[dict[str, Any]] = []

    def one_done(message: dict[str, Any]) -> bool:
        text = message["content"].get("data", {}).get("text/plain", "")
        live = message["msg_type"] in ("display_data", "update_display_data")
        return live and re.match(r"Asking Alfa: [1-5]/6 done", text) is not None  # items still to come

    until(kernel, seen, one_done)
    kernel.parent.interrupt_kernel()  # what the Stop button does to a kernel
    until(kernel, seen, lambda m: m["msg_type"] == "status" and m["content"]["execution_state"] == "idle")
    (error,) = [m["content"] for m in seen if m["msg_type"] == "error"]
    assert error["ename"] == "KeyboardInterrupt" and len(error["traceback"]) == 1
    assert "`_alfa` holds what was answered" in error["traceback"][0]
    live = next(m for m in seen if m["msg_type"] == "display_data" and "transient" in m["content"])
    last = [m for m in seen if m["msg_type"] == "update_display_data"][-1]["content"]  # the view, replaced in place
    assert last["transient"] == live["content"]["transient"]
    summary = last["data"]
    assert '<div class="alfa-batch"' in summary["text/html"] and "(interrupted)" in summary["text/plain"]
    assert [m for m in seen if m["msg_type"] == "display_data"] == [live]  # no second output: one, never empty

    after = run(kernel, "print(_alfa.interrupted, 'calls' in globals(), sorted(set(a.status for a in _alfa)))")
    printed = "".join(m["content"]["text"] for m in after if m["msg_type"] == "stream")
    assert printed == "True False ['cancelled', 'complete']\n"
