"""A thread read back from the service as answers: each question with what Alfa replied.

Used by ``client.history()`` (and so ``%alfa history`` and ``client.export()``). Nothing here
talks to the service: the client reads the messages and fetches the artifacts, this pairs them up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..wire.models import Artifact, Message
from .answer import Answer


def exchanges(messages: Sequence[Message]) -> list[tuple[Message, list[Message]]]:
    """The thread as (question, its replies) pairs, in order; replies before any question are left out."""
    pairs: list[tuple[Message, list[Message]]] = []
    for message in messages:
        if message.is_user:
            pairs.append((message, []))
        elif pairs:
            pairs[-1][1].append(message)
    return pairs


def answer_of(
    thread_id: str,
    question: str,
    reply: Message,
    artifacts: Mapping[str, Artifact | None],
    attachments: Sequence[str] = (),
) -> Answer:
    """One reply of the history as an :class:`Answer`; no timing (it was not measured). An artifact
    that could not be fetched (None) is left out with a warning; the answer is still worth reading."""
    from ..wire.markers import artifact_ids

    wanted = artifact_ids(reply.text)
    missing = [i for i in wanted if artifacts.get(i) is None]
    return Answer(
        question=question,
        raw_text=reply.text,
        status="complete",
        thread_id=thread_id,
        message_id=reply.id,
        citations=list(reply.citations),
        artifacts=[a for i in wanted if (a := artifacts.get(i)) is not None],
        warnings=[f"Artifact {i} could not be fetched." for i in missing],
        attachments=list(attachments),
    )
