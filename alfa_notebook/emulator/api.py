"""The threads endpoints (docs/protocol.md, "REST"), one handler each, shared by both flavours."""

from __future__ import annotations

import dataclasses

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import hostile
from .controls import Controls, stream_faults
from .defaults import MAX_UPLOAD_BYTES
from .endpoints import THREAD_ENDPOINTS, Endpoint
from .service import Service
from .sources import NO_OVERRIDES
from .store import Attachment, Thread, new_id, utc_now
from .stream import ThreadEventStream
from .validation import (
    form_bool,
    form_fields,
    form_file,
    json_object,
    query_count,
    query_datetime,
    required_string,
    source_overrides,
)


def _controls(request: Request) -> Controls:
    controls: Controls = request.state.controls
    return controls


def _endpoint(request: Request) -> Endpoint | None:
    endpoint: Endpoint | None = request.state.endpoint
    return endpoint


class ThreadsApi:
    def __init__(self, service: Service) -> None:
        self.service = service

    def routes(self) -> list[Route]:
        """Routes relative to a flavour's prefix (``/client/v1`` or ``/v2``), one per entry of
        ``endpoints.THREAD_ENDPOINTS``, each served by the method of the endpoint's name."""
        return [Route(e.path, getattr(self, e.name), methods=[e.method]) for e in THREAD_ENDPOINTS]

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
        overrides = NO_OVERRIDES
        if "source_overrides" in fields:
            overrides = source_overrides("source_overrides", fields["source_overrides"])
        if "update_default_settings" in fields:  # also taken as a form field; the JSON key wins
            update = form_bool("update_default_settings", fields["update_default_settings"])
            if overrides.update_default is None:
                overrides = dataclasses.replace(overrides, update_default=update)
        if self.service.running(thread) is not None:
            raise HTTPException(409, "A task is already running in this thread; cancel it or wait")
        asked = self.service.start_turn(thread, fields["message"], _controls(request), overrides)
        return JSONResponse({"success": True, "message_id": asked.message_id})

    async def progress(self, request: Request) -> JSONResponse:
        progress = self._thread(request).progress
        return JSONResponse({"progress_data": progress.as_json() if progress else None})

    async def cancel_task(self, request: Request) -> JSONResponse:
        turn = self.service.running(self._thread(request))
        if turn is not None:
            await turn.cancel()
        return JSONResponse({"success": True})

    async def upload_file(self, request: Request) -> JSONResponse:
        thread = self._thread(request)
        async with request.form() as form:
            upload = form_file(form, "file")
            if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
                raise HTTPException(413, f"File too large: the limit is {MAX_UPLOAD_BYTES} bytes")
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
        controls = stream_faults(_controls(request), self.service.faults, _endpoint(request))
        return ThreadEventStream(self.service.hub.listener(thread.thread_id), controls)
