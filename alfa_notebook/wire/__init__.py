"""The wire: what the service sends and accepts, and HTTP to it.

Errors, settings, the typed events and models, the operations (every endpoint once), retry rules,
the channel with its rate limiter, and the v2 token exchange. Nothing here knows about a turn,
an answer or a notebook.
"""
