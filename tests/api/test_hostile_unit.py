"""Pure rules behind the hostile-server defences: URL trust, answer bounds, hint clamping,
resource kinds, linear redaction, and client byte-level cases (``httpx.MockTransport``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from seedance_desktop.api.answers import MAX_JSON_DEPTH, nesting_depth_exceeds, parse_json_object, short_text
from seedance_desktop.api.client import ModellixClient
from seedance_desktop.api.download import sniff_kind
from seedance_desktop.api.errors import (
    ProtocolError,
    RETRY_HINT_RANGE,
    ServerError,
    SubmitOutcomeUnknownError,
    UnsafeUrlError,
)
from seedance_desktop.api.http_errors import error_from_response, retry_hint
from seedance_desktop.api.redact import Redactor
from seedance_desktop.api.spec import get_model
from seedance_desktop.api.tasks import parse_task, resource_kind
from seedance_desktop.api.urls import check_result_url, scrub_text, scrub_urls, strip_query
from seedance_desktop.simulator.faults import Fault, FaultBook, FaultKind

BASE = "https://api.modellix.test"
SPEC = get_model("bytedance/seedance-2.0-fast-v2v")


# -- URL trust (items 9, 12) ---------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://file.modellix.ai/a/output.mp4?sig=1", "HTTPS://CDN.example.com/x.mp4",
    "http://127.0.0.1:8123/files/results/t/output.mp4",  # the configured base's own origin
])
def test_result_url_accepted(url: str) -> None:
    assert check_result_url(url, "http://127.0.0.1:8123") == url


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "data:video/mp4;base64,AAAA", "javascript:alert(1)", "/files/x.mp4", "x.mp4",
    "http://file.modellix.ai/x.mp4", "HTTP://file.modellix.ai/x.mp4", "ftp://h/x.mp4",
    "https://169.254.169.254/latest", "https://127.0.0.1/x", "https://localhost/x", "https://10.1.2.3/x",
    "https://192.168.0.1/x", "https://[::1]/x", "https://[::ffff:169.254.169.254]/x", "https://0.0.0.0/x",
    "https://user:pw@file.modellix.ai/x", "http://127.0.0.1:9999/x", " https://h/x", "https://h/x\r\n",
    "", "https://", "https://h/\ud800",
])
def test_result_url_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError) as caught:
        check_result_url(url, "http://127.0.0.1:8123")
    assert not caught.value.retryable
    assert "sig=" not in caught.value.user_message


def test_parse_task_drops_unsafe_resources_and_keeps_safe_ones() -> None:
    envelope = {"code": 0, "data": {"status": "success", "task_id": "t", "result": {"resources": [
        {"url": "javascript:alert(1)", "type": "video"},
        {"url": "file:///etc/passwd", "type": "video"},
        "relative/out.mp4",
        {"url": "https://cdn.example.com/ok.mp4", "type": "video"},
    ]}}}
    info = parse_task(envelope, allowed_origin=BASE)
    assert info.video is not None and info.video.url == "https://cdn.example.com/ok.mp4"
    assert len(info.unsafe) == 3
    only_bad = {"code": 0, "data": {"status": "success", "result": {"resources": ["http://evil.example/x.mp4"]}}}
    info = parse_task(only_bad, allowed_origin=BASE)
    assert info.video is None and len(info.unsafe) == 1 and not info.unsafe[0].retryable


# -- resources (item 3) -----------------------------------------------------------------------------

@pytest.mark.parametrize(("type_", "fmt", "url", "kind"), [
    ("video", None, "https://h/a", "video"), ("", "mp4", "https://h/a", "video"), ("", "MOV", "https://h/a", "video"),
    ("", None, "https://h/a/out.webm?x=1", "video"), ("", None, "https://h/a/OUT.MP4", "video"),
    ("", None, "https://h/a/last.png", "image"), ("", "jpg", "https://h/a", "image"), ("", None, "https://h/x.webp", "image"),
    ("", None, "https://h/a/blob", "unknown"), ("audio", None, "https://h/a.mp3", "other"),
])
def test_resource_kind(type_: str, fmt: str | None, url: str, kind: str) -> None:
    assert resource_kind(type_, fmt, url) == kind


def test_success_with_only_an_unknown_url_still_has_a_video_to_sniff() -> None:
    info = parse_task({"code": 0, "data": {"status": "success", "resources": ["https://h/blob/123"]}})
    assert info.video is not None and info.video.kind == "unknown"
    info = parse_task({"code": 0, "data": {"status": "success", "result": {"resources": [
        {"url": "https://h/last.png"}, {"url": "https://h/v"}]}}})
    assert info.video is not None and info.video.url == "https://h/v" and info.last_frame is not None
    assert [r.kind for r in info.candidates] == ["unknown", "image"]


@pytest.mark.parametrize(("head", "kind"), [
    (b"\0\0\0\x18ftypmp42", "video"), (b"\x1a\x45\xdf\xa3", "video"), (b"\x89PNG\r\n\x1a\n", "image"),
    (b"<!DOCTYPE html><html>", "html"), (b"PK\x03\x04", "zip"), (b"\x1f\x8b\x08", "gzip"), (b"", "empty"),
])
def test_sniff_kind(head: bytes, kind: str) -> None:
    assert sniff_kind(head) == kind


# -- answers (item 10) --------------------------------------------------------------------------------

@pytest.mark.timeout(30)
def test_depth_check_is_linear_and_never_recurses() -> None:
    deep = b'{"data":' + b"[" * 600 + b"]" * 600 + b"}"
    assert nesting_depth_exceeds(deep) is True and parse_json_object(deep) is None
    assert nesting_depth_exceeds(b"[" * 1_000_000) is True
    assert nesting_depth_exceeds(b'{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') is False
    assert nesting_depth_exceeds(b'"unterminated' + b"\\\"" * 100_000) is None
    assert nesting_depth_exceeds(b"[]" * 2_000_000) is False
    ok = json.dumps({"a": [[{"b": 1}]] * 10}).encode()
    assert parse_json_object(ok) == json.loads(ok)
    assert nesting_depth_exceeds(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is False


def test_long_server_messages_are_truncated() -> None:
    error = error_from_response(400, {}, json.dumps({"code": 400, "message": "Invalid: " + "x" * 200_000}).encode(), now=0.0)
    assert len(str(error)) < 1000 and len(error.user_message) < 1000
    assert short_text("abc", 5) == "abc" and short_text("x" * 10, 5).startswith("xxxxx…")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", [
    "http://" * 20_000, "https://a" * 20_000 + "?", "https://x@" * 20_000, "a=b&token=" * 14_000,
    "bearer " * 20_000, "https://u:p@h/p?sig=1 " * 6_500, "x://" * 35_000, "HTTP://h/" * 15_000 + "?q",
    "sig=" * 35_000, "https://" + "a" * 140_000 + "?signature=s",
])
def test_redaction_is_linear_on_140kb_adversarial_messages(text: str) -> None:
    redactor = Redactor(["sk-secret-1234"])
    for _ in range(5):
        out = redactor(text + " sk-secret-1234")
    assert "sk-secret-1234" not in out and "signature=s" not in out


def test_redaction_still_masks_what_it_did() -> None:
    redactor = Redactor(["sk-secret-1234"])
    out = redactor("GET HTTPS://User:Pw@Host.example/a/b?X-Amz-Signature=abc&y=1 Bearer tok.en "
                   "api_key=zzz sk-secret-1234 'wss://h/s?token=1'")
    assert "abc" not in out and "Pw" not in out and "tok.en" not in out and "zzz" not in out
    assert "sk-secret-1234" not in out and "token=1" not in out
    assert "HTTPS://Host.example/a/b?…" in out


# -- upper-case schemes are scrubbed too (item 13) ----------------------------------------------------

def test_upper_case_urls_are_scrubbed() -> None:
    assert strip_query("HTTP://H/x?sig=1").lower() == "http://h/x"
    assert scrub_text("see HTTP://H/x?sig=1 now").lower() == "see http://h/x now"
    assert json.dumps(scrub_urls({"u": ["HTTPS://H/x?sig=1"]})).lower() == '{"u": ["https://h/x"]}'


# -- hints (item 8) --------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Retry-After": "inf"}, {"Retry-After": "1e18"}, {"Retry-After": "-3"}, {"Retry-After": "1e-9"},
    {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, {"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"},
    {"X-RateLimit-Reset": "1e18"}, {"X-RateLimit-Reset": "99999999999999"}, {"X-RateLimit-Reset": "-1e18"},
    {"X-RateLimit-Reset": "1000"}, {"X-RateLimit-Reset": "inf"}, {"Retry-After": "x" * 10_000},
])
def test_every_hint_is_clamped(headers: dict[str, str]) -> None:
    low, high = RETRY_HINT_RANGE
    for status in (429, 503, 408):
        error = error_from_response(status, headers, b'{"code": 1, "message": "m"}', now=1.8e9)
        hint = getattr(error, "retry_after")
        assert hint is None or low <= hint <= high
    hint = retry_hint(headers, now=1.8e9)
    assert hint is None or low <= hint <= high


def test_nan_hint_is_no_hint_and_503_carries_retry_after() -> None:
    assert retry_hint({"Retry-After": "nan"}, now=0.0) is None
    error = error_from_response(503, {"Retry-After": "30"}, b"<html>busy</html>", now=0.0)
    assert isinstance(error, ServerError) and error.retry_after == 30.0


# -- client byte-level cases ------------------------------------------------------------------------------

def run(coro: Callable[[ModellixClient], Any], handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            return await coro(ModellixClient(http, BASE, "sk-unit-1234"))
    return asyncio.run(main())


def test_models_with_or_without_envelope() -> None:
    models = [{"slug": "a"}]
    for body in ({"models": models}, {"code": 0, "data": {"models": models}}, {"code": 0, "data": models}):
        def answer(request: httpx.Request, body: object = body) -> httpx.Response:
            return httpx.Response(200, json=body)
        assert run(lambda c: c.list_models(), answer) == models


def test_validate_200_is_valid_false() -> None:
    answer = {"code": 0, "data": {"is_valid": False}}
    assert run(lambda c: c.validate_key(), lambda r: httpx.Response(200, json=answer)) is False


def test_200_with_code_429_and_task_id_is_tracked_not_refused() -> None:
    answer = {"code": 429, "message": "Rate limit exceeded", "data": {"task_id": "task-9", "status": "pending"}}
    result = run(lambda c: c.submit(SPEC, {"prompt": "p"}), lambda r: httpx.Response(200, json=answer))
    assert result.task_id == "task-9" and result.refused == "Rate limit exceeded"


def test_2xx_with_other_code_and_no_task_is_outcome_unknown() -> None:
    answer = {"code": 500, "message": "Internal"}
    with pytest.raises(SubmitOutcomeUnknownError):
        run(lambda c: c.submit(SPEC, {"prompt": "p"}), lambda r: httpx.Response(200, json=answer))


def test_poll_url_query_is_not_kept() -> None:
    answer = {"code": 0, "data": {"task_id": "t", "get_result": {"url": f"{BASE}/api/v1/tasks/t?sig=abc"}}}
    result = run(lambda c: c.submit(SPEC, {"prompt": "p"}), lambda r: httpx.Response(200, json=answer))
    assert result.result_url == f"{BASE}/api/v1/tasks/t"


@pytest.mark.parametrize("url", ["http://evil.example/f.mp4", "file:///etc/passwd", "https://169.254.169.254/f"])
def test_unsafe_upload_url_is_refused(tmp_path: Any, url: str) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\0" * 100)

    def factory() -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(
            lambda r: httpx.Response(200, json={"code": 0, "data": {"url": url, "file_id": "f"}})))

    async def main() -> None:
        async with httpx.AsyncClient() as http:
            await ModellixClient(http, BASE, "sk-unit-1234", upload_client_factory=factory).upload_file(path)
    with pytest.raises(UnsafeUrlError):
        asyncio.run(main())


def test_huge_answer_is_refused_while_streaming() -> None:
    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b'{"code":0,"data":{"x":"'
            for _ in range(100_000):
                yield b"x" * 65_536

    with pytest.raises(ProtocolError):
        run(lambda c: c.balance(), lambda r: httpx.Response(200, stream=Endless()))


# -- simulator fault parsing ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind"), [
    ("task:untyped", FaultKind.UNTYPED), ("task:string_resources", FaultKind.STRING_RESOURCES),
    ("task:dead_last_frame", FaultKind.DEAD_LAST_FRAME), ("submit:refuse_with_task,http_status=200", FaultKind.REFUSE_WITH_TASK),
    ("result:body,option=gzip", FaultKind.BODY), ("result:trickle,rate=10", FaultKind.TRICKLE),
    ("result:redirect,location=file:///etc/passwd", FaultKind.REDIRECT), ("task:deep_json,depth=600", FaultKind.DEEP_JSON),
    ("task:huge_json", FaultKind.HUGE_JSON), ("task:task_id,mode=blank", FaultKind.TASK_ID),
    ("submit_plain:status=405,times=-1", FaultKind.STATUS), ("result:status=403,for=2", FaultKind.STATUS),
])
def test_fault_parse_new_kinds(text: str, kind: FaultKind) -> None:
    assert Fault.parse(text).kind is kind


def test_refuse_with_task_defaults_to_429_and_fixed_endpoints_are_checked() -> None:
    assert Fault.parse("submit:refuse_with_task").status == 429
    with pytest.raises(ValueError):
        Fault.parse("submit:untyped")


def test_duration_fault_hits_every_request_in_its_window() -> None:
    book = FaultBook()
    book.inject(Fault.parse("result:status=404,for=60"))
    assert all(book.take("result") is not None for _ in range(10))


def test_duration_fault_ends_after_its_window() -> None:
    import time

    book = FaultBook()
    book.inject(Fault.parse("result:status=404,for=0.05"))
    assert book.take("result") is not None
    time.sleep(0.1)
    assert book.take("result") is None and book.pending() == []
