"""The threads endpoints of PRODUCT.md §2, one handler each, shared by both flavours."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import hostile
from .controls import Controls, stream_faults
from .service import Service
from .store import Attachment, Thread, new_id, utc_now
from .stream import ThreadEventStream
from .validation import (
    form_fields,
    form_file,
    json_object,
    json_string,
    query_count,
    query_datetime,
    required_string,
)


def _controls(request: Request) -> Controls:
    controls: Controls = request.state.controls
    return controls


class ThreadsApi:
    def __init__(self, service: Service) -> None:
        self.service = service

    def routes(self) -> list[Route]:
        """Routes relative to a flavour's prefix (``/client/v1`` or ``/v2``)."""
        return [
            Route("/threads", self.list_threads, methods=["GET"]),
            Route("/threads", self.create_thread, methods=["POST"]),
            Route("/threads/stream/{thread_id}", self.stream, methods=["GET"]),
            Route("/threads/{thread_id}", self.rename_thread, methods=["PATCH"]),
            Route("/threads/{thread_id}", self.delete_thread, methods=["DELETE"]),
            Route("/threads/{thread_id}/messages", self.list_messages, methods=["GET"]),
            Route("/threads/{thread_id}/messages", self.send_message, methods=["POST"]),
            Route("/threads/{thread_id}/progress", self.progress, methods=["GET"]),
            Route("/threads/{thread_id}/task", self.cancel_task, methods=["DELETE"]),
            Route("/threads/{thread_id}/files", self.upload_file, methods=["POST"]),
            Route("/threads/{thread_id}/artifacts/{artifact_id}", self.get_artifact, methods=["GET"]),
        ]

    def _thread(self, request: Request) -> Thread:
        thread = self.service.threads.get(request.path_params["thread_id"])
        if thread is None:
            raise HTTPException(404, "Thread not found")
        return thread

    async def list_threads(self, request: Request) -> JSONResponse:
        summaries = [t.summary() for t in self.service.threads.newest_first()]
        if _controls(request).hostile:
            summaries = hostile.thread_summaries(summaries)
        return JSONResponse({"threads": summaries})

    async def create_thread(self, request: Request) -> JSONResponse:
        name = required_string(await json_object(request), "thread_name")
        return JSONResponse({"thread_id": self.service.threads.create(name).thread_id})

    async def rename_thread(self, request: Request) -> JSONResponse:
        thread = self._thread(request)
        thread.name = required_string(await json_object(request), "name")
        thread.last_updated = utc_now()
        return JSONResponse({"success": True})

    async def delete_thread(self, request: Request) -> JSONResponse:
        await self.service.delete_thread(self._thread(request))
        return JSONResponse({"success": True})

    async def list_messages(self, request: Request) -> JSONResponse:
        thread, query = self._thread(request), request.query_params
        start_index = query_count(query, "start_index") or 0
        page, total = thread.history_page(
            start_index=start_index,
            limit=query_count(query, "limit_num"),
            start=query_datetime(query, "start"),
            end=query_datetime(query, "end"),
        )
        return JSONResponse(
            {
                "messages": [m.as_history() for m in page],
                "total_message_count": total,
                "start_index": start_index,
            }
        )

    async def send_message(self, request: Request) -> JSONResponse:
        thread = self._thread(request)
        fields = form_fields(
            await request.form(),
            required=("message",),
            optional=("source_overrides", "update_default_settings"),
        )
        if "source_overrides" in fields:
            json_string("source_overrides", fields["source_overrides"])
        if thread.turn is not None:
            raise HTTPException(409, "A task is already running in this thread; cancel it or wait")
        asked = self.service.start_turn(thread, fields["message"], _controls(request))
        return JSONResponse({"success": True, "message_id": asked.message_id})

    async def progress(self, request: Request) -> JSONResponse:
        progress = self._thread(request).progress
        return JSONResponse({"progress_data": progress.as_json() if progress else None})

    async def cancel_task(self, request: Request) -> JSONResponse:
        turn = self._thread(request).turn
        if turn is not None:
            await turn.cancel()
        return JSONResponse({"success": True})

    async def upload_file(self, request: Request) -> JSONResponse:
        thread = self._thread(request)
        async with request.form() as form:
            upload = form_file(form, "file")
            attachment = Attachment(
                file_id=new_id(),
                name=upload.filename or "upload",
                content_type=upload.content_type or "application/octet-stream",
                content=await upload.read(),
            )
        thread.files.append(attachment)
        return JSONResponse({"success": True, "file_id": attachment.file_id})

    async def get_artifact(self, request: Request) -> JSONResponse:
        artifact_id = request.path_params["artifact_id"]
        artifact = self._thread(request).artifacts.get(artifact_id)
        if artifact is None:
            raise HTTPException(404, "Artifact not found")
        return JSONResponse({"artifact_id": artifact_id, "artifact": artifact})

    async def stream(self, request: Request) -> Response:
        thread = self._thread(request)
        controls = stream_faults(_controls(request), self.service.faults)
        return ThreadEventStream(self.service.hub.listener(thread.thread_id), controls)
