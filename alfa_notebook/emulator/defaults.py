"""Fixed, clearly fake credentials and the emulator's tunables.

Import-light on purpose: the pytest plugin and the CLI's ``--help`` read these without the server
extra (starlette, uvicorn, sse-starlette) being installed.
"""

from __future__ import annotations

DEFAULT_API_KEY = "alfa-emulator-key"
"""The ``x-api-key`` the v1 flavour accepts unless another key is given."""

DEFAULT_CLIENT_ID = "alfa-emulator-client"
DEFAULT_CLIENT_SECRET = "alfa-emulator-secret"
"""The partner credentials ``POST /oauth2/token`` accepts for the v2 flavour."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_CLI_PORT = 8765
DEFAULT_CHUNK_DELAY = 0.03
"""Seconds between word chunks: slow enough for a human to watch an answer stream in."""

CONTROL_HEADER = "X-Alfa-Emulator"
"""The request header carrying per-request fault options (docs/protocol.md, "Emulator controls")."""

TOKEN_LIFETIME_SECONDS = 3600

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
"""The largest file ``POST /threads/{id}/files`` takes (413 above it). The real limit is not
documented; this is the client's default ``max_attachment_bytes``, so that the two agree."""

EXTRA_HINT = "The Alfa emulator needs its server extra: pip install 'alfa-notebook[emulator]'"
