"""`make mutation`: mutmut over the modules whose bugs lose or double answers or leak secrets,
each with its own fast tests, and a score per module (docs/testing.md keeps the latest).

mutmut 3 reads one ``[tool.mutmut]`` (pyproject.toml) and mutates in ./mutants, so each module
runs in a copy of the checkout (build/mutation/<module>/) whose pyproject names that module and its tests. The
score is killed / (mutants - equivalent - not run); an equivalent mutant (one no test of
behaviour can tell from the original) is listed in EQUIVALENT with a one-line reason.

    python tests/mutation.py                      # every module
    python tests/mutation.py wire/retry.py        # some
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The module (under alfa_notebook/) and the fast tests that are its specification.
MODULES: dict[str, list[str]] = {
    "wire/retry.py": [
        "tests/client/test_retry.py",
        "tests/client/test_retry_outcomes.py",
        "tests/reliability/test_deadline.py::test_a_retry_after_that_ends_past_the_deadline_is_not_waited_but_raised",
    ],
    "render/safe.py": ["tests/render/test_safe.py", "tests/render/test_hostile.py", "tests/render/test_walk.py"],
    # (element ids count per kernel: that test reads the count another test left, as mutmut's
    # reordering shows; the renderer's tests cover it)
    "results/answer_data.py": [
        "tests/cassette/test_answers_as_data.py",
        "tests/frames/test_frames_exactness.py",
        "-k",
        "not shown_twice_in_a_kernel",
    ],
    "turn/machine.py": ["tests/client/test_turn.py", "tests/client/test_procedure_settling.py"],
    "turn/steps.py": [
        "tests/client/test_turn.py",
        "tests/client/test_procedure_settling.py",
        "tests/reliability/test_deadline.py",
    ],
    "turn/ending.py": ["tests/client/test_ending.py"],
    "wire/limiter.py": ["tests/client/test_limiter.py", "tests/client/test_batch.py"],
    # (of the tests with real sockets, only those of the pools: bound to an event loop, unbounded for streams)
    "wire/channel.py": [
        "tests/client/test_channel.py",
        "tests/client/test_retry.py",
        "tests/client/test_retry_outcomes.py",
        "tests/client/test_request_ids.py",
        "tests/client/test_failures.py::test_an_async_client_works_across_two_asyncio_runs",
        "tests/client/test_failures.py::test_an_async_client_closed_under_another_event_loop_closes_the_pools_it_opened",
        "tests/reliability/test_load.py::test_a_client_holds_more_streams_at_once_than_its_rest_pool_has_connections",
        "tests/security/test_secrets.py::test_the_credential_is_only_added_for_the_configured_origin",
    ],
    "wire/outcomes.py": [
        "tests/client/test_outcomes.py",
        "tests/client/test_retry_outcomes.py",
        "tests/client/test_request_ids.py",
    ],
    "many.py": ["tests/client/test_batch.py", "tests/client/test_batch_interrupts.py"],
    "results/batch.py": ["tests/client/test_batch.py", "tests/client/test_batch_interrupts.py"],
    "notebook/each.py": ["tests/notebook/test_each.py"],
    "asking.py": ["tests/client/test_ending.py"],
    # (each cassette file with the cassette tests that are not subprocesses or notebooks; mutmut runs
    # only those that reach the mutated function)
    **{
        f"cassette/{name}.py": [
            "tests/cassette/test_cassette_rules.py",
            "tests/cassette/test_cassette_files.py",
            "tests/cassette/test_cassette.py",
            "-k",
            "not two_processes",
        ]
        for name in ("file", "store", "tape", "replay", "recording")
    },
    "wire/arguments.py": ["tests/client/test_arguments.py"],
    "attachments.py": ["tests/client/test_attach.py"],
}

# mutmut's name of a mutant -> why no test of behaviour can kill it.
EQUIVALENT: dict[str, str] = {
    "alfa_notebook.wire.retry.x__seconds__mutmut_3": "the ValueError's message: caught at once by the caller",
    "alfa_notebook.wire.limiter.xǁLimiterǁobserve__mutmut_4": "the fast path's early return only: at the configured "
    "pace the locked path leaves pace and burst as they are",
    "alfa_notebook.wire.limiter.xǁLimiterǁobserve__mutmut_6": "the fast path's early return only: at the configured "
    "pace the locked path leaves pace and burst as they are",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_stream_operation__mutmut_4": "a stream's response is read as events: its operation's parse is never called",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_stream_operation__mutmut_14": "a stream's response is read as events: its operation's parse is never called",
    "alfa_notebook.wire.channel.xǁSyncChannelǁ_send__mutmut_19": "first = None: as falsy as False",
    "alfa_notebook.wire.channel.xǁSyncChannelǁ_send__mutmut_36": "typing.cast(None, step) returns step as cast(float, step) does",
    "alfa_notebook.wire.channel.xǁSyncChannelǁ_send__mutmut_40": "what is sent into the plan after a delay is not read (the plan sends again)",
    "alfa_notebook.wire.channel.xǁAsyncChannelǁ_send__mutmut_19": "first = None: as falsy as False",
    "alfa_notebook.wire.channel.xǁAsyncChannelǁ_send__mutmut_36": "typing.cast(None, step) returns step as cast(float, step) does",
    "alfa_notebook.wire.channel.xǁAsyncChannelǁ_send__mutmut_40": "what is sent into the plan after a delay is not read (the plan sends again)",
    "alfa_notebook.wire.channel.xǁAsyncChannelǁ_bind__mutmut_5": "a debug log line's text",
    "alfa_notebook.wire.channel.xǁAsyncChannelǁ_bind__mutmut_6": "a debug log line's text",
    "alfa_notebook.wire.channel.xǁAsyncChannelǁ_bind__mutmut_7": "a debug log line's text",
    "alfa_notebook.wire.channel.xǁAsyncChannelǁaclose__mutmut_4": "a debug log line's text",
    "alfa_notebook.wire.channel.xǁAsyncChannelǁaclose__mutmut_5": "a debug log line's text",
    "alfa_notebook.wire.channel.xǁAsyncChannelǁaclose__mutmut_6": "a debug log line's text",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_retry_plan__mutmut_112": "a 429's error: the address only shapes a 404's advice",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_retry_plan__mutmut_115": "a 429's error: the address only shapes a 404's advice",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_client_options__mutmut_8": "httpx.Limits' max_connections is None when not given",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_client_options__mutmut_19": "a header's name: HTTP reads it in any case",
    "alfa_notebook.wire.channel.x_shown_url__mutmut_2": 'httpx drops the userinfo for userinfo=None as for b""',
    "alfa_notebook.wire.channel.x__auth_header__mutmut_6": "a header's name: HTTP reads it in any case",
    "alfa_notebook.wire.channel.x__auth_header__mutmut_8": "a header's name: HTTP reads it in any case",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_timed_request__mutmut_13": "a header's name: HTTP reads it in any case",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_timed_request__mutmut_17": "a header's name: HTTP reads it in any case",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_retry_plan__mutmut_123": "no wait given reads as 1 s instead of 0: both under MAX_RETRY_AFTER",
    "alfa_notebook.wire.channel.xǁ_ChannelBaseǁ_cut__mutmut_9": "every phase of the timeouts cut is set (settings hold numbers), so never None",
    "alfa_notebook.many.x_run_blocking__mutmut_9": "sleep(1) for sleep(0): the same one pass of the loop that runs "
    "the collected generators' aclose, a second later",
    "alfa_notebook.turn.machine.xǁTurnǁ__init____mutmut_14": "interrupted None for False: only ever read for its truth",
    "alfa_notebook.turn.machine.xǁTurnǁ__init____mutmut_16": "reconnecting None for 0: only ever read for its truth",
    "alfa_notebook.turn.machine.xǁTurnǁ__init____mutmut_18": "polling None for False: only ever read for its truth",
    "alfa_notebook.turn.machine.xǁTurnǁ_message__mutmut_9": "a draft made for a whole message has its final at once: its chunks are never read",
    "alfa_notebook.turn.machine.xǁTurnǁinterrupt__mutmut_6": "end() reads a status in any case (normalise_status)",
    "alfa_notebook.turn.steps.xǁAskProcedureǁ__init____mutmut_24": "created_thread None for False: only ever read for its truth",
    "alfa_notebook.turn.steps.xǁAskProcedureǁ__init____mutmut_29": "_settle_began is set with _settle_by before it is ever read",
    "alfa_notebook.turn.steps.xǁAskProcedureǁ__init____mutmut_30": "_settle_began is set with _settle_by before it is ever read",
    "alfa_notebook.turn.steps.xǁAskProcedureǁ_recover__mutmut_24": "reconnecting None for 0: only ever read for its truth",
    "alfa_notebook.turn.steps.xǁAskProcedureǁ_feed_burst__mutmut_9": "a status that changes the turn ends it (a running status is no change): 'or turn.done' breaks where 'and' does",
    "alfa_notebook.turn.steps.xǁAskProcedureǁ_new_empty_thread__mutmut_18": "an undated thread sorts last keyed 0 or 1 (stamps are far past 1970)",
    "alfa_notebook.turn.steps.xǁAskProcedureǁstop__mutmut_26": "no status read is None or '': neither is a finished task's",
    "alfa_notebook.cassette.file.x__turn__mutmut_88": "break for continue after a bad stream: only the first problem is reported",
    "alfa_notebook.cassette.file.x_read__mutmut_4": "'UTF-8' for 'utf-8': one codec",
    "alfa_notebook.cassette.file.x_dump__mutmut_2": "ensure_ascii=None for False: json reads both as false",
    "alfa_notebook.cassette.file.x_write__mutmut_8": "newline=None for '\\n': the same bytes on POSIX, where the tests run",
    "alfa_notebook.cassette.file.x_write__mutmut_12": "newline left out: the same bytes on POSIX, where the tests run",
    "alfa_notebook.cassette.file.x_write__mutmut_16": "'UTF-8' for 'utf-8': one codec",
    "alfa_notebook.cassette.file.x__create_beside__mutmut_2": "101 random names tried for 100: each has 32 random bits",
    "alfa_notebook.cassette.store.xǁUsesǁ__init____mutmut_2": "None for False: only read as a truth value",
    "alfa_notebook.cassette.store.xǁCassetteǁ__init____mutmut_15": "'' for no stamp: a new file read at once either way",
    "alfa_notebook.cassette.replay.xǁ_TurnReplayǁ_respond__mutmut_22": "a DELETE's parse takes success as True by default",
    "alfa_notebook.cassette.replay.xǁ_TurnReplayǁ_respond__mutmut_23": "a DELETE's parse takes success as True by default",
    "alfa_notebook.cassette.replay.xǁ_TurnReplayǁ_respond__mutmut_24": "a DELETE's parse takes success as True by default",
    "alfa_notebook.cassette.replay.xǁ_ReplayStreamǁ_step__mutmut_8": "end only passes at when it is no longer above it",
    "alfa_notebook.cassette.replay.xǁ_ReplayStreamǁ_step__mutmut_47": "next() decodes only the first entry of the range",
    "alfa_notebook.cassette.store.xǁCassetteǁsave__mutmut_38": "no stamp after a write: the file is read again, its lines known, the same records",
    "alfa_notebook.cassette.tape.xǁBatchTapeǁ__init____mutmut_5": "ensure_ascii=None for False: json reads both as false",
    "alfa_notebook.cassette.tape.xǁBatchTapeǁ__init____mutmut_21": "'UTF-8' for 'utf-8': one codec",
    "alfa_notebook.attachments.x__png__mutmut_15": "matplotlib lower-cases savefig's format: 'PNG' draws the same PNG",
    "alfa_notebook.attachments.x__frame__mutmut_39": "to_csv's lineterminator=None is os.linesep, which is '\\n' on the POSIX systems tests run on",
    "alfa_notebook.attachments.x__frame__mutmut_41": "to_csv's default lineterminator is os.linesep, which is '\\n' on the POSIX systems tests run on",
    "alfa_notebook.attachments.x__frame__mutmut_44": "codec names are case-insensitive: 'UTF-8' is 'utf-8'",
}


def _pyproject(text: str, module: str, tests: list[str]) -> str:
    """``text`` with its [tool.mutmut] table naming ``module`` and ``tests``."""
    table = (
        "[tool.mutmut]\n"
        'source_paths = ["alfa_notebook"]\n'
        f"only_mutate = [{json.dumps('alfa_notebook/' + module)}]\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
    )
    return re.sub(r"\[tool\.mutmut\]\n(?:[^\[].*\n|\n)*", table + "\n", text)


def run(module: str) -> dict[str, int]:
    tests = MODULES[module]
    work = ROOT / "build" / "mutation" / module.replace("/", "-").replace("*", "all")
    shutil.rmtree(work, ignore_errors=True)  # kept after the run: `mutmut show NAME` there shows a survivor
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in files.split():
        source = ROOT / name
        if source.is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / name)
    pyproject = work / "pyproject.toml"
    pyproject.write_text(_pyproject(pyproject.read_text(), module, tests))
    mutmut = Path(sys.executable).with_name("mutmut")
    env = {**os.environ, "PYTHONPATH": str(work / "tests")}
    subprocess.run([str(mutmut), "run", "--max-children", os.environ.get("MUTMUT_CHILDREN", "2")], cwd=work, env=env)
    subprocess.run([str(mutmut), "export-cicd-stats"], cwd=work, env=env, capture_output=True)
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = subprocess.run([str(mutmut), "results"], cwd=work, env=env, capture_output=True, text=True).stdout
    survived = [line.strip().split(":")[0] for line in survivors.splitlines() if line.strip().endswith("survived")]
    for name in survived:
        if name not in EQUIVALENT:
            shown = subprocess.run([str(mutmut), "show", name], cwd=work, env=env, capture_output=True, text=True)
            print(shown.stdout, flush=True)
    equivalent = [name for name in survived if name in EQUIVALENT]
    stats["equivalent"] = len(equivalent)
    stats["survivors"] = [name for name in survived if name not in EQUIVALENT]
    return stats


def main(selected: list[str]) -> int:
    worst = 100.0
    lines = []
    for module in selected or list(MODULES):
        stats = run(module)
        counted = stats["killed"] + stats["survived"] - stats["equivalent"] + stats.get("timeout", 0)
        killed = stats["killed"] + stats.get("timeout", 0)
        score = 100.0 * killed / counted if counted else 0.0  # none run: the tests failed unmutated
        worst = min(worst, score)
        lines.append(
            f"| `{module}` | {killed} | {stats['survived'] - stats['equivalent']} | {stats['equivalent']} | {score:.0f} % |"
        )
        for name in stats["survivors"]:
            print(f"  survived: {name}")
        print(lines[-1], flush=True)
    print("\n| module | killed | survived | equivalent | score |\n|---|---|---|---|---|")
    print("\n".join(lines))
    return 0 if worst >= 90 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
