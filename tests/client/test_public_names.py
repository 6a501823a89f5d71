"""Public names read as ``alfa_notebook.X`` (the name users import) in tracebacks and reprs, and
still pickle."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import alfa_notebook as alfa
from alfa_notebook.emulator.defaults import CONTROL_HEADER


def test_every_public_class_reports_the_package_as_its_module():
    names = [n for n in alfa.__all__ if n != "__version__"]
    assert "RateLimitError" in names and "Answer" in names and "AlfaClient" in names
    for name in names:
        value = getattr(alfa, name)
        assert f"{value.__module__}.{value.__qualname__}" == f"alfa_notebook.{name}"


def test_an_error_raised_inside_the_client_reads_alfa_notebook_in_its_traceback(alfa_emulator):
    """In a fresh interpreter that never touched ``alfa_notebook.RateLimitError`` (a Retry-After past
    the 120 s a request waits out 429s in all: it fails at once)."""
    script = textwrap.dedent(
        f"""
        from alfa_notebook.client import AlfaClient

        client = AlfaClient(
            api_key={alfa_emulator.api_key!r},
            base_url={alfa_emulator.base_url!r},
            headers={{{CONTROL_HEADER!r}: "status=429;retry_after=600;times=1;tag=public-names"}},
        )
        client.threads.list()
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("alfa_notebook.RateLimitError: ")


def test_errors_pickle_with_their_attributes_and_keep_their_repr():
    error = alfa.RateLimitError(
        "Rate limited; retry in 120 s.", status_code=429, method="GET", path="/client/v1/threads", retry_after=120.0
    )
    error.answer = alfa.Answer(question="q", raw_text="so far", status="error", thread_id="t1", message_id=None)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is alfa.RateLimitError
    assert repr(back) == "RateLimitError('Rate limited; retry in 120 s.')"
    assert (back.status_code, back.retry_after, back.method, back.path) == (429, 120.0, "GET", "/client/v1/threads")
    assert back.answer is not None and back.answer.text == "so far"


def test_an_answer_pickles_and_keeps_its_repr():
    answer = alfa.Answer(question="q", raw_text="NVDA grew faster.", status="complete", thread_id="t1", message_id="m1")
    back = pickle.loads(pickle.dumps(answer))
    assert type(back) is alfa.Answer
    assert repr(back) == "<Answer complete thread='t1' 17 chars, 0 sources, 0 artifacts: 'NVDA grew faster.'>"


def test_the_api_reference_documents_every_public_name():
    page = Path(__file__).parents[2] / "docs" / "api.md"
    documented = set(re.findall(r"^::: alfa_notebook\.(\w+)$", page.read_text(encoding="utf-8"), re.M))
    missing = sorted(set(alfa.__all__) - {"__version__"} - documented)
    assert not missing, f"add these public names to docs/api.md: {missing}"
    assert "AlfaClient" in documented and "RateLimitError" in documented


def test_the_errors_page_lists_every_public_error_and_warning():
    page = (Path(__file__).parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
    hierarchy = page.split("## The hierarchy", 1)[1].split("## ", 1)[0]
    errors = [n for n in alfa.__all__ if isinstance(getattr(alfa, n, None), type) and issubclass(getattr(alfa, n), Warning | alfa.AlfaError)]  # fmt: skip
    assert {"TableConversionError", "TableConversionWarning", "ArtifactKindError", "NotAnAlfaFrameError"} <= set(errors)
    missing = sorted(n for n in errors if not re.search(rf"\b{n}\b", hierarchy))
    assert not missing, f"add these to the hierarchy in docs/errors.md: {missing}"
