"""``alfa-notebook emulator``: run the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING

from .defaults import CONTROL_HEADER, DEFAULT_API_KEY, DEFAULT_CHUNK_DELAY, DEFAULT_CLI_PORT, DEFAULT_HOST

if TYPE_CHECKING:
    from .server import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alfa-notebook emulator",
        description=(
            "Run a local Alfa server (both API flavours, real HTTP and SSE) answering from "
            "SYNTHETIC sample data. Loopback only unless --host says otherwise."
        ),
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_CLI_PORT, help="0 picks a free port (default: %(default)s)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the v1 x-api-key (default: %(default)s)")
    parser.add_argument(
        "--chunk-delay",
        type=float,
        default=DEFAULT_CHUNK_DELAY,
        metavar="S",
        help="seconds between word chunks (default: %(default)s)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"server-wide fault option, repeatable; the keys of the {CONTROL_HEADER} header "
        "(drop_after, stall, stall_after, slow_first_byte, status, retry_after, "
        "reset_after_processing, on, times, malformed, duplicate, ping, chunk_delay, words, "
        "error, hostile, rate_limit, settle_ms, history_lag_ms, busy_status, tag); see docs/protocol.md",
    )
    manners = parser.add_argument_group(
        "a real service's manners", "off by default: the emulator is kinder than a real service"
    )
    manners.add_argument(
        "--realistic",
        action="store_true",
        help="turn them all on at plausible values: --settle-ms 400 --history-lag-ms 1500 --busy-status 400 "
        "(an explicit flag overrides its value)",
    )
    manners.add_argument(
        "--settle-ms",
        type=int,
        metavar="N",
        help="the task reads Running N ms after its last event, and a message posted then is refused as busy",
    )
    manners.add_argument("--history-lag-ms", type=int, metavar="N", help="the history shows an answer N ms late")
    manners.add_argument(
        "--busy-status",
        type=int,
        choices=(409, 400),
        help='how a busy thread refuses a message: 409, or 400 "Can\'t add messages ... while a run ... is active"',
    )
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="SPEC",
        help="per-account rate limits, off by default; repeatable: BUCKET=N/WINDOW with BUCKET "
        "chat (sending a message), threads (every other thread endpoint) or other (the token "
        "endpoint), e.g. chat=600/min or chat=5/2s; 'documented' for the service's documented "
        "limits (chat=1000/min, threads=10000/min, other=20/min). Refusals are 429 with Retry-After",
    )
    return parser


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def banner(emulator: Emulator) -> str:
    """What a user needs to start talking to ``emulator``: URLs, credentials, a curl line."""
    url = emulator.base_url
    token_request = (
        f"curl -s -X POST {url}/oauth2/token"
        " -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange"
        " -d subject_token=me -d subject_token_type=urn:ietf:params:oauth:token-type:jwt"
        f" -d client_id={emulator.client_id} -d client_secret={emulator.client_secret}"
    )
    return "\n".join(
        [
            f"Alfa emulator listening on {url}  (synthetic sample data, not market data)",
            "",
            f"  v1  {url}/client/v1   header  x-api-key: {emulator.api_key}",
            f"  v2  {url}/v2          header  Authorization: Bearer <access_token>, from:",
            f"      {token_request}",
            "",
            "Try it:",
            f"  curl -s -H 'x-api-key: {emulator.api_key}' -H 'Content-Type: application/json'"
            f' -d \'{{"thread_name": "demo"}}\' {url}/client/v1/threads',
            "",
            "Press Ctrl-C to stop.",
        ]
    )


_STOP_GRACE = 5.0
"""Seconds a stopping server may take (it gives running requests 2) before the process leaves anyway."""
_POLL = 0.2


@contextlib.contextmanager
def _signals(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """``handler`` for SIGINT and SIGTERM, also when the shell that started the emulator in the
    background set SIGINT to be ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _serve(emulator: Emulator, said: str) -> None:
    """Print ``said`` (the banner), then serve until SIGINT or SIGTERM: the first stops the server gracefully,
    a second at once. The handlers are in place before the banner is printed: a process that
    stops the emulator as soon as it says it listens (a script, a test) is a graceful stop too.

    The handler only asks the server to stop; it raises nothing into the main thread's wait (on
    CPython before 3.13 an exception raised inside ``Thread.join`` marks a running thread stopped,
    so the graceful stop would be skipped). A server that cannot stop within the grace period (its
    thread blocked, e.g. writing its log to a pipe nobody reads) is left behind: the process exits
    without the interpreter's shutdown, which would block on that same log."""
    signalled: list[float] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if signalled:
            os._exit(128 + signum)
        signalled.append(time.monotonic())
        emulator.request_stop()

    with _signals(on_signal):
        print(said, flush=True)
        while not emulator.wait(_POLL):
            if signalled and time.monotonic() - signalled[0] > _STOP_GRACE:
                os._exit(1)
    emulator.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        from .controls import MANNERS, REALISTIC, Controls, parse_options
        from .server import Emulator
    except ImportError as exc:
        from .defaults import EXTRA_HINT

        print(f"{EXTRA_HINT}\n({exc})", file=sys.stderr)
        return 1
    faults: dict[str, str] = dict(REALISTIC) if args.realistic else {}
    try:
        for option in args.fault:
            faults.update(parse_options(option))
        faults.update({key: str(getattr(args, key)) for key in MANNERS if getattr(args, key) is not None})
        if args.rate_limit:
            faults["rate_limit"] = ",".join(args.rate_limit)
        controls = Controls.from_options(faults)
    except ValueError as exc:
        parser.error(str(exc))
    if not is_loopback(args.host):
        print(
            f"WARNING: listening on {args.host}, beyond loopback: anyone who can reach this "
            "machine can use the emulator with its well-known key.",
            file=sys.stderr,
        )
    logging.basicConfig(level=logging.INFO, format="%(levelname)-7s %(message)s")
    emulator = Emulator(args.host, args.port, args.api_key, chunk_delay=args.chunk_delay, faults=faults)
    try:
        emulator.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    said = [banner(emulator)]
    if controls.rate_limit is not None:
        said.append(f"Rate limits: {controls.rate_limit}")
    if faults.keys() & set(MANNERS):
        said.append("A real service's manners: " + ", ".join(f"{k}={faults[k]}" for k in MANNERS if k in faults))
    if faults.keys() - {"rate_limit", *MANNERS}:
        shown = ";".join(f"{k}={v}" for k, v in faults.items() if k not in ("rate_limit", *MANNERS))
        said.append(f"Server-wide faults: {shown}")
    _serve(emulator, "\n".join(said))
    return 0
