"""Ctrl-C in a blocking ``ask_many``, the way it happens: a real SIGINT to a real process, at
several moments (while the caller waits for the batch, inside a progress view's update, while it
draws the summary, and a second one while the running items are being cancelled).

The child prints a line when it reaches each moment, and the test signals it then: no sleeps.
What the child returned is printed as JSON; the service's state is read from the emulator."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import alfa_notebook as alfa

CHILD = textwrap.dedent(
    """
    import json, sys, threading, time
    import alfa_notebook as alfa
    import alfa_notebook.client
    from alfa_notebook.emulator.defaults import CONTROL_HEADER
    from alfa_notebook.many import View

    base_url, api_key, prefix, moment, after, control, long = sys.argv[1:8]
    after = int(after)

    class Signalled(View):
        '''Says where the caller is, so the test signals it there.'''

        def __init__(self):
            self.said = False

        def update(self, tally):
            if self.said or tally.done < after or moment == "finish":
                return
            self.said = True
            if moment == "update":
                print("in-update", flush=True)
                time.sleep(30)  # the SIGINT lands here, inside the view's update
            else:
                print("waiting", flush=True)  # back to waiting for the batch

        def finish(self, batch):
            if moment == "finish":
                print("in-finish", flush=True)
                time.sleep(30)

    def first_interrupt(signum, frame):
        print("interrupted", flush=True)
        raise KeyboardInterrupt

    import signal
    signal.signal(signal.SIGINT, first_interrupt)
    alfa_notebook.client._progress_view = lambda progress, total: Signalled()
    keys = [f"{prefix}-{i}" for i in range(8)]
    # The first items are short; the others run long enough to be running at the interrupt.
    questions = ["INTC"] * 2 + [long] * 6
    client = alfa.AlfaClient(
        api_key=api_key, base_url=base_url, headers={CONTROL_HEADER: control}, rate_limit="off", max_retries=0
    )
    try:
        batch, outcome = client.ask_many(questions, keys=keys, concurrency=4), "returned"
    except KeyboardInterrupt as stopped:
        batch, outcome = stopped.batch, "raised"
    print(json.dumps({
        "outcome": outcome,
        "kept": client.last_batch is batch,
        "interrupted": batch.interrupted,
        "helpers": sum(t.name == "alfa-ask-many" for t in threading.enumerate()),
        "items": [
            {"key": k, "status": a.status, "thread_id": a.thread_id, "text": len(a.text)}
            for k, a in zip(batch.keys, batch)
        ],
    }), flush=True)
    """
)

_runs = itertools.count()


LONG = "Top performers over the last year, with a chart"


def run_child(emulator, tmp_path, moment, after, control="chunk_delay=0.01", signals=1, long=LONG):
    """Start the child, wait for the line saying it reached ``moment``, send SIGINT (twice for
    ``signals=2``, the second once the first has been handled); returns its JSON and the prefix
    of its threads' names."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    prefix = f"sigint-{os.getpid()}-{next(_runs)}"
    child = subprocess.Popen(
        [sys.executable, str(script), emulator.base_url, emulator.api_key, prefix, moment, str(after), control, long],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        expected = {"wait": "waiting", "update": "in-update", "finish": "in-finish"}[moment]
        line = child.stdout.readline().strip()
        assert line == expected, (line, child.stderr.read() if not line else "")
        os.kill(child.pid, signal.SIGINT)
        if signals == 2:
            assert child.stdout.readline().strip() == "interrupted"
            cancelling(emulator, prefix)
            os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0 and "Traceback" not in err, err
    lines = out.strip().splitlines()
    return json.loads(lines[-1]), prefix


def cancelling(emulator, prefix):
    """Wait until the service has stopped every task of the batch: the child's items have sent
    their cancels, and are now reading what was kept (held back by the emulator)."""
    deadline = time.monotonic() + 30
    while True:
        mine = [t for t in emulator.state().threads if t.name.startswith(prefix + "-")]
        if mine and not any(t.running for t in mine):
            return
        assert time.monotonic() < deadline, "the child's items were never cancelled"
        time.sleep(0.01)


def server_view(emulator, prefix):
    """The batch's threads as the service holds them: name -> (questions, task status, running)."""
    with alfa.AlfaClient(api_key=emulator.api_key, base_url=emulator.base_url, rate_limit="off") as client:
        state = emulator.state()
        return {
            t.name: (t.questions, client.threads.progress(t.thread_id).status, t.running)
            for t in state.threads
            if t.name.startswith(prefix + "-")
        }


def check_kept_and_consistent(result, held, *, done_before):
    """Complete items as they were, the others cancelled; every item's status is what the
    service kept; no thread without its question; no task left running."""
    items = result["items"]
    assert [item["key"] for item in items] == sorted((i["key"] for i in items), key=lambda k: int(k.rsplit("-", 1)[1]))
    statuses = [item["status"] for item in items]
    assert set(statuses) <= {"complete", "cancelled"}, statuses
    assert statuses.count("complete") >= done_before
    for name, (questions, _status, running) in held.items():
        assert questions, f"{name}: a thread without its question was left on the service"
        assert not running, f"{name}: its task still runs on the service"
    for item in items:
        if item["thread_id"] is None:
            assert item["status"] == "cancelled" and item["key"] not in held
            continue
        assert item["key"] in held
        assert held[item["key"]][1] == item["status"], (item, held[item["key"]])
    started = [item for item in items if item["thread_id"] is not None and item["status"] == "cancelled"]
    return started


@pytest.mark.parametrize(
    ("moment", "after"),
    [("wait", 0), ("wait", 2), ("update", 0), ("update", 2)],
    ids=["waiting-at-start", "waiting-after-2-done", "in-view-update-at-start", "in-view-update-after-2-done"],
)
def test_one_sigint_returns_the_batch_with_what_was_answered(alfa_emulator, tmp_path, moment, after):
    result, prefix = run_child(alfa_emulator, tmp_path, moment, after)
    assert result["outcome"] == "returned" and result["kept"] and result["interrupted"]
    assert result["helpers"] == 0  # the batch's helper thread has ended
    running_then = check_kept_and_consistent(result, server_view(alfa_emulator, prefix), done_before=after)
    if after:
        assert running_then, "the long items were running at the interrupt: each keeps its thread"


def test_a_sigint_while_the_summary_is_drawn_raises_with_the_whole_batch(alfa_emulator, tmp_path):
    result, prefix = run_child(alfa_emulator, tmp_path, "finish", 0, control="chunk_delay=0", long="AMD")
    assert result["outcome"] == "raised" and result["kept"] and not result["interrupted"]
    assert [item["status"] for item in result["items"]] == ["complete"] * 8
    check_kept_and_consistent(result, server_view(alfa_emulator, prefix), done_before=8)


def test_a_second_sigint_stops_waiting_for_the_cancels_and_still_gives_the_batch(alfa_emulator, tmp_path):
    # The service holds back each stopped item's reading of what it kept for 20 s: the child is
    # surely waiting for its items to end when the second SIGINT comes.
    control = "chunk_delay=0.01;slow_first_byte=20;on=list_messages;times=8"
    result, _ = run_child(alfa_emulator, tmp_path, "wait", 2, control=control, signals=2)
    assert result["outcome"] == "raised" and result["kept"] and result["interrupted"]
    statuses = [item["status"] for item in result["items"]]
    assert statuses.count("complete") >= 2 and set(statuses) == {"complete", "cancelled"}
