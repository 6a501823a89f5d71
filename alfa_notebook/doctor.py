"""``alfa-notebook doctor`` and ``%alfa doctor``: what a bug report needs, from the real service.

It shows the settings in effect and where each came from (the key only as set or missing), then
checks, in order: DNS, TLS, the credential, each read endpoint (status, latency, the request id
sent and the one echoed), the rate-limit headers the service sent, and, with ``--ask``, one small
question in a thread of its own (deleted afterwards), whose event stream is checked against the
protocol this client implements (:mod:`alfa_notebook.wire.conformance`).

Each request goes out once, without the client's retries or pace, so that what is reported is what
the service did. Nothing secret is in the report, as text or JSON: no key, no token, no answer text
(unless ``include_text``), no thread names or messages; the newest thread's id is used to probe the
read endpoints, and only their status and timing are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import platform
import re
import socket
import ssl
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import EventSource, SSEError

from ._version import __version__
from .wire import operations as ops
from .wire.channel import _Credentials, _user_agent, build_request, shown_url
from .wire.conformance import StreamCheck, check_stream, ends_task, shown
from .wire.errors import AlfaError
from .wire.models import Thread
from .wire.operations import Operation
from .wire.settings import Settings, resolve_settings

QUESTION = "What is Apple's ticker symbol?"
"""The small question ``--ask`` asks, unless given another."""
ASK_TIMEOUT = 120.0
"""Seconds ``--ask`` waits for its answer's end."""
AFTER_END = 3.0
"""Seconds the stream is still read after the task's final status, for what follows it."""
PROBE_TIMEOUT = 10.0
"""Seconds for each connection check and read request."""
THREAD_NAME = "alfa-notebook doctor"
REQUEST_ID = "x-request-id"
_RATE_HEADER = re.compile(r"^(x-)?rate-?limit|^retry-after$", re.IGNORECASE)
_SAFE_ID = re.compile(r"[^A-Za-z0-9._:-]")
_PROXY_ENV = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@dataclass
class Check:
    """One check: ``ok`` is True, False, or None when it could not be made (and why is said)."""

    name: str
    ok: bool | None
    detail: str
    ms: float | None = None


@dataclass
class Call:
    """One request as the service answered it."""

    method: str
    route: str
    status: int | None
    ms: float
    request_id: str  # the id sent
    echoed: str | None = None  # the id the service sent back, if it did
    error: str | None = None  # when no response came


@dataclass
class Report:
    settings: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value shown, from)
    checks: list[Check] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    rate_limits: dict[str, str] = field(default_factory=dict)  # header -> "value (METHOD route)"
    ask: dict[str, Any] | None = None
    stream: StreamCheck | None = None

    @property
    def problems(self) -> int:
        failed = sum(c.ok is False for c in self.checks)
        return failed + (0 if self.stream is None else sum(f.level == "problem" for f in self.stream.findings))

    @property
    def deviations(self) -> int:
        return 0 if self.stream is None else sum(f.level == "deviation" for f in self.stream.findings)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON for a bug report: nothing in it is secret."""
        return {
            "alfa_notebook": __version__,
            "python": platform.python_version(),
            "httpx": httpx.__version__,
            "platform": platform.platform(terse=True),
            "settings": [{"name": n, "value": v, "from": f} for n, v, f in self.settings],
            "checks": [vars(c) for c in self.checks],
            "requests": [vars(c) for c in self.calls],
            "rate_limit_headers": self.rate_limits,
            "ask": self.ask,
            "problems": self.problems,
            "deviations": self.deviations,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def to_text(self) -> str:
        lines = [
            f"alfa-notebook {__version__}, Python {platform.python_version()}, httpx {httpx.__version__}, "
            f"{platform.system()}",
            "",
            "Settings",
        ]
        width = max((len(n) for n, _, _ in self.settings), default=0)
        lines += [f"  {n:<{width}}  {v}  ({f})" for n, v, f in self.settings]
        lines += ["", "Checks"]
        lines += [f"  {_mark(c.ok)} {c.name:<5} {c.detail}{_ms(c.ms)}" for c in self.checks]
        if self.calls:
            lines += ["", "Requests (each sent once, without retries)"]
            for c in self.calls:
                said = f"{c.status}" if c.status is not None else f"no response: {c.error}"
                echo = "echoed" if c.echoed == c.request_id else f"echoed {c.echoed}" if c.echoed else "not echoed"
                lines.append(f"  {c.method:<6} {c.route:<38} {said}{_ms(c.ms)}  x-request-id {c.request_id} ({echo})")
        lines += ["", "Rate-limit headers seen"]
        lines += [f"  {k}: {v}" for k, v in self.rate_limits.items()] or ["  none"]
        if self.ask is not None and self.stream is not None:
            a, s = self.ask, self.stream
            lines += ["", f"Ask {a['question']!r} (thread {a['thread_id']}, {a['thread']})"]
            counts = ", ".join(f"{n} {t}" for t, n in s.types.items()) or "none"
            lines.append(f"  events: {counts}")
            lines.append(f"  statuses: {' -> '.join(shown(w) for w in s.statuses) or 'none'}")
            lines.append(f"  answer: {a['answer_chars']} characters, {len(s.artifact_ids)} artifacts")
            for finding in s.findings:
                where = f" (frame {finding.frame})" if finding.frame else ""
                lines.append(f"  {'✗' if finding.level == 'problem' else '~'} {finding.level}: {finding.what}{where}")
            if "text" in a:
                lines += ["  text:", *("    " + line for line in str(a["text"]).splitlines())]
        lines += [
            "",
            f"{self.problems} problem(s), {self.deviations} deviation(s) from the protocol. "
            "For a bug report, attach the output of `alfa-notebook doctor --ask --json`: it holds no key, "
            "token or answer text.",
        ]
        return "\n".join(lines)


def _mark(ok: bool | None) -> str:
    return {True: "✓", False: "✗", None: "-"}[ok]


def _ms(ms: float | None) -> str:
    return "" if ms is None else f"  {ms:.0f} ms"


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _safe_id(value: str | None) -> str | None:
    """An id the service sent back, as it may be printed: short, and no control characters."""
    return None if value is None else _SAFE_ID.sub("?", value)[:80]


# -- settings ------------------------------------------------------------------------------------

_SETTINGS = (
    "api_version",
    "base_url",
    "api_key",
    "timeout",
    "stream_read_timeout",
    "max_retries",
    "rate_limit",
    "rate_limit_wait",
    "max_attachment_bytes",
    "cassette",
    "record_mode",
    "sources",
)


def _settings_rows(settings: Settings) -> list[tuple[str, str, str]]:
    rows = []
    for name in _SETTINGS:
        origin = settings.origin(name).replace("argument", "option")
        if name == "api_key":
            value = "set (not shown)" if settings.has_key else f"missing: set {' or '.join(settings.key_env_names())}"
        elif name == "base_url":
            value = shown_url(settings.base_url)
        elif name == "rate_limit":
            value = ", ".join(f"{b} {r.requests:g}/{r.per:g} s" for b, r in settings.rate_limit.items()) or "none"
        elif name == "cassette" and settings.cassette:
            value = f"{settings.cassette} (the doctor talks to the service all the same)"
        else:
            value = str(getattr(settings, name))
        if name == "cassette" and not settings.cassette:
            continue
        rows.append((name, value, origin))
    return rows


# -- the probes ------------------------------------------------------------------------------------


class _Doctor:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None) -> None:
        self.settings = settings
        self.report = Report(settings=_settings_rows(settings))
        credentials = _Credentials(settings)

        async def apply(request: httpx.Request) -> None:
            credentials.apply(request)

        self.http = httpx.AsyncClient(
            base_url=settings.api_root,
            transport=transport,
            timeout=httpx.Timeout(PROBE_TIMEOUT),
            headers={"user-agent": _user_agent()},
            event_hooks={"request": [apply]},
        )

    def check(self, name: str, ok: bool | None, detail: str, ms: float | None = None) -> None:
        self.report.checks.append(Check(name, ok, detail, ms))

    async def connection(self) -> bool:
        """DNS, then TLS for https; whether the service can be reached at all."""
        url = httpx.URL(self.settings.base_url)
        host, port = url.host, url.port or (443 if url.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            found = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), PROBE_TIMEOUT)
        except (OSError, asyncio.TimeoutError) as error:
            self.check("DNS", False, f"{host} does not resolve: {error or 'timed out'}", _since(started))
            return False
        addresses = list(dict.fromkeys(str(a[4][0]) for a in found))
        shown_addresses = ", ".join(addresses[:3]) + (", ..." if len(addresses) > 3 else "")
        self.check("DNS", True, f"{host}: {shown_addresses}", _since(started))
        proxies = [name for name in _PROXY_ENV if os.environ.get(name)]
        if proxies:  # the value is not shown: a proxy's URL may hold a password
            self.check(
                "proxy", None, f"{', '.join(proxies)} set: requests may go through it; DNS and TLS here are direct"
            )
        if url.scheme != "https":
            self.check("TLS", None, "plain http: no TLS (allowed to this machine only)")
            return True
        return await self._tls(host, port)

    async def _tls(self, host: str, port: int) -> bool:
        started = time.perf_counter()
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=httpx.create_ssl_context(), server_hostname=host),
                PROBE_TIMEOUT,
            )
        except ssl.SSLCertVerificationError as error:
            self.check("TLS", False, f"the certificate is not trusted: {error.verify_message}", _since(started))
            return False
        except (OSError, ssl.SSLError, asyncio.TimeoutError) as error:
            self.check("TLS", False, f"no TLS connection to {host}:{port}: {error or 'timed out'}", _since(started))
            return False
        ms = _since(started)
        tls = writer.get_extra_info("ssl_object")
        cert = tls.getpeercert() if tls is not None else None
        writer.close()
        detail = f"{tls.version() if tls else '?'}"
        if cert:
            issuer = dict(pair[0] for pair in cert.get("issuer", ()))
            detail += f", certificate issued by {issuer.get('organizationName') or issuer.get('commonName', '?')}"
            detail += f", valid until {cert.get('notAfter', '?')}"
        self.check("TLS", True, detail, ms)
        return True

    async def call(
        self, op: Operation[Any], *, stream: bool = False, timeout: httpx.Timeout | None = None
    ) -> tuple[httpx.Response | None, Any]:
        """Send ``op`` once; the response and its parsed value (None when it failed). A ``stream``
        is returned open, unread."""
        request_id = str(uuid.uuid4())
        headers = {REQUEST_ID: request_id}
        if stream:
            headers["accept"] = "text/event-stream"
        request = build_request(self.http, op, headers=headers, timeout=timeout or httpx.USE_CLIENT_DEFAULT)
        started = time.perf_counter()
        try:
            response = await self.http.send(request, stream=True)
        except httpx.HTTPError as error:
            self.report.calls.append(
                Call(op.method, op.route, None, _since(started), request_id, error=type(error).__name__)
            )
            return None, None
        call = Call(
            op.method,
            op.route,
            response.status_code,
            _since(started),
            request_id,
            _safe_id(response.headers.get(REQUEST_ID)),
        )
        self.report.calls.append(call)
        for name, said in response.headers.items():
            if _RATE_HEADER.match(name):
                self.report.rate_limits[name.lower()] = f"{_safe_id(said)} ({op.method} {op.route})"
        if stream:
            return response, None
        await response.aread()
        await response.aclose()
        value: Any = None
        if response.status_code < 300:
            try:
                value = op.parse(response.json())
            except (ValueError, TypeError, KeyError, AttributeError):
                value = None
        return response, value

    async def reads(self, asking: bool) -> bool:
        """The credential, then each read endpoint: on the newest thread, when there is one (else,
        when ``asking``, on the question's thread)."""
        if not self.settings.has_key:
            names = " or ".join(self.settings.key_env_names())
            self.check("auth", False, f"no credential: set {names}")
            return False
        response, threads = await self.call(ops.list_threads())
        if response is None:
            self.check("auth", False, "GET /threads had no response")
            return False
        if response.status_code in (401, 403):
            self.check("auth", False, f"the credential was refused (GET /threads: {response.status_code})")
            return False
        if response.status_code >= 300 or threads is None:
            self.check("auth", False, f"GET /threads answered {response.status_code}, not the documented thread list")
            return False
        self.check("auth", True, f"the credential was accepted (GET /threads: {len(threads)} threads)")
        newest: list[Thread] = threads
        if not newest:
            if not asking:
                self.check("reads", None, "no thread to read messages and progress from (try --ask)")
            return True
        await self.thread_reads(newest[0].id)
        return True

    async def thread_reads(self, thread_id: str, *, checked: bool = True) -> None:
        """A thread's read endpoints: its messages, its progress, its event stream (opened, closed);
        ``checked``: the "reads" check says how they answered."""
        await self.call(ops.list_messages(thread_id, limit_num=1))
        await self.call(ops.progress(thread_id))
        response, _ = await self.call(_stream(thread_id), stream=True)
        if response is not None:
            kind = response.headers.get("content-type", "")
            await response.aclose()
            if response.status_code < 300 and not kind.startswith("text/event-stream"):
                self.check(
                    "reads", False, f"the stream answered with content-type {shown(kind)}, not text/event-stream"
                )
        if not checked:
            return
        failed = [c for c in self.report.calls if c.status is None or c.status >= 400]
        detail = "every read endpoint answered" if not failed else f"{len(failed)} request(s) failed: see below"
        self.check("reads", not failed, detail)

    async def ask(self, question: str, include_text: bool, timeout: float) -> None:
        """One question in a thread of its own, its stream checked; the thread is deleted after."""
        _, thread = await self.call(ops.create_thread(THREAD_NAME))
        if not isinstance(thread, Thread):
            self.check("ask", False, "the thread for the question could not be made (POST /threads)")
            return
        frames: list[tuple[str, str]] = []
        try:
            response, _ = await self.call(
                _stream(thread.id), stream=True, timeout=httpx.Timeout(PROBE_TIMEOUT, read=timeout)
            )
            if response is None or response.status_code >= 300:
                self.check("ask", False, "the thread's event stream could not be opened")
                return
            try:
                posted, _ = await self.call(ops.send_message(thread.id, question))
                if posted is None or posted.status_code >= 300:
                    self.check("ask", False, "the question could not be posted (POST /threads/{id}/messages)")
                    return
                await self._read(response, frames, timeout)
            finally:
                await response.aclose()
            check = check_stream(frames)
            await self.thread_reads(thread.id, checked=not any(c.name == "reads" for c in self.report.checks))
            for artifact_id in check.artifact_ids[:5]:
                await self.call(ops.get_artifact(thread.id, artifact_id))
        finally:
            deleted, _ = await self.call(ops.delete_thread(thread.id))
        self.report.stream = check
        self.report.ask = {
            "question": question,
            "thread_id": thread.id,
            "thread": "deleted" if deleted is not None and deleted.status_code < 300 else "not deleted",
            "frames": check.frames,
            "event_types": dict(check.types),
            "statuses": check.statuses,
            "answer_chars": len(check.text),
            "artifacts": len(check.artifact_ids),
            "findings": [f.as_dict() for f in check.findings],
        }
        if include_text:
            self.report.ask["text"] = check.text
        self.check("ask", check.ended, "the answer ended" if check.ended else "the answer did not end in time")

    async def _read(self, response: httpx.Response, frames: list[tuple[str, str]], timeout: float) -> None:
        """The stream's frames until the task's final status and a little after, the stream's
        end, or ``timeout``."""
        events = EventSource(response).aiter_sse()
        deadline = time.monotonic() + timeout
        ended_at: float | None = None
        try:
            while True:
                now = time.monotonic()
                wait = deadline - now if ended_at is None else min(deadline - now, ended_at + AFTER_END - now)
                if wait <= 0:
                    return
                try:
                    sse = await asyncio.wait_for(events.__anext__(), wait)
                except (StopAsyncIteration, asyncio.TimeoutError, httpx.HTTPError, SSEError):
                    return
                frames.append((sse.event if sse.event != "message" else "", sse.data))
                if sse.event == "close":
                    return
                if ended_at is None and ends_task(sse.data):
                    ended_at = time.monotonic()
        finally:
            await events.aclose()


def _stream(thread_id: str) -> Operation[None]:
    return Operation("GET", ops.stream_path(thread_id), "/threads/stream/{id}", lambda body: None)


async def _diagnose(
    settings: Settings, ask: str | None, include_text: bool, timeout: float, transport: httpx.AsyncBaseTransport | None
) -> Report:
    doctor = _Doctor(settings, transport)
    async with doctor.http:
        if transport is not None or await doctor.connection():
            accepted = await doctor.reads(asking=ask is not None)
            if ask is not None and accepted:
                await doctor.ask(ask, include_text, timeout)
    return doctor.report


def diagnose(
    *,
    configured: Mapping[str, Any] | None = None,
    ask: str | None = None,
    include_text: bool = False,
    timeout: float = ASK_TIMEOUT,
    base_url: str | None = None,
    api_version: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Report:
    """Run the doctor; ``ask`` is the question to check the stream with (None: no question).

    Runs on an event loop of its own: here, or where a loop already runs (a notebook's kernel), in
    a helper thread. ``transport`` (tests) skips DNS and TLS."""
    settings = resolve_settings(configured=configured, base_url=base_url, api_version=api_version)
    diagnosis = _diagnose(settings, ask, include_text, timeout, transport)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a terminal: Ctrl-C cancels the diagnosis, whose thread is still deleted
        return asyncio.run(diagnosis)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="alfa-doctor") as pool:
        return pool.submit(asyncio.run, diagnosis).result()


# -- the command -----------------------------------------------------------------------------------


def parser(prog: str = "alfa-notebook doctor") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Check the settings, the connection and the service's answers, for a bug report. "
        "Nothing secret is shown: no key, no token, no answer text unless --include-text.",
    )
    p.add_argument(
        "--ask",
        nargs="?",
        const=QUESTION,
        metavar="QUESTION",
        help=f"also ask one small question (default {QUESTION!r}) in a new thread, deleted afterwards, "
        "and check its event stream against the protocol",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON, for a bug report")
    p.add_argument("--include-text", action="store_true", help="with --ask, include the answer's text")
    p.add_argument("--timeout", type=float, default=ASK_TIMEOUT, metavar="SECONDS", help="for the answer of --ask")
    p.add_argument("--base-url", help="the service's address (default: ALFA_BASE_URL, else the service's)")
    p.add_argument("--api-version", choices=("v1", "v2"), help="the API flavour (default: ALFA_API_VERSION, else v1)")
    return p


def run(args: argparse.Namespace, configured: Mapping[str, Any] | None = None) -> Report:
    return diagnose(
        configured=configured,
        ask=args.ask,
        include_text=args.include_text,
        timeout=args.timeout,
        base_url=getattr(args, "base_url", None),
        api_version=getattr(args, "api_version", None),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``alfa-notebook doctor``: exits 1 when a check failed or the stream has a problem."""
    args = parser().parse_args(argv)
    try:
        report = run(args)
    except AlfaError as error:  # the settings themselves are refused
        print(f"alfa-notebook doctor: {error}")
        return 1
    print(report.to_json() if args.json else report.to_text())
    return 1 if report.problems else 0
