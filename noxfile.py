"""The test matrix: the suite on the oldest and the newest Python the package declares.

`make test-matrix` runs every session; `nox -s tests-3.10 -- tests/frames` runs one Python on one
folder. Each session installs the package with its dev extra into its own virtualenv under .nox/,
so the oldest Python also gets the oldest pandas line pip resolves for it.
"""

from __future__ import annotations

import shutil

import nox

# The bounds of `requires-python` in pyproject.toml and the newest Python this image provides.
PYTHONS = ["3.10", "3.13"]

nox.options.reuse_existing_virtualenvs = True


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Install the package with its dev extra and run pytest: everything but the browser test,
    the exhaustive sweeps marked ``slow`` included (this -m replaces pyproject's ``not slow``)."""
    session.install("-e", ".[dev]")
    # The editable build leaves alfa_notebook.egg-info in the checkout; on the path of any later
    # `python -m pytest` here it would register the package's pytest plugins a second time.
    shutil.rmtree("alfa_notebook.egg-info", ignore_errors=True)
    args = session.posargs or ["-m", "not browser"]
    session.run("python", "-m", "pytest", "-q", "-n", "4", "--dist", "loadfile", *args)
