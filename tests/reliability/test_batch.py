"""ask_many against an emulator in another process: 200 items at concurrency 200 on one client,
a rate limit that forces many 429s, and faults on some items. Counted on the server afterwards:
every item has its own thread named after its key holding its question exactly once, no thread is
empty, nothing is lost or doubled; and the client's process holds no more descriptors, threads or
sockets than before.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

import alfa_notebook as alfa
from alfa_notebook.emulator import CONTROL_HEADER

from .test_load import Resources

pytestmark = pytest.mark.long

QUESTION = "INTC"
_runs = itertools.count()


def keys(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{next(_runs)}-{i:03d}" for i in range(n)]


def server_count(emulator_process, names: list[str]) -> dict[str, list[int]]:
    """For each thread name: the number of user messages in each thread of that name."""
    wanted = set(names)
    found: dict[str, list[int]] = {name: [] for name in names}
    with alfa.AlfaClient(
        api_key=emulator_process.api_key, base_url=emulator_process.base_url, rate_limit="off"
    ) as client:
        for thread in client.threads.list():
            if thread.name in wanted:
                history = client.threads.messages(thread.id)
                found[thread.name].append(sum(1 for m in history.messages if m.is_user))
    return found


def make(cls, emulator_process, controls: str | None = None, **kw):
    headers = {CONTROL_HEADER: f"{controls};tag=batch-{next(_runs)}"} if controls else None
    return cls(api_key=emulator_process.api_key, base_url=emulator_process.base_url, headers=headers, **kw)


@pytest.mark.timeout(240)
def test_200_items_at_concurrency_200_on_one_client(emulator_process, reliability_report):
    names = keys("wide", 200)
    port = emulator_process.port
    before = Resources.now(port)
    with make(alfa.AlfaClient, emulator_process, rate_limit="off") as client:
        batch = client.ask_many([QUESTION] * 200, keys=names, concurrency=200, progress=False)
    after = Resources.now(port)

    assert len(batch) == 200 and batch.counts() == {"complete": 200}
    assert batch.keys == names
    assert len({a.thread_id for a in batch}) == 200
    # One thread per item, named after its key, holding its question once: nothing lost or doubled.
    assert server_count(emulator_process, names) == {name: [1] for name in names}
    assert after == before, f"before {before}, after {after}"
    reliability_report.append(f"batch: 200 items at concurrency 200 in {batch.elapsed:.1f} s; {after}")


@pytest.mark.timeout(240)
def test_a_rate_limit_forcing_429s_loses_and_doubles_nothing(emulator_process, reliability_report):
    names = keys("limited", 30)
    # The service admits 5 messages a second; the client starts at the documented 1,000 a minute.
    client = make(alfa.AsyncAlfaClient, emulator_process, "rate_limit=chat=5/s", max_retries=10)

    async def main():
        async with client:
            return await client.ask_many([QUESTION] * 30, keys=names, concurrency=30, progress=False)

    batch = asyncio.run(main())
    assert batch.counts() == {"complete": 30}, batch.to_dataframe()[["key", "status", "error"]]
    assert client.limiter.throttled >= 3  # it met 429s, and slowed down
    assert server_count(emulator_process, names) == {name: [1] for name in names}
    reliability_report.append(f"batch: 30 items at 5/s: {client.limiter.throttled} 429s, {batch.elapsed:.1f} s")


FAULTS = {
    "drops": "drop_after=4;times=3",
    "stalls": "stall=1.0;stall_after=3;times=2",
    "503s": "status=503;retry_after=0.1;on=send_message;times=3",
    "429s on create": "status=429;retry_after=0.1;on=create_thread;times=3",
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_faults_on_some_items_lose_and_double_nothing(emulator_process, fault):
    names = keys(fault.replace(" ", "-"), 20)
    with make(alfa.AlfaClient, emulator_process, FAULTS[fault], stream_read_timeout=0.5) as client:
        batch = client.ask_many([QUESTION] * 20, keys=names, concurrency=10, progress=False)
    assert batch.counts() == {"complete": 20}, batch.to_dataframe()[["key", "status", "error"]]
    assert server_count(emulator_process, names) == {name: [1] for name in names}


@pytest.mark.timeout(120)
def test_one_batch_with_faults_on_a_tenth_of_its_items(emulator_process, reliability_report):
    """100 items: the first 10 streams dropped after 4 events, the first 10 requests (thread
    creations) refused with 503; every item ends complete, asked once."""
    names = keys("mixed", 100)
    port = emulator_process.port
    before = Resources.now(port)
    controls = "drop_after=4;status=503;retry_after=0.1;times=10"
    with make(alfa.AlfaClient, emulator_process, controls, rate_limit="off") as client:
        batch = client.ask_many([QUESTION] * 100, keys=names, concurrency=50, progress=False)
    after = Resources.now(port)
    assert batch.counts() == {"complete": 100}, batch.to_dataframe()[["key", "status", "error"]]
    assert sum(1 for a in batch if a.warnings) >= 10  # the dropped streams were mended
    assert server_count(emulator_process, names) == {name: [1] for name in names}
    assert after == before, f"before {before}, after {after}"
    reliability_report.append(f"batch: 100 items, faults on 10% of them: {batch.counts()}, {batch.elapsed:.1f} s")


def test_errored_turns_are_rows_with_a_typed_error(emulator_process):
    names = keys("errored", 6)
    with make(alfa.AlfaClient, emulator_process, "error=1") as client:
        batch = client.ask_many([QUESTION] * 6, keys=names, concurrency=3, progress=False)
    frame = batch.to_dataframe()
    assert list(frame["status"]) == ["error"] * 6
    assert all(isinstance(a.error, alfa.TurnFailedError) for a in batch)
    assert frame["error"].str.startswith("TurnFailedError: Alfa ended the answer with an error").all()
    assert batch.failed == [0, 1, 2, 3, 4, 5]
    assert server_count(emulator_process, names) == {name: [1] for name in names}


_WORKER = """
import json, sys
import alfa_notebook as alfa
base_url, api_key, controls, prefix, n = sys.argv[1:6]
names = [f"{prefix}-{i:02d}" for i in range(int(n))]
with alfa.AlfaClient(api_key=api_key, base_url=base_url, headers={"X-Alfa-Emulator": controls}) as client:
    batch = client.ask_many(["INTC"] * len(names), keys=names, concurrency=len(names), progress=False)
print(json.dumps({"counts": batch.counts(), "names": names, "throttled": client.limiter.throttled}))
"""


@pytest.mark.timeout(120)
def test_two_processes_of_one_account_each_complete_every_item(emulator_process, reliability_report):
    """Two processes of one account, each starting at the documented 1,000 messages a minute with
    10 items at once, against an account admitting 5 in any 2 s: they share its limit by what its
    429s teach them, and no item fails."""
    import json
    import subprocess
    import sys

    controls = f"rate_limit=chat=5/2s;tag=shared-{next(_runs)}"
    prefixes = keys("shared", 2)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, emulator_process.base_url, emulator_process.api_key, controls, p, "10"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in prefixes
    ]
    results = [json.loads(worker.communicate(timeout=110)[0]) for worker in workers]
    assert [r["counts"] for r in results] == [{"complete": 10}] * 2
    names = [name for r in results for name in r["names"]]
    assert server_count(emulator_process, names) == {name: [1] for name in names}
    reliability_report.append(f"two processes at 5/2s: {[r['throttled'] for r in results]} 429s")
