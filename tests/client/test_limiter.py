"""The limiter's arithmetic on an injected clock (no sleeps): the pace, the pause after a 429,
the pace it learns from the service, and two clients sharing one account's limit."""

from __future__ import annotations

import pytest

from alfa_notebook.emulator.ratelimit import Limit, SlidingWindow
from alfa_notebook.wire.limiter import DOCUMENTED, Limiter, Rate, bucket_of, parse_rate_limit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_documented_limits_are_the_default():
    assert parse_rate_limit(None) == {"chat": Rate(1000, 60), "threads": Rate(10000, 60), "other": Rate(20, 60)}
    assert parse_rate_limit("chat=600/min") == {**DOCUMENTED, "chat": Rate(600, 60)}
    assert parse_rate_limit("off") == {}
    assert parse_rate_limit("off,chat=5/2s") == {"chat": Rate(5, 2)}
    assert parse_rate_limit({"chat": 120})["chat"] == Rate(120, 60)


def test_bad_limits_say_what_is_wrong():
    from alfa_notebook.wire.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="'chat=fast' is not BUCKET=N/WINDOW"):
        parse_rate_limit("chat=fast")
    with pytest.raises(ConfigurationError) as info:
        parse_rate_limit("chats=5/s")
    assert str(info.value) == "rate_limit 'chats=5/s': unknown bucket 'chats' (buckets: chat, threads, other)."


def test_rate_limit_wait_resolves_as_every_setting_does():
    from alfa_notebook.wire.errors import ConfigurationError
    from alfa_notebook.wire.settings import resolve_settings

    assert resolve_settings(env={}).rate_limit_wait == 120
    assert resolve_settings(env={"ALFA_RATE_LIMIT_WAIT": "30"}).rate_limit_wait == 30
    assert resolve_settings(rate_limit_wait=5, env={"ALFA_RATE_LIMIT_WAIT": "30"}).rate_limit_wait == 5
    assert resolve_settings(configured={"rate_limit_wait": 7.5}, env={}).rate_limit_wait == 7.5
    with pytest.raises(ConfigurationError, match="from the environment variable ALFA_RATE_LIMIT_WAIT") as info:
        resolve_settings(env={"ALFA_RATE_LIMIT_WAIT": "soon"})
    assert info.value.setting == "rate_limit_wait"


def test_requests_are_counted_against_the_documented_buckets():
    assert bucket_of("POST", "/threads/{id}/messages") == "chat"
    assert bucket_of("GET", "/threads/{id}/messages") == "threads"
    assert bucket_of("POST", "/threads") == "threads"
    assert bucket_of("POST", "/oauth2/token") == "other"


def test_a_burst_of_one_second_then_an_even_pace_never_more_than_the_limit_in_a_window():
    clock = Clock()
    limiter = Limiter({"chat": Rate(600, 60)}, max_pause=60, clock=clock)
    waits = [limiter.reserve("chat") for _ in range(12)]
    # 10 at once (one second's worth), then one every 60/591 s: 600 in any 60 s at most.
    assert waits[:10] == pytest.approx([0.0] * 10, abs=1e-9)
    assert waits[10] == pytest.approx(60 / 591)
    assert waits[11] == pytest.approx(2 * 60 / 591)
    assert limiter.reserve("threads") == 0.0  # unlimited bucket


def test_a_per_hour_limit_is_kept_per_hour_not_read_per_minute():
    limits = parse_rate_limit("off,chat=120/h")
    assert limits == {"chat": Rate(120, 3600)}
    limiter = Limiter(limits, max_pause=60, clock=Clock())
    # One at once, then one every 30 s: 120 in an hour (120 a minute would be 2 a second).
    assert [limiter.reserve("chat") for _ in range(3)] == pytest.approx([0.0, 30.0, 60.0])


def test_a_429_pauses_its_bucket_for_every_worker_and_slows_its_pace_once():
    clock = Clock()
    limiter = Limiter({"chat": Rate(60, 60), "threads": Rate(60, 60)}, max_pause=60, clock=clock)
    limiter.observe("chat", 429, 2.0)
    limiter.observe("chat", 429, 2.0)  # the same news: slowed once
    assert limiter.paused("chat") == pytest.approx(2.0) and limiter.paused() == pytest.approx(2.0)
    assert limiter.reserve("chat") == pytest.approx(2.0)  # every chat request waits out the pause
    assert limiter.reserve("chat") == pytest.approx(2.0 + 1 / 0.7)  # no burst, 70 % of the pace
    assert limiter.reserve("threads") == 0.0  # another limit, counted apart: not held
    assert limiter.paused("threads") == 0.0
    assert limiter.throttled == 2
    limiter.observe("threads", 429, 600.0)  # longer than the channel waits: raised, no pause
    assert limiter.reserve("threads") == pytest.approx(1.0)  # its pace, one a second: no 600 s pause
    clock.now += 2.0
    assert limiter.paused() == 0.0  # the pause is over


def test_a_later_shorter_retry_after_shortens_the_pause_in_force():
    clock = Clock()
    limiter = Limiter({"chat": Rate(60, 60)}, max_pause=60, clock=clock)
    limiter.observe("chat", 429, 10.0)
    clock.now += 1.0
    limiter.observe("chat", 429, 2.0)  # the service's latest word: a slot frees in 2 s, not 9
    assert limiter.paused("chat") == pytest.approx(2.0)
    assert limiter.reserve("chat") == pytest.approx(2.0)


def test_after_a_429_the_pace_climbs_back_by_a_fixed_step_an_answer():
    """Additive increase (as TCP's): the rate grows linearly with the answers admitted, not
    geometrically, so it stays near what the service admits instead of overshooting it at once."""
    clock = Clock()
    limiter = Limiter({"chat": Rate(60, 10)}, max_pause=60, clock=clock)  # 6 a second, paced at 60/55
    full = limiter.rate("chat")
    limiter.observe("chat", 429, 1.0)
    assert limiter.rate("chat") == pytest.approx(0.7 * full)
    rates = []
    for _ in range(10):
        limiter.observe("chat", 200, None)
        rates.append(limiter.rate("chat"))
    steps = [b - a for a, b in zip([0.7 * full, *rates], rates)]
    assert steps == pytest.approx([0.02 * full] * 10)  # 2 % of the configured pace each
    assert all(r < full for r in rates)  # not yet back
    for _ in range(100):
        limiter.observe("chat", 200, None)
    assert limiter.rate("chat") == pytest.approx(full)  # and never past the configured pace


def test_a_slowed_bucket_gets_its_burst_back_with_its_pace():
    clock = Clock()
    limiter = Limiter({"chat": Rate(600, 60)}, max_pause=60, clock=clock)
    limiter.observe("chat", 429, 1.0)
    for _ in range(100):  # answers that are not 429 bring the pace back
        limiter.observe("chat", 200, None)
    clock.now += 120  # long after the pause and every earlier slot
    waits = [limiter.reserve("chat") for _ in range(11)]
    assert waits[:10] == pytest.approx([0.0] * 10, abs=1e-9)  # one second's worth at once, as at first
    assert waits[10] == pytest.approx(60 / 591)


def _share_one_account(clients: int, items: int, concurrency: int, account: Limit) -> tuple[float, list[int]]:
    """``clients`` limiters at the documented pace, each sending ``items`` requests, at most
    ``concurrency`` at once, against one sliding window of ``account``. A request takes its slot as
    ``Limiter.wait`` does (a pause begun meanwhile is waited out, and the slot taken again); a
    refused one waits out its Retry-After (whole seconds, as the emulator says it) in its slot
    after the pause, as the channel does. Returns when the last was admitted, and each client's 429s."""
    clock = Clock()
    start = clock.now
    window = SlidingWindow(account)
    limiters = [Limiter(DOCUMENTED, max_pause=120, clock=clock) for _ in range(clients)]
    at_once = min(items, concurrency)
    left = [items - at_once] * clients
    # (when it goes, client, whether it has yet to look for a pause begun after its slot was taken)
    queue = [(clock.now + lim.reserve("chat"), i, True) for i, lim in enumerate(limiters) for _ in range(at_once)]
    last = start
    while queue:
        queue.sort()
        when, i, first = queue.pop(0)
        clock.now = max(clock.now, when)
        paused = limiters[i].paused("chat")
        if first and paused:
            queue.append((clock.now + paused + limiters[i].reserve("chat"), i, False))
            continue
        wait = window.admit(clock.now)
        if wait is None:
            limiters[i].observe("chat", 200, None)
            last = clock.now
            if left[i] > 0:
                left[i] -= 1
                queue.append((clock.now + limiters[i].reserve("chat"), i, True))
            continue
        retry_after = float(max(1, -(-wait // 1)))
        limiters[i].observe("chat", 429, retry_after)
        queue.append((clock.now + max(retry_after, limiters[i].reserve("chat")), i, False))
    return last - start, [limiter.throttled for limiter in limiters]


def test_two_clients_of_one_account_learn_to_share_its_limit():
    """Two processes of one account, each configured with the documented 1,000 a minute, against
    an account admitting 30 in any 10 s: every request goes through, near the limit's floor."""
    seconds, throttled = _share_one_account(2, 120, 40, Limit(30, 10.0))
    floor = 240 / 3
    assert seconds <= 1.6 * floor


def test_every_spelling_of_a_limit_reads_as_its_rate():
    assert parse_rate_limit("default") == DOCUMENTED == parse_rate_limit("documented") == parse_rate_limit("")
    assert parse_rate_limit("none") == {}
    assert parse_rate_limit("default,chat=600/min") == {**DOCUMENTED, "chat": Rate(600, 60)}
    assert parse_rate_limit(",,documented,threads=5/s") == {**DOCUMENTED, "threads": Rate(5, 1)}
    assert parse_rate_limit(" OFF , chat = 5 / 2 s ") == {"chat": Rate(5, 2)}
    assert parse_rate_limit("off,chat=1.5/sec,threads=600/minute,other=10/hour") == {
        "chat": Rate(1.5, 1),
        "threads": Rate(600, 60),
        "other": Rate(10, 3600),
    }
    assert parse_rate_limit("off,chat=1/second,threads=2/min,other=3/h") == {
        "chat": Rate(1, 1),
        "threads": Rate(2, 60),
        "other": Rate(3, 3600),
    }


@pytest.mark.parametrize("spec", ["chat", "chat=5/fortnight", "chat=5", "chat=/min", "chat==5/min"])
def test_a_limit_that_is_not_bucket_n_window_says_the_form(spec):
    from alfa_notebook.wire.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as info:
        parse_rate_limit(spec)
    assert str(info.value).startswith(f"rate_limit {spec!r}: {spec!r} is not BUCKET=N/WINDOW such as 'chat=600/min'")
    assert "(buckets: chat, threads, other; or 'documented', or 'off')" in str(info.value)


@pytest.mark.parametrize("spec", ["chat=0/min", "chat=5/0s", {"chat": 0}, {"chat": -1}])
def test_a_rate_of_nothing_is_refused(spec):
    from alfa_notebook.wire.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as info:
        parse_rate_limit(spec)
    assert str(info.value) == f"rate_limit {spec!r}: a rate must be a positive number of requests."


def test_an_unknown_bucket_in_a_mapping_is_named():
    from alfa_notebook.wire.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as info:
        parse_rate_limit({"chats": 5})
    assert str(info.value) == "rate_limit {'chats': 5}: unknown bucket 'chats' (buckets: chat, threads, other)."


def test_a_limiter_shows_its_limits():
    assert repr(Limiter(parse_rate_limit(None), max_pause=60)) == (
        "<Limiter chat=1000/min, threads=10000/min, other=20/min>"
    )
    assert repr(Limiter(parse_rate_limit("off,chat=5/2s,other=3/h"), max_pause=60)) == "<Limiter chat=5/2s, other=3/h>"
    assert repr(Limiter({}, max_pause=60)) == "<Limiter off>"


def test_a_rate_under_one_a_second_goes_one_at_a_time_and_a_huge_one_has_no_empty_interval():
    assert Rate(30, 60).burst == 1 and Rate(30, 60).interval == 2.0
    assert Rate(10, 1).burst == 10 and Rate(10, 1).interval == 1.0  # a window of its burst
    assert Rate(600, 60).interval == pytest.approx(60 / 591)


def test_a_429_without_retry_after_pauses_its_bucket_a_second_and_one_as_long_as_the_channel_waits_pauses():
    clock = Clock()
    limiter = Limiter({"chat": Rate(60, 60)}, max_pause=30, clock=clock)
    limiter.observe("chat", 429, None)
    assert limiter.paused("chat") == pytest.approx(1.0)
    clock.now += 5
    limiter.observe("chat", 429, 30.0)  # exactly the longest wait the channel keeps: a pause
    assert limiter.paused("chat") == pytest.approx(30.0)
    limiter.observe("threads", 429, 4.0)  # an unlimited bucket is paused too, with no pace to cut
    assert limiter.paused("threads") == pytest.approx(4.0) and limiter.rate("threads") is None
    assert limiter.reserve("threads") == pytest.approx(4.0)
    assert limiter.paused() == pytest.approx(30.0)  # the longest pause in force


def test_429s_after_each_pause_cut_the_pace_again_down_to_a_floor():
    clock = Clock()
    limiter = Limiter({"chat": Rate(60, 60)}, max_pause=60, clock=clock)  # one a second
    limiter.observe("chat", 429, 1.0)
    clock.now += 1.0  # the pause is over: a new 429 is new news
    limiter.observe("chat", 429, 1.0)
    assert limiter.rate("chat") == pytest.approx(0.49)
    for _ in range(30):
        clock.now += 1.0
        limiter.observe("chat", 429, 1.0)
    assert limiter.rate("chat") == pytest.approx(0.01)  # 1 % of the configured pace, no slower


def test_an_error_that_is_not_a_429_teaches_nothing():
    clock = Clock()
    limiter = Limiter({"chat": Rate(60, 60)}, max_pause=60, clock=clock)
    limiter.observe("chat", 429, 1.0)
    slowed = limiter.rate("chat")
    limiter.observe("chat", 500, None)
    limiter.observe("chat", 404, None)
    limiter.observe("chat", 400, None)
    assert limiter.rate("chat") == slowed and limiter.throttled == 1
    limiter.observe("chat", 399, None)
    assert limiter.rate("chat") > slowed


def test_waiting_a_turn_waits_out_a_pause_that_began_meanwhile_and_takes_a_slot_again(fake_sleep):
    """A request whose slot came up while another's 429 paused the bucket goes after the pause,
    not into it: the pause is waited out, then a slot taken again (once)."""
    clock = Clock()
    limiter = Limiter({"chat": Rate(60, 60)}, max_pause=60, clock=clock)  # one a second, no burst
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        clock.now += seconds
        if len(slept) == 1:  # while this request waits its turn, another meets a 429
            limiter.observe("chat", 429, 3.0)

    fake_sleep(sleep)
    limiter.reserve("chat")  # the slot now is taken: this request's turn is in a second
    limiter.wait("chat")
    assert slept == pytest.approx([1.0, 3.0])  # its turn, then the pause
    assert limiter.reserve("chat") == pytest.approx(1 / 0.7)  # it took the slot after the pause: the next is later
    slept.clear()
    clock.now += 100
    limiter.wait("chat")
    assert slept == []  # long after: at once


def test_awaiting_a_turn_waits_out_a_pause_that_began_meanwhile_as_waiting_does(fake_sleep):
    import asyncio

    clock = Clock()
    limiter = Limiter({"chat": Rate(60, 60)}, max_pause=60, clock=clock)
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        clock.now += seconds
        if len(slept) == 1:
            limiter.observe("chat", 429, 3.0)

    fake_sleep(sleep)
    limiter.reserve("chat")
    asyncio.run(limiter.await_turn("chat"))
    assert slept == pytest.approx([1.0, 3.0])
    assert limiter.reserve("chat") == pytest.approx(1 / 0.7)
    slept.clear()
    clock.now += 100
    asyncio.run(limiter.await_turn("chat"))
    assert slept == []


@pytest.mark.parametrize("waiting", ["wait", "await_turn"])
def test_a_pause_that_comes_back_again_and_again_is_waited_out_twice_at_most(fake_sleep, waiting):
    """wait() and await_turn() are bounded: the channel's own retry rules take over from there."""
    import asyncio

    clock = Clock()
    limiter = Limiter({}, max_pause=60, clock=clock)
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        clock.now += seconds
        limiter.observe("chat", 429, 2.0)  # a pause begins during every wait

    fake_sleep(sleep)
    limiter.observe("chat", 429, 2.0)
    turn = getattr(limiter, waiting)("chat")
    if waiting == "await_turn":
        asyncio.run(turn)
    assert slept == [2.0, 2.0, 2.0, 2.0]


def test_a_429_pauses_only_its_own_bucket_for_a_request_waiting_its_turn(fake_sleep):
    import asyncio

    clock = Clock()
    limiter = Limiter({"chat": Rate(60, 60)}, max_pause=60, clock=clock)
    slept: list[float] = []

    fake_sleep(slept.append)
    limiter.observe("threads", 429, 5.0)  # a thread listing refused: chat goes on
    limiter.wait("chat")
    asyncio.run(limiter.await_turn("other"))
    assert slept == []


def test_a_limiter_on_a_clock_that_starts_at_zero_keeps_the_same_rules():
    """The clock is any monotonic one (an injected one may start at 0): nothing assumes it is past 1."""
    clock = Clock()
    clock.now = 0.0
    limiter = Limiter({"chat": Rate(60, 60)}, max_pause=60, clock=clock)
    assert limiter.paused() == 0.0 and limiter.paused("chat") == 0.0
    assert limiter.reserve("chat") == 0.0  # at once
    limiter.observe("chat", 429, 0.5)  # the first 429 slows the pace, even at 0
    assert limiter.rate("chat") == pytest.approx(0.7)


def test_a_slowed_bucket_gets_no_burst_until_its_pace_is_back():
    clock = Clock()
    limiter = Limiter({"chat": Rate(600, 60)}, max_pause=60, clock=clock)
    limiter.observe("chat", 429, 1.0)
    limiter.observe("chat", 200, None)  # one answer: still slower than configured
    clock.now += 120
    waits = [limiter.reserve("chat") for _ in range(3)]
    assert waits[0] == 0.0 and waits[1] > 0.1 and waits[2] > waits[1]  # one at a time
