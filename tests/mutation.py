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
    "wire/limiter.py": ["tests/client/test_batch.py"],
    "wire/channel.py": [
        "tests/client/test_retry.py",
        "tests/client/test_retry_outcomes.py",
        "tests/client/test_failures.py",
    ],
    "many.py": ["tests/client/test_batch.py", "tests/client/test_batch_interrupts.py"],
    "results/batch.py": ["tests/client/test_batch.py", "tests/client/test_batch_interrupts.py"],
    "notebook/each.py": ["tests/notebook/test_each.py"],
    "cassette/*": ["tests/cassette/test_cassette.py", "tests/cassette/test_cassette_rules.py"],
    "wire/arguments.py": ["tests/client/test_arguments.py"],
    "attachments.py": ["tests/client/test_attach.py"],
}

# mutmut's name of a mutant -> why no test of behaviour can kill it.
EQUIVALENT: dict[str, str] = {
    "alfa_notebook.wire.retry.x__seconds__mutmut_3": "the ValueError's message: caught at once by the caller",
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
