"""ModellixClient against httpx.MockTransport: byte-level cases and exact request shapes."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from seedance_desktop.api.client import USER_AGENT, ModellixClient, check_base_url
from seedance_desktop.api.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    InsufficientBalanceError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    SubmitOutcomeUnknownError,
    UploadCancelled,
    ValidationError,
)
from seedance_desktop.api.spec import get_model
from seedance_desktop.api.tasks import TaskStatus

KEY = "sk-unit-test-key-123456"
BASE = "https://api.modellix.test"
SPEC = get_model("bytedance/seedance-2.0-fast-v2v")
BODY = {"prompt": "p", "video_urls": ["https://x/v.mp4"]}
OK_SUBMIT = {"code": 0, "message": "success", "data": {"status": "pending", "task_id": "task-1",
             "get_result": {"method": "GET", "url": f"{BASE}/api/v1/tasks/task-1"}}}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def run(coro_factory: Callable[[ModellixClient], Any], handler: Handler, **kwargs: Any) -> tuple[Any, Recorder, list[float]]:
    recorder = Recorder(handler)
    sleeps: list[float] = []

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)

    async def main() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as http:
            client = ModellixClient(http, kwargs.pop("base", BASE), KEY, **kwargs)
            return await coro_factory(client)

    return asyncio.run(main()), recorder, sleeps


def raising(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc
    return handler


def submit(client: ModellixClient) -> Any:
    return client.submit(SPEC, BODY)


# -- base URL ---------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://api.modellix.ai", "https://api.modellix.ai/", "http://127.0.0.1:8123",
                                 "http://localhost:9", "http://[::1]:80", "https://10.0.0.1"])
def test_base_url_accepted(url: str) -> None:
    assert check_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://api.modellix.ai", "ftp://x", "", "api.modellix.ai", "http://192.168.1.2",
                                 "https://user:pw@host", "https://host/?key=1", "http://127.0.0.1.evil.com"])
def test_base_url_rejected(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_base_url(url)
    assert "https" in caught.value.user_message or "valid" in caught.value.user_message


def test_missing_key_is_configuration_error() -> None:
    async def main() -> None:
        async with httpx.AsyncClient() as http:
            ModellixClient(http, BASE, "  ")
    with pytest.raises(ConfigurationError):
        asyncio.run(main())


# -- submit -----------------------------------------------------------------------------------

def test_submit_sends_exact_body_auth_and_user_agent() -> None:
    result, rec, _ = run(submit, lambda r: httpx.Response(200, json=OK_SUBMIT))
    assert result.task_id == "task-1" and result.status is TaskStatus.PENDING
    assert result.result_url == f"{BASE}/api/v1/tasks/task-1"
    (request,) = rec.requests
    assert request.method == "POST" and request.url.path == SPEC.submit_path
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["User-Agent"] == USER_AGENT
    assert json.loads(request.content) == BODY


@pytest.mark.parametrize(("exc", "cls"), [
    (httpx.ConnectError("refused"), ConnectError),
    (httpx.ConnectTimeout("slow"), ConnectError),
    (httpx.PoolTimeout("pool"), ConnectError),
    (httpx.ReadTimeout("read"), SubmitOutcomeUnknownError),
    (httpx.WriteTimeout("write"), SubmitOutcomeUnknownError),
    (httpx.RemoteProtocolError("dropped"), SubmitOutcomeUnknownError),
    (httpx.ReadError("reset"), SubmitOutcomeUnknownError),
    (httpx.WriteError("broken pipe"), SubmitOutcomeUnknownError),
])
def test_submit_transport_errors_classified_and_never_retried(exc: Exception, cls: type) -> None:
    with pytest.raises(cls):
        run(submit, raising(exc))
    # One request only: the exception is raised before the handler returns, count via a fresh run.
    recorder_calls: list[int] = []

    def counting(request: httpx.Request) -> httpx.Response:
        recorder_calls.append(1)
        raise exc
    with pytest.raises(cls):
        run(submit, counting)
    assert len(recorder_calls) == 1


@pytest.mark.parametrize(("status", "body", "cls"), [
    (400, {"code": 400, "message": "Invalid parameters: parameter 'prompt' is required"}, ValidationError),
    (401, {"code": 401, "message": "Unauthorized: invalid key"}, AuthenticationError),
    (402, {"code": 402, "message": "Payment required: insufficient balance"}, InsufficientBalanceError),
    (404, {"code": 404, "message": "Not found: model"}, NotFoundError),
    (429, {"code": 429, "message": "Concurrent limit exceeded"}, RateLimitedError),
    (500, {"code": 500, "message": "Internal error: boom"}, SubmitOutcomeUnknownError),
    (503, {"code": 503, "message": "Service unavailable"}, SubmitOutcomeUnknownError),
    (200, {"code": 0, "data": {"status": "pending"}}, SubmitOutcomeUnknownError),
    (200, {"code": 0, "data": {"task_id": ""}}, SubmitOutcomeUnknownError),
    (201, {"code": 0}, SubmitOutcomeUnknownError),
    # SPEC 5: a 2xx whose code is not 0 (and that names no task) is outcome unknown.
    (200, {"code": 400, "message": "Invalid parameters: parameter 'seed' bad"}, SubmitOutcomeUnknownError),
    (408, {"code": 408, "message": "Request timeout"}, SubmitOutcomeUnknownError),
    (409, {"code": 409, "message": "Conflict"}, SubmitOutcomeUnknownError),
    (418, {"code": 418, "message": "Teapot"}, SubmitOutcomeUnknownError),
])
def test_submit_status_classification(status: int, body: dict, cls: type) -> None:
    with pytest.raises(cls) as caught:
        run(submit, lambda r: httpx.Response(status, json=body))
    if cls is ValidationError:
        assert caught.value.field_errors and caught.value.field_errors[0].field in ("prompt", "seed")


def test_submit_html_502_and_malformed_json_are_unknown() -> None:
    with pytest.raises(SubmitOutcomeUnknownError):
        run(submit, lambda r: httpx.Response(502, text="<html>Bad gateway</html>"))
    with pytest.raises(SubmitOutcomeUnknownError):
        run(submit, lambda r: httpx.Response(200, text='{"code":0,"data":{"task_id":'))


def test_submit_429_carries_clamped_retry_after() -> None:
    with pytest.raises(RateLimitedError) as caught:
        run(submit, lambda r: httpx.Response(429, headers={"Retry-After": "7"}, json={"code": 429, "message": "Rate limit exceeded"}),
            clock=lambda: 1000.0)
    assert caught.value.retry_at == 1007.0 and caught.value.retry_after == 7.0
    with pytest.raises(RateLimitedError) as caught:
        run(submit, lambda r: httpx.Response(429, json={"code": 429, "message": "Rate limit exceeded"}), clock=lambda: 1000.0)
    assert caught.value.retry_at is None and caught.value.retry_after is None


def test_client_has_no_rate_limit_hook_and_no_retry_knobs() -> None:
    """Issue 7 item 3: one GET retry layer (the engine's); the hook it wrote privately is gone."""
    async def main() -> None:
        async with httpx.AsyncClient() as http:
            client = ModellixClient(http, BASE, KEY)
            assert not hasattr(client, "on_rate_limited") and not hasattr(client, "_on_rate_limited")
            with pytest.raises(TypeError):
                ModellixClient(http, BASE, KEY, on_rate_limited=print)  # type: ignore[call-arg]
    asyncio.run(main())


# -- one attempt per call -----------------------------------------------------------------------

def sequence(*responses: httpx.Response | Exception) -> Handler:
    items = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = items.pop(0) if len(items) > 1 else items[0]
        if isinstance(item, Exception):
            raise item
        return item
    return handler


TASK_OK = {"code": 0, "data": {"status": "success", "task_id": "task-1", "result": {"resources": [
    {"url": "https://files.test/out.mp4?sig=abc", "type": "video"}]}, "billing": {"amount": 0.5}}}


@pytest.mark.parametrize(("answer", "cls"), [
    (httpx.Response(503, json={"code": 503, "message": "Service unavailable"}), ServerError),
    (httpx.ReadTimeout("slow"), NetworkError),
    (httpx.Response(502, text="<html>bad gateway</html>"), ServerError),
    (httpx.Response(429, json={"code": 429, "message": "Rate limit exceeded"}), RateLimitedError),
    (httpx.Response(200, text="{broken"), ProtocolError),
])
def test_get_task_makes_exactly_one_attempt(answer: httpx.Response | Exception, cls: type) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if isinstance(answer, Exception):
            raise answer
        return answer
    with pytest.raises(cls) as caught:
        run(lambda c: c.get_task("task-1"), handler)
    assert len(calls) == 1 and caught.value.retryable


@pytest.mark.parametrize(("status", "cls"), [(400, ValidationError), (401, AuthenticationError), (402, InsufficientBalanceError), (404, NotFoundError)])
def test_get_task_does_not_retry_permanent_errors(status: int, cls: type) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, json={"code": status, "message": "No: nope"})
    with pytest.raises(cls):
        run(lambda c: c.get_task("t"), handler)
    assert len(calls) == 1


def test_get_task_429_and_503_carry_clamped_retry_after() -> None:
    for status in (429, 503):
        with pytest.raises((RateLimitedError, ServerError)) as caught:
            run(lambda c: c.get_task("task-1"), lambda r: httpx.Response(
                status, headers={"Retry-After": "3"}, json={"code": status, "message": "Slow down"}), clock=lambda: 500.0)
        assert caught.value.retry_after == 3.0  # type: ignore[union-attr]


def test_get_task_malformed_json_is_protocol_error_after_retries() -> None:
    with pytest.raises(ProtocolError):
        run(lambda c: c.get_task("t"), lambda r: httpx.Response(200, text="{not json"))


def test_get_task_connect_error_retried_then_raised() -> None:
    with pytest.raises(NetworkError):
        run(lambda c: c.get_task("t"), raising(httpx.ConnectError("refused")))


def test_poll_url_used_only_on_same_host() -> None:
    ok = lambda r: httpx.Response(200, json=TASK_OK)  # noqa: E731
    _, rec, _ = run(lambda c: c.get_task("task-1", f"{BASE}/api/v1/tasks/task-1?x=1"), ok)
    assert str(rec.requests[0].url) == f"{BASE}/api/v1/tasks/task-1?x=1"
    with pytest.raises(ProtocolError):  # the answer is for task-1, not task/1: never applied
        _, rec, _ = run(lambda c: c.get_task("task/1", "https://evil.example/api/v1/tasks/task-1"), ok)
    _, rec, _ = run(lambda c: c.get_task("task/1", "https://evil.example/api/v1/tasks/task-1"),
                    lambda r: httpx.Response(200, json={**TASK_OK, "data": {**TASK_OK["data"], "task_id": "task/1"}}))
    assert rec.requests[0].url.host == "api.modellix.test"
    assert rec.requests[0].url.raw_path == b"/api/v1/tasks/task%2F1"
    _, rec, _ = run(lambda c: c.get_task("task-1", "http://api.modellix.test/api/v1/tasks/task-1"), ok)
    assert rec.requests[0].url.scheme == "https"  # a downgrade to http is a foreign origin


# -- small endpoints --------------------------------------------------------------------------

def test_validate_balance_models() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return {
            "/api/v1/apikey/validate": httpx.Response(200, json={"code": 0, "data": {"is_valid": True}}),
            "/api/v1/team/balance": httpx.Response(200, json={"code": 0, "data": {"balance": 12.5}}),
            "/api/v1/models": httpx.Response(200, json={"code": 0, "data": {"models": [{"slug": "a"}, "junk"]}}),
        }[request.url.path]

    async def all_three(client: ModellixClient) -> tuple:
        return await client.validate_key(), await client.balance(), await client.list_models()
    assert run(all_three, handler)[0] == (True, 12.5, [{"slug": "a"}])


def test_validate_key_false_on_401_and_invalid() -> None:
    assert run(lambda c: c.validate_key(), lambda r: httpx.Response(401, json={"code": 401, "message": "Unauthorized"}))[0] is False
    assert run(lambda c: c.validate_key(), lambda r: httpx.Response(200, json={"code": 0, "data": {"is_valid": False}}))[0] is False


def test_balance_without_number_is_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        run(lambda c: c.balance(), lambda r: httpx.Response(200, json={"code": 0, "data": {}}))


# -- upload -----------------------------------------------------------------------------------

def _upload_handler(recorder: list[httpx.Request], status: int = 200, body: dict | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        recorder.append(request)
        return httpx.Response(status, json=body or {"code": 0, "data": {
            "file_id": "f1", "url": "https://files.test/f1.mp4", "filename": "clip.mp4", "size": 300_000}})
    return handler


def _run_upload(tmp_path: Path, handler: Handler, *, size: int = 300_000, **kw: Any) -> Any:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x01" * size)
    factory = lambda: httpx.Client(transport=httpx.MockTransport(handler))  # noqa: E731
    return run(lambda c: c.upload_file(path, **kw), lambda r: httpx.Response(500), upload_client_factory=factory)[0]


def test_upload_streams_multipart_with_progress(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    progress: list[tuple[int, int]] = []
    uploaded = _run_upload(tmp_path, _upload_handler(seen), progress=lambda a, b: progress.append((a, b)))
    assert uploaded.file_id == "f1" and uploaded.url.endswith("f1.mp4") and uploaded.size == 300_000
    (request,) = seen
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert int(request.headers["Content-Length"]) > 300_000
    assert b'name="file"; filename="clip.mp4"' in request.content
    assert progress[-1] == (300_000, 300_000)


def test_upload_too_big_refused_before_sending(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    path = tmp_path / "big.mp4"
    with path.open("wb") as handle:
        handle.truncate(16 * 1024 * 1024 + 1)
    factory = lambda: httpx.Client(transport=httpx.MockTransport(_upload_handler(seen)))  # noqa: E731
    with pytest.raises(ValidationError) as caught:
        run(lambda c: c.upload_file(path), lambda r: httpx.Response(500), upload_client_factory=factory)
    assert "16 MiB" in caught.value.user_message and "trim" in caught.value.user_message
    assert seen == []


def test_upload_429_says_quota(tmp_path: Path) -> None:
    with pytest.raises(RateLimitedError) as caught:
        _run_upload(tmp_path, _upload_handler([], 429, {"code": 429, "message": "Rate limit exceeded"}))
    assert "delete old uploads" in caught.value.user_message


def test_upload_cancel(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(UploadCancelled):
        _run_upload(tmp_path, _upload_handler([]), cancel=cancel)


@pytest.mark.parametrize("code", [0, 200, "0", None])
def test_success_envelope_codes_tolerated(code: object) -> None:
    body = {**OK_SUBMIT, "code": code} if code is not None else {k: v for k, v in OK_SUBMIT.items() if k != "code"}
    assert run(submit, lambda r: httpx.Response(200, json=body))[0].task_id == "task-1"


def test_unknown_outcome_message_says_why_and_what_to_do() -> None:
    with pytest.raises(SubmitOutcomeUnknownError) as caught:
        run(submit, lambda r: httpx.Response(502, text="<html>bad gateway</html>"))
    assert "HTTP 502" in caught.value.user_message and "Submit again" in caught.value.user_message
    with pytest.raises(SubmitOutcomeUnknownError) as caught:
        run(submit, raising(httpx.ReadTimeout("slow")))
    assert "after the submission was sent" in caught.value.user_message


def test_get_with_error_envelope_in_200_is_mapped() -> None:
    with pytest.raises(NotFoundError):
        run(lambda c: c.get_task("t"), lambda r: httpx.Response(200, json={"code": 404, "message": "Not found: task"}))


def test_upload_size_boundary(tmp_path: Path) -> None:
    from seedance_desktop.api.upload import MAX_UPLOAD_BYTES, check_upload_size

    exact = tmp_path / "exact.mp4"
    with exact.open("wb") as handle:
        handle.truncate(MAX_UPLOAD_BYTES)
    assert check_upload_size(exact) == 16 * 1024 * 1024
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(ValidationError):
        check_upload_size(empty)
    with pytest.raises(ValidationError) as caught:
        check_upload_size(tmp_path / "missing.mp4")
    assert caught.value.field_errors[0].field == "file"
