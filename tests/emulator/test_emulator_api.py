"""The REST endpoints, in both flavours, with the shapes and errors of docs/protocol.md."""

from __future__ import annotations

import httpx
import pytest

from alfa_notebook.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator

from .wire import Alfa, wait_until

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT = "urn:ietf:params:oauth:token-type:jwt"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def test_thread_lifecycle(alfa: Alfa) -> None:
    first, second = alfa.new_thread("first"), alfa.new_thread("second")
    listed = alfa.http.get("/threads").json()["threads"]
    ids = [t["thread_id"] for t in listed]
    assert ids.index(second) < ids.index(first), "newest first"
    entry = next(t for t in listed if t["thread_id"] == first)
    assert set(entry) == {"thread_id", "thread_name", "created_at", "last_updated"}
    assert entry["thread_name"] == "first" and entry["created_at"].endswith("Z")

    assert alfa.http.patch(f"/threads/{first}", json={"name": "renamed"}).json() == {"success": True}
    names = {t["thread_id"]: t["thread_name"] for t in alfa.http.get("/threads").json()["threads"]}
    assert names[first] == "renamed"

    assert alfa.http.delete(f"/threads/{first}").json() == {"success": True}
    assert alfa.http.get(f"/threads/{first}/progress").status_code == 404
    assert alfa.http.delete(f"/threads/{first}").status_code == 404
    assert first not in [t["thread_id"] for t in alfa.http.get("/threads").json()["threads"]]


def test_message_progress_and_history(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    assert alfa.progress(thread_id) is None
    sent = alfa.send(thread_id, "Compare NVDA and AMD").json()
    assert sent["success"] is True
    progress = wait_until(lambda: (p := alfa.progress(thread_id)) and p["status"] == "Complete" and p)
    assert set(progress) == {"log", "status", "task_id"}

    history = alfa.history(thread_id)
    assert history["total_message_count"] == 2 and history["start_index"] == 0
    asked, answered = history["messages"]
    assert asked["message_id"] == sent["message_id"]
    assert asked["is_user_message"] is True and asked["message"] == "Compare NVDA and AMD"
    assert answered["is_user_message"] is False
    assert set(answered) == {
        "message_id",
        "message",
        "is_user_message",
        "message_time",
        "citations",
        "message_metadata",
    }
    assert answered["citations"] and answered["message_metadata"]["tools_called"]
    assert answered["message_time"].endswith("Z") and answered["message_time"] > asked["message_time"]


def test_history_pages_count_back_from_the_newest(v1: Alfa) -> None:
    thread_id = v1.new_thread()
    for question in ("Compare NVDA and AMD", "What about banks?", "Top 3 energy"):
        v1.ask(thread_id, question)
    everything = v1.history(thread_id)["messages"]
    assert len(everything) == 6

    latest = v1.history(thread_id, start_index=0, limit_num=2)
    assert latest["total_message_count"] == 6
    assert [m["message_id"] for m in latest["messages"]] == [m["message_id"] for m in everything[4:]]
    middle = v1.history(thread_id, start_index=2, limit_num=2)
    assert middle["start_index"] == 2
    assert [m["message_id"] for m in middle["messages"]] == [m["message_id"] for m in everything[2:4]]
    assert v1.history(thread_id, start_index=6)["messages"] == []

    since = v1.history(thread_id, start=everything[2]["message_time"])
    assert [m["message_id"] for m in since["messages"]] == [m["message_id"] for m in everything[2:]]
    assert since["total_message_count"] == 4
    until = v1.history(thread_id, end=everything[1]["message_time"])
    assert [m["message_id"] for m in until["messages"]] == [m["message_id"] for m in everything[:2]]


def test_cancel_when_idle_is_a_no_op(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    assert alfa.http.delete(f"/threads/{thread_id}/task").json() == {"success": True}
    assert alfa.progress(thread_id) is None


def test_upload_then_the_answer_mentions_the_file(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    upload = alfa.http.post(
        f"/threads/{thread_id}/files",
        files={"file": ("q2.csv", b"symbol,revenue\nNVDA,36226.6\nAMD,6838.3\n", "text/csv")},
    ).json()
    assert upload["success"] is True and upload["file_id"]
    message = alfa.answer("Based on the attached file, compare NVDA and AMD", thread_id=thread_id)
    assert "Based on the attached file **q2.csv** (2 rows × 2 columns: symbol and revenue)" in message["message"]
    documents = [c for c in message["message_metadata"]["citations"] if c["citation_type"] == "custom_doc"]
    assert [d["custom_doc_id"] for d in documents] == [upload["file_id"]]
    assert documents[0]["name"] == "q2.csv"


def test_artifact_is_served_by_id(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    message = alfa.answer("Compare NVDA and AMD", thread_id=thread_id)
    (artifact,) = alfa.artifacts_of(thread_id, message["message"])
    assert artifact["output_type"] == "table"
    assert alfa.http.get(f"/threads/{thread_id}/artifacts/{UNKNOWN}").status_code == 404


def test_v1_and_v2_share_one_store(alfa_emulator: Emulator, v1: Alfa, v2_token: str) -> None:
    thread_id = v1.new_thread()
    listed = httpx.get(f"{alfa_emulator.base_url}/v2/threads", headers={"Authorization": f"Bearer {v2_token}"})
    assert thread_id in [t["thread_id"] for t in listed.json()["threads"]]


def test_stream_alias_of_the_reference(alfa_emulator: Emulator, v1: Alfa) -> None:
    thread_id = v1.new_thread()
    url = f"{alfa_emulator.base_url}/client/assistant/threads/stream/{thread_id}"
    with httpx.stream("GET", url, headers={"x-api-key": alfa_emulator.api_key}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
    with httpx.stream("GET", url) as response:
        assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/threads/{id}"),
        ("DELETE", "/threads/{id}"),
        ("GET", "/threads/{id}/messages"),
        ("POST", "/threads/{id}/messages"),
        ("GET", "/threads/{id}/progress"),
        ("DELETE", "/threads/{id}/task"),
        ("POST", "/threads/{id}/files"),
        ("GET", "/threads/{id}/artifacts/" + UNKNOWN),
        ("GET", "/threads/stream/{id}"),
    ],
)
def test_unknown_thread_is_404(alfa: Alfa, method: str, path: str) -> None:
    response = alfa.http.request(method, path.format(id=UNKNOWN), json={"name": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Thread not found"}


@pytest.mark.parametrize(
    ("prefix", "headers", "detail"),
    [
        ("/client/v1", {}, "Invalid or missing API key"),
        ("/client/v1", {"x-api-key": "wrong"}, "Invalid or missing API key"),
        ("/v2", {}, "Invalid or missing bearer token"),
        ("/v2", {"Authorization": "Bearer not-issued"}, "Invalid or missing bearer token"),
        ("/v2", {"x-api-key": "alfa-emulator-key"}, "Invalid or missing bearer token"),
    ],
)
def test_missing_or_wrong_credentials_are_401(
    alfa_emulator: Emulator, prefix: str, headers: dict[str, str], detail: str
) -> None:
    response = httpx.get(f"{alfa_emulator.base_url}{prefix}/threads", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_missing_form_field_is_422_in_fastapi_shape(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    response = alfa.http.post(f"/threads/{thread_id}/messages", data={"not_message": "x"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"type": "missing", "loc": ["body", "message"], "msg": "Field required", "input": None}]
    }
    upload = alfa.http.post(f"/threads/{thread_id}/files", data={"x": "y"})
    assert upload.status_code == 422 and upload.json()["detail"][0]["loc"] == ["body", "file"]
    bad_overrides = alfa.http.post(
        f"/threads/{thread_id}/messages", data={"message": "hi", "source_overrides": "{not json"}
    )
    assert bad_overrides.status_code == 422
    assert bad_overrides.json()["detail"][0]["loc"] == ["body", "source_overrides"]


def test_missing_json_field_is_422(alfa: Alfa) -> None:
    created = alfa.http.post("/threads", json={"name": "wrong field"})
    assert created.status_code == 422
    (error,) = created.json()["detail"]
    assert (error["type"], error["loc"], error["msg"]) == ("missing", ["body", "thread_name"], "Field required")
    thread_id = alfa.new_thread()
    renamed = alfa.http.patch(f"/threads/{thread_id}", json={"thread_name": "wrong field"})
    assert renamed.status_code == 422 and renamed.json()["detail"][0]["loc"] == ["body", "name"]
    garbled = alfa.http.post("/threads", content=b"{nope", headers={"content-type": "application/json"})
    assert garbled.status_code == 422 and garbled.json()["detail"][0]["type"] == "json_invalid"


def test_bad_history_query_is_422(v1: Alfa) -> None:
    thread_id = v1.new_thread()
    for params, kind in [({"start_index": "x"}, "int_parsing"), ({"limit_num": "-1"}, "greater_than_equal")]:
        response = v1.http.get(f"/threads/{thread_id}/messages", params=params)
        assert response.status_code == 422 and response.json()["detail"][0]["type"] == kind
    response = v1.http.get(f"/threads/{thread_id}/messages", params={"start": "yesterday"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "start"]


def test_a_second_message_while_a_turn_runs_is_409(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    alfa.send(thread_id, "Compare NVDA and AMD", "chunk_delay=5").raise_for_status()
    busy = alfa.send(thread_id, "And banks?")
    assert busy.status_code == 409 and "detail" in busy.json()
    alfa.http.delete(f"/threads/{thread_id}/task").raise_for_status()
    assert alfa.send(thread_id, "And banks?").status_code == 200


def test_wrong_method_is_405_json(v1: Alfa) -> None:
    response = v1.http.put("/threads")
    assert response.status_code == 405 and response.json() == {"detail": "Method Not Allowed"}


def _exchange(emulator: Emulator, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": GRANT,
        "subject_token": "partner.signed.jwt",
        "subject_token_type": JWT,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        **overrides,
    }
    return httpx.post(f"{emulator.base_url}/oauth2/token", data={k: v for k, v in form.items() if v is not None})


def test_token_exchange_issues_a_bearer_token(alfa_emulator: Emulator) -> None:
    response = _exchange(alfa_emulator, scope="thread")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "thread"
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    threads = httpx.get(
        f"{alfa_emulator.base_url}/v2/threads", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert threads.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"grant_type": "client_credentials"}, 400),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:id_token"}, 400),
        ({"client_secret": "wrong"}, 401),
        ({"client_id": "someone-else"}, 401),
    ],
)
def test_token_exchange_refuses_bad_requests(alfa_emulator: Emulator, overrides: dict[str, str], status: int) -> None:
    response = _exchange(alfa_emulator, **overrides)
    assert response.status_code == status
    assert response.json()["detail"] and response.json()["error"]


def test_token_exchange_missing_field_is_422(alfa_emulator: Emulator) -> None:
    response = httpx.post(f"{alfa_emulator.base_url}/oauth2/token", data={"grant_type": GRANT})
    assert response.status_code == 422
    missing = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert ("body", "subject_token") in missing and ("body", "client_secret") in missing
