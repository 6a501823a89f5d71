"""One question and its answer as it arrives: sans-I/O, shared by the sync and async clients.

``machine.Turn`` is the state machine fed the stream's events; ``steps.AskProcedure`` is ask() as
one generator of effects (open the stream, post the question, read an event, reconnect, poll...);
``ending`` decides how an ask ends; ``runners`` perform those effects, one with blocking I/O and one
with ``await``.
"""
