"""Against an emulator whose account admits less than the client is configured for: a 429 never
fails an item while the service keeps answering, and the progress view says why nothing moves
(the limiter's arithmetic: test_limiter.py; the retry rules: test_retry.py)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

import alfa_notebook as alfa
from alfa_notebook.emulator import CONTROL_HEADER
from alfa_notebook.many import Tally, View
from alfa_notebook.render.batch_view import progress_line

_tags = itertools.count()


class Recording(View):
    """A progress view that keeps every line it would draw."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def update(self, tally: Tally) -> None:
        self.lines.append(progress_line(tally))


def test_the_progress_line_says_when_a_rate_limit_holds_the_batch():
    tally = Tally(total=20, started=0.0, clock=lambda: 4.0, done=4, running=8, paused=lambda: 6.2)
    assert progress_line(tally) == "4/20 done · 8 running · waiting: rate limit (7 s) · 1.0/s · ~16 s left"
    tally.paused = lambda: 0.0
    assert "waiting" not in progress_line(tally)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_batch_against_a_lower_limit_than_configured_completes_every_item(alfa_emulator, monkeypatch, flavour):
    """The account admits 4 messages in any 2 s; the client starts at the documented 1,000 a
    minute with 16 items at once. Each item meets several 429s (more than max_retries) and waits
    them out; the view says so while a pause is in force."""
    view = Recording()
    monkeypatch.setattr("alfa_notebook.client._progress_view", lambda progress, total: view)
    headers = {CONTROL_HEADER: f"rate_limit=chat=4/2s;tag=lower-{next(_tags)}"}
    kw = dict(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, headers=headers, max_retries=2)
    if flavour == "sync":
        with alfa.AlfaClient(**kw) as client:
            batch = client.ask_many(["INTC"] * 16, concurrency=16)
    else:

        async def main() -> alfa.Batch:
            async with alfa.AsyncAlfaClient(**kw) as client:
                return await client.ask_many(["INTC"] * 16, concurrency=16)

        batch = asyncio.run(main())
        client = None
    assert batch.counts() == {"complete": 16}, batch.to_dataframe()[["status", "error"]]
    assert any("waiting: rate limit (" in line for line in view.lines)
    if client is not None:
        assert client.limiter.throttled > 2  # it met more 429s than max_retries allows failures
        assert client.limiter.rate("chat") < 1000 / 60  # and learned to go slower


def test_an_ask_waits_out_429s_past_max_retries(alfa_emulator):
    headers = {CONTROL_HEADER: f"status=429;retry_after=0.1;times=4;on=send_message;tag=ask-{next(_tags)}"}
    with alfa.AlfaClient(
        api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, headers=headers, max_retries=2
    ) as client:
        answer = client.ask("INTC")
        history = client.threads.messages(answer.thread_id)
    assert answer.status == "complete"
    assert sum(1 for m in history.messages if m.is_user) == 1  # asked once


def test_an_ask_does_not_wait_past_its_deadline_for_a_rate_limit(alfa_emulator):
    headers = {CONTROL_HEADER: f"status=429;retry_after=30;times=1;on=send_message;tag=deadline-{next(_tags)}"}
    with alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, headers=headers) as client:
        with pytest.raises(alfa.RateLimitError) as raised:
            client.ask("INTC", timeout=5)
        assert raised.value.retry_after == 30 and "retry in 30 s" in str(raised.value)
        # The question never reached the thread the ask made, so that thread was deleted.
        assert client.last_answer is not None and client.last_answer.thread_id not in {
            t.id for t in client.threads.list()
        }
