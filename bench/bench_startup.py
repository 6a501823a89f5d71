"""Start-up: ``import alfa_notebook`` and ``%load_ext alfa_notebook`` in a fresh process, against
``import httpx`` (bars: 1.3x for the import, 0.5x for ``%load_ext``).

Run from the repository root: ``python -m bench.bench_startup [--repeat K]``.

Every measurement is a new interpreter that times the one statement itself (``perf_counter``
around it) and prints the time, so the interpreter's own start-up does not dilute the ratio.
Two pairs, each measured in the same kind of process:

* a bare interpreter: ``import alfa_notebook`` against ``import httpx``;
* an interpreter with an IPython ``InteractiveShell`` up (history off), as ``%load_ext`` needs one:
  ``%load_ext alfa_notebook`` against ``import httpx`` in the same shell. IPython has already
  loaded some of httpx's standard-library dependencies there, which makes this baseline the
  stricter of the two.

The processes of all four kinds are started in turn (A B C D A B C D ...), and medians are taken.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from ._util import Figure, report

_TIMED = "import time as _t\n_s = _t.perf_counter()\n{statement}\nprint(_t.perf_counter() - _s)\n"
_SHELL = (
    "from IPython.core.interactiveshell import InteractiveShell\n"
    "from traitlets.config import Config\n"
    "_c = Config()\n_c.HistoryManager.enabled = False\n"
    "shell = InteractiveShell.instance(config=_c)\n"
)
KINDS = {
    "import httpx": _TIMED.format(statement="import httpx"),
    "import alfa_notebook": _TIMED.format(statement="import alfa_notebook"),
    "shell: import httpx": _SHELL + _TIMED.format(statement="import httpx"),
    "shell: %load_ext alfa_notebook": _SHELL
    + _TIMED.format(statement="shell.run_line_magic('load_ext', 'alfa_notebook')"),
}
# (ours, baseline, where, bar). %load_ext is the first cell of every notebook and loads the magics
# only (about 0.2-0.35x httpx); 0.5x is low enough that importing the renderer or the HTTP stack
# at load (it did: 0.99x) fails the bench.
PAIRS = (
    ("import alfa_notebook", "import httpx", "fresh interpreter", 1.3),
    ("shell: %load_ext alfa_notebook", "shell: import httpx", "fresh IPython shell", 0.5),
)


# Bytecode is written and read, as for an installed package (pip compiles it at install): with
# PYTHONDONTWRITEBYTECODE set, every run would compile alfa_notebook's sources while httpx's
# installed bytecode loads, and the ratio would measure the compiler.
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(code: str) -> float:
    """Seconds the statement took in a new interpreter."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_ENV)
    return float(done.stdout.strip().splitlines()[-1])


def measure(repeat: int) -> list[Figure]:
    for code in KINDS.values():  # warm the OS's file cache, and write the bytecode
        timed(code)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(repeat):
        for kind, code in KINDS.items():
            times[kind].append(timed(code))
    ms = {kind: statistics.median(t) * 1000 for kind, t in times.items()}
    figures = []
    for ours, base, where, bar in PAIRS:
        ratio = ms[ours] / ms[base]
        label = ours.removeprefix("shell: ")
        figures.append(
            Figure(
                f"start-up, {label} vs import httpx ({where})",
                f"{ms[ours]:.1f} / {ms[base]:.1f} ms = {ratio:.2f}x",
                f"bar {bar}x",
                ratio <= bar,
            )
        )
    return figures


def run(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    return measure(args.repeat)


def main(argv: list[str] | None = None) -> int:
    return report(run(argv))


if __name__ == "__main__":
    sys.exit(main())
