"""Every fault kind, scripted per test through Simulator.inject, and the CLI syntax."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from simtest_helpers import V2V, submit, upload, v2v_body, video_url, wait_final

from seedance_desktop.simulator.faults import Fault, FaultBook, FaultKind
from seedance_desktop.simulator.launcher import SimulatorThread

pytestmark = pytest.mark.timeout(60)


def _sim(thread: SimulatorThread):  # type: ignore[no-untyped-def]
    assert thread.simulator is not None
    return thread.simulator


def test_parse_command_line_faults() -> None:
    fault = Fault.parse("submit:status=429,retry_after=2,times=3")
    assert (fault.endpoint, fault.kind, fault.status, fault.times) == ("submit", FaultKind.STATUS, 429, 3)
    assert fault.headers == {"Retry-After": "2"}
    assert Fault.parse("task:html=502").kind is FaultKind.HTML_STATUS
    assert Fault.parse("task:html=502").status == 502
    drop = Fault.parse("submit:drop,create_task=false")
    assert drop.kind is FaultKind.DROP and drop.create_task is False
    assert Fault.parse("task:slow").delay == 30.0
    assert Fault.parse("result:truncate,after_bytes=1000").after_bytes == 1000
    assert Fault.parse("result:expire_result").status == 410
    assert Fault.parse("submit:fail_task,message=Face found,times=-1").message == "Face found"
    limited = Fault.parse("any:status=429,reset=5,limit=100,remaining=0")
    headers = limited.response_headers()
    assert headers["X-RateLimit-Limit"] == "100" and headers["X-RateLimit-Remaining"] == "0"
    assert abs(int(headers["X-RateLimit-Reset"]) - (time.time() + 5)) <= 1
    for bad in ("nonsense", "submit:kind=nope", "nowhere:status=500", "submit:color=red",
                "task:truncate", "submit:status=500,times=0"):
        with pytest.raises(ValueError):
            Fault.parse(bad)


def test_fault_book_counts_applications() -> None:
    book = FaultBook()
    book.inject(Fault("task", FaultKind.STATUS, status=503, times=2))
    book.inject(Fault("any", FaultKind.STATUS, status=500, times=-1))
    assert [book.take("task").status for _ in range(4)] == [503, 503, 500, 500]  # type: ignore[union-attr]
    assert book.take("submit", (FaultKind.FAIL_TASK,)) is None
    book.clear()
    assert book.take("task") is None


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "2"}])
def test_429_with_and_without_retry_after(simulator: SimulatorThread, api: httpx.Client, clip_url: str,
                                          headers: dict[str, str]) -> None:
    _sim(simulator).inject(Fault("submit", FaultKind.STATUS, status=429, headers=headers, times=2))
    for _ in range(2):
        response = api.post(V2V, json=v2v_body(clip_url))
        assert response.status_code == 429
        assert response.json() == {"code": 429, "message": "Rate limit exceeded: too many requests, slow down"}
        assert response.headers.get("Retry-After") == headers.get("Retry-After")
    assert _sim(simulator).tasks() == {}  # refused: nothing was created
    assert api.post(V2V, json=v2v_body(clip_url)).status_code == 200
    assert _sim(simulator).request_counts()["submit"] == 3


def test_429_with_rate_limit_reset(simulator: SimulatorThread, api: httpx.Client) -> None:
    _sim(simulator).inject(Fault("task", FaultKind.STATUS, status=429, reset_in=3,
                                 headers={"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0"}))
    response = api.get("/api/v1/tasks/task-x")
    assert response.status_code == 429
    assert abs(int(response.headers["X-RateLimit-Reset"]) - (time.time() + 3)) <= 1
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert api.get("/api/v1/tasks/task-x").status_code == 404  # applied once


@pytest.mark.parametrize("status", [500, 502, 503])
def test_json_and_html_server_errors(simulator: SimulatorThread, api: httpx.Client, status: int) -> None:
    sim = _sim(simulator)
    sim.inject(Fault("balance", FaultKind.STATUS, status=status))
    sim.inject(Fault("balance", FaultKind.HTML_STATUS, status=status))
    as_json = api.get("/api/v1/team/balance")
    assert as_json.status_code == status and as_json.json()["code"] == status
    as_html = api.get("/api/v1/team/balance")
    assert as_html.status_code == status
    assert as_html.headers["content-type"].startswith("text/html") and "<html>" in as_html.text
    assert api.get("/api/v1/team/balance").status_code == 200


def test_slow_answer_times_out_the_client_but_the_task_exists(simulator: SimulatorThread, api: httpx.Client,
                                                              clip_url: str) -> None:
    # The answer comes after 8 s; the client gave up well before (room for a busy machine).
    _sim(simulator).inject(Fault("submit", FaultKind.SLOW, delay=8.0))
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        api.post(V2V, json=v2v_body(clip_url), timeout=0.5)
    assert time.monotonic() - started < 6
    assert len(_sim(simulator).tasks()) == 1  # the dangerous case: paid, id never seen


def test_slow_get_eventually_answers(simulator: SimulatorThread, api: httpx.Client) -> None:
    _sim(simulator).inject(Fault("models", FaultKind.SLOW, delay=0.6))
    started = time.monotonic()
    assert api.get("/api/v1/models").status_code == 200
    assert time.monotonic() - started >= 0.6


@pytest.mark.parametrize("create_task", [True, False])
def test_drop_after_reading_the_submit(simulator: SimulatorThread, api: httpx.Client, clip_url: str,
                                       create_task: bool) -> None:
    _sim(simulator).inject(Fault("submit", FaultKind.DROP, create_task=create_task))
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(V2V, json=v2v_body(clip_url))
    assert len(_sim(simulator).tasks()) == (1 if create_task else 0)
    assert _sim(simulator).request_counts()["submit"] == 1
    assert api.post(V2V, json=v2v_body(clip_url)).status_code == 200  # the server is fine afterwards


def test_drop_on_a_get(simulator: SimulatorThread, api: httpx.Client) -> None:
    _sim(simulator).inject(Fault("validate", FaultKind.DROP))
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/api/v1/apikey/validate")
    assert api.get("/api/v1/apikey/validate").json()["data"]["is_valid"] is True


@pytest.mark.parametrize("create_task", [True, False])
def test_malformed_json(simulator: SimulatorThread, api: httpx.Client, clip_url: str, create_task: bool) -> None:
    _sim(simulator).inject(Fault("submit", FaultKind.MALFORMED_JSON, create_task=create_task))
    response = api.post(V2V, json=v2v_body(clip_url))
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert len(_sim(simulator).tasks()) == (1 if create_task else 0)


def test_malformed_json_on_a_poll(simulator: SimulatorThread, api: httpx.Client) -> None:
    _sim(simulator).inject(Fault.parse("balance:malformed_json"))
    with pytest.raises(ValueError):
        api.get("/api/v1/team/balance").json()
    assert api.get("/api/v1/team/balance").json()["code"] == 0


def test_truncated_download_then_resume(simulator: SimulatorThread, api: httpx.Client, clip_url: str) -> None:
    url = video_url(wait_final(api, submit(api, v2v_body(clip_url))))
    full = httpx.get(url).content
    _sim(simulator).inject(Fault("result", FaultKind.TRUNCATE, after_bytes=5000))
    received = bytearray()
    with pytest.raises(httpx.RemoteProtocolError):
        with httpx.stream("GET", url) as response:
            assert response.headers["content-length"] == str(len(full))
            for chunk in response.iter_raw():
                received.extend(chunk)
    assert len(received) == 5000
    rest = httpx.get(url, headers={"Range": f"bytes={len(received)}-"})
    assert rest.status_code == 206 and bytes(received) + rest.content == full


def test_fail_task_with_reason(simulator: SimulatorThread, api: httpx.Client, clip_url: str) -> None:
    _sim(simulator).inject(Fault("submit", FaultKind.FAIL_TASK, message="OutputVideoSensitiveContentDetected"))
    failed = wait_final(api, submit(api, v2v_body(clip_url)))
    assert failed["status"] == "failed"
    assert failed["error"]["message"] == "OutputVideoSensitiveContentDetected"
    assert "result" not in failed
    assert wait_final(api, submit(api, v2v_body(clip_url)))["status"] == "success"
    assert _sim(simulator).tasks()[failed["task_id"]].succeeded_at is None


def test_expire_result_then_refetch(simulator: SimulatorThread, api: httpx.Client, clip_url: str) -> None:
    task_id = submit(api, v2v_body(clip_url))
    url = video_url(wait_final(api, task_id))
    _sim(simulator).inject(Fault("result", FaultKind.EXPIRE_RESULT))
    assert httpx.get(url).status_code == 410
    assert httpx.get(url).status_code == 410  # that URL stays dead
    fresh = video_url(api.get(f"/api/v1/tasks/{task_id}").json()["data"])
    assert fresh != url
    assert httpx.get(fresh).status_code == 200


def test_fault_forever_until_cleared(simulator: SimulatorThread, api: httpx.Client) -> None:
    sim = _sim(simulator)
    sim.inject(Fault("task", FaultKind.STATUS, status=503, times=-1))
    assert [api.get("/api/v1/tasks/t").status_code for _ in range(5)] == [503] * 5
    sim.clear_faults()
    assert api.get("/api/v1/tasks/t").status_code == 404


def test_faults_from_config(simulator_factory, clip: Path) -> None:  # type: ignore[no-untyped-def]
    thread = simulator_factory(faults=(Fault.parse("models:status=500,times=2"),))
    with httpx.Client(base_url=thread.base_url, headers={"Authorization": f"Bearer {thread.api_key}"}) as client:
        assert [client.get("/api/v1/models").status_code for _ in range(3)] == [500, 500, 200]


def test_slow_submit_without_creating_the_task(simulator: SimulatorThread, api: httpx.Client, clip_url: str) -> None:
    _sim(simulator).inject(Fault.parse("submit:slow,delay=1,create_task=false"))
    with pytest.raises(httpx.ReadTimeout):
        api.post(V2V, json=v2v_body(clip_url), timeout=0.3)
    _sim(simulator).inject(Fault.parse("submit:slow,delay=0.5,create_task=false"))
    late = api.post(V2V, json=v2v_body(clip_url))
    assert late.status_code == 504
    time.sleep(0.8)  # the first request's delay is over too
    assert _sim(simulator).tasks() == {}


def test_slow_upload_answers_late(simulator: SimulatorThread, api: httpx.Client, clip: Path) -> None:
    _sim(simulator).inject(Fault("upload", FaultKind.SLOW, delay=0.5))
    started = time.monotonic()
    upload(api, clip)
    assert time.monotonic() - started >= 0.5
    assert len(_sim(simulator).files()) == 1


@pytest.mark.parametrize("kind", [FaultKind.DROP, FaultKind.SLOW, FaultKind.MALFORMED_JSON])
def test_download_faults_hit_before_any_byte(simulator: SimulatorThread, api: httpx.Client, clip_url: str,
                                            kind: FaultKind) -> None:
    url = video_url(wait_final(api, submit(api, v2v_body(clip_url))))
    _sim(simulator).inject(Fault("result", kind, delay=2.0))
    if kind is FaultKind.MALFORMED_JSON:
        assert httpx.get(url).content[:1] == b"{"
    else:
        error = httpx.RemoteProtocolError if kind is FaultKind.DROP else httpx.ReadTimeout
        with pytest.raises(error):
            httpx.get(url, timeout=0.5)
    assert httpx.get(url).content[4:8] == b"ftyp"


def test_probabilistic_faults_are_repeatable() -> None:
    def run() -> list[bool]:
        book = FaultBook()
        book.inject(Fault.parse("task:status=503,times=-1,probability=0.25"))
        return [book.take("task") is not None for _ in range(400)]

    first = run()
    assert first == run()  # seeded: the same chaos every run
    assert 60 < sum(first) < 140
    with pytest.raises(ValueError):
        Fault.parse("task:status=503,probability=0")


def test_expire_result_as_403(simulator: SimulatorThread, api: httpx.Client, clip_url: str) -> None:
    url = video_url(wait_final(api, submit(api, v2v_body(clip_url))))
    _sim(simulator).inject(Fault.parse("result:expire_result,status=403"))
    refused = httpx.get(url)
    assert refused.status_code == 403 and refused.json()["message"].startswith("Forbidden")
    assert httpx.get(url).status_code == 410  # retired for good
