"""Every endpoint of SPEC section 1, auth, and the answer shapes of section 4."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from simtest_helpers import submit, upload, v2v_body, video_url, wait_final

from seedance_desktop.media.synth import make_image
from seedance_desktop.simulator.launcher import SimulatorThread


pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("path", [
    "/api/v1/apikey/validate", "/api/v1/team/balance", "/api/v1/models", "/api/v1/media/files",
    "/api/v1/tasks/task-nope",
])
@pytest.mark.parametrize("auth", [None, "Bearer wrong-key", "Basic abc", "bearer"])
def test_every_api_endpoint_needs_the_bearer_key(simulator: SimulatorThread, path: str, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    response = httpx.get(simulator.base_url + path, headers=headers)
    if path == "/api/v1/apikey/validate" and auth == "Bearer wrong-key":
        # SPEC 1: a rejected key may be HTTP 200 with is_valid false (the simulator's default).
        assert response.status_code == 200 and response.json()["data"] == {"is_valid": False}
        return
    assert response.status_code == 401
    assert response.json()["code"] == 401
    assert response.json()["message"].startswith("Unauthorized")


def test_submit_and_upload_need_the_key(simulator: SimulatorThread, clip: Path) -> None:
    base = simulator.base_url
    assert httpx.post(base + "/api/v1/bytedance/seedance-2.0-fast-v2v/async", json={}).status_code == 401
    assert httpx.post(base + "/api/v1/media/files", files={"file": ("a.mp4", b"x")}).status_code == 401
    assert httpx.delete(base + "/api/v1/media/files/file-1").status_code == 401
    assert simulator.simulator is not None and simulator.simulator.tasks() == {}


def test_validate_balance_models(api: httpx.Client) -> None:
    assert api.get("/api/v1/apikey/validate").json() == {"code": 0, "message": "success", "data": {"is_valid": True}}
    balance = api.get("/api/v1/team/balance").json()["data"]["balance"]
    assert balance == pytest.approx(1000.0)
    answer = api.get("/api/v1/models").json()
    assert set(answer) == {"models"}  # SPEC 1: top-level, no code/data envelope
    models = answer["models"]
    slugs = {m["slug"] for m in models}
    assert slugs == {"bytedance/seedance-2.0-fast-v2v", "bytedance/seedance-2.0-v2v", "bytedance/seedance-2.0-fast-i2v"}
    assert all({"slug", "type", "docs_url", "description"} <= set(m) for m in models)


def test_unknown_path_and_model_answer_404_envelopes(api: httpx.Client) -> None:
    response = api.get("/api/v1/nothing")
    assert response.status_code == 404 and response.json()["code"] == 404
    response = api.post("/api/v1/bytedance/seedance-9-v2v/async", json={})
    assert response.status_code == 404 and "not found" in response.json()["message"]
    response = api.get("/api/v1/tasks/task-unknown")
    assert response.status_code == 404 and response.json()["message"].startswith("Not found")


@pytest.mark.parametrize("path", [
    "/api/v1/bytedance/seedance-2.0-fast-v2v/async", "/api/v1/bytedance/seedance-2.0-fast-v2v",
])
def test_submit_on_both_path_forms_and_task_progression(simulator_factory, clip: Path, path: str) -> None:  # type: ignore[no-untyped-def]
    # A hand-driven clock (1 s = 1 simulated s): each phase is entered exactly when the test says.
    now = [1_700_000_000.0]
    simulator = simulator_factory(time_scale=1.0, pending_seconds=10.0, processing_seconds=(20.0, 20.0),
                                  clock=lambda: now[0])
    api = httpx.Client(base_url=simulator.base_url, headers={"Authorization": f"Bearer {simulator.api_key}"})
    clip_url = upload(api, clip)["url"]
    response = api.post(path, json=v2v_body(clip_url, return_last_frame=True))
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["code"] == 0 and envelope["message"] == "success"
    data = envelope["data"]
    task_id = data["task_id"]
    assert data["status"] == "pending"
    assert data["model_id"] == "bytedance/seedance-2.0-fast-v2v"
    assert data["get_result"] == {"method": "GET", "url": f"{simulator.base_url}/api/v1/tasks/{task_id}"}

    def status() -> str:
        return str(httpx.get(data["get_result"]["url"], headers=api.headers).json()["data"]["status"])

    sim = simulator.simulator
    deadline = time.monotonic() + 20
    while sim.task(task_id).render_done_at is None and time.monotonic() < deadline:
        time.sleep(0.02)  # the render runs in real time; let it finish before time moves
    seen = [status()]
    now[0] += 9.9
    seen.append(status())
    now[0] += 0.2
    seen.append(status())
    now[0] += 19.8
    seen.append(status())
    now[0] += 0.2
    seen.append(status())
    task = httpx.get(data["get_result"]["url"], headers=api.headers).json()["data"]
    api.close()
    assert seen == ["pending", "pending", "processing", "processing", "success"]
    assert task["duration"] == 30_000  # simulated ms from submit to success
    assert task["task_id"] == task_id and task["model_id"] == "bytedance/seedance-2.0-fast-v2v"
    assert isinstance(task["duration"], int)
    assert task["billing"]["amount"] == pytest.approx(0.069 * 4)
    video, image = task["result"]["resources"]
    assert video["type"] == "video" and (video["width"], video["height"], video["format"]) == (854, 480, "mp4")
    assert image["type"] == "image" and image["format"] == "png"
    assert httpx.get(video["url"]).status_code == 200

    assert simulator.simulator is not None
    record = simulator.simulator.tasks()[task_id]
    assert record.status == "success"
    assert record.succeeded_at == record.submitted_at + 30  # exact, not the time of the first poll
    assert record.body["prompt"].startswith("Make")
    assert record.video_size == len(httpx.get(video["url"]).content)
    assert record.video_sha256 and len(record.video_sha256) == 64


def test_no_last_frame_unless_asked(api: httpx.Client, clip_url: str) -> None:
    data = wait_final(api, submit(api, v2v_body(clip_url)))
    assert [r["type"] for r in data["result"]["resources"]] == ["video"]


def test_billing_follows_the_price_table_and_balance_drops(simulator_factory, clip: Path) -> None:  # type: ignore[no-untyped-def]
    sim = simulator_factory(price_per_second={"480p": 0.5, "720p": 1.0, "1080p": 2.0}, balance=10.0)
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.api_key}"}) as client:
        url = upload(client, clip)["url"]
        data = wait_final(client, submit(client, v2v_body(url, resolution="720p", duration=6)))
        assert data["billing"]["amount"] == pytest.approx(6.0)
        assert client.get("/api/v1/team/balance").json()["data"]["balance"] == pytest.approx(4.0)
        response = client.post("/api/v1/bytedance/seedance-2.0-fast-v2v/async", json=v2v_body(url, resolution="720p", duration=5))
        assert response.status_code == 402 and response.json()["message"].startswith("Insufficient balance")


def test_concurrent_limit_answers_429(simulator_factory, clip: Path) -> None:  # type: ignore[no-untyped-def]
    sim = simulator_factory(concurrent_limit=1, pending_seconds=600.0)
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.api_key}"}) as client:
        url = upload(client, clip)["url"]
        submit(client, v2v_body(url))
        response = client.post("/api/v1/bytedance/seedance-2.0-fast-v2v/async", json=v2v_body(url))
        assert response.status_code == 429
        assert response.json()["message"].startswith("Concurrent limit exceeded")


def test_i2v_renders_from_an_image(api: httpx.Client, tmp_path: Path) -> None:
    image = upload(api, make_image(tmp_path / "still.png", width=640, height=640), "image/png")
    assert image["type"] == "image"
    body = {"prompt": "animate [Image 1]", "first_frame_image": image["url"], "resolution": "480p",
            "ratio": "9:16", "duration": 4, "generate_audio": False}
    data = wait_final(api, submit(api, body, "/api/v1/bytedance/seedance-2.0-fast-i2v"))
    assert data["status"] == "success", data
    video = data["result"]["resources"][0]
    assert (video["width"], video["height"]) == (480, 854)


def test_v2v_1080p_only_on_the_non_fast_model(api: httpx.Client, clip_url: str) -> None:
    fast = api.post("/api/v1/bytedance/seedance-2.0-fast-v2v/async", json=v2v_body(clip_url, resolution="1080p"))
    assert fast.status_code == 400 and "'resolution'" in fast.json()["message"]
    full = api.post("/api/v1/bytedance/seedance-2.0-v2v", json=v2v_body(clip_url, resolution="1080p"))
    assert full.status_code == 200


def test_file_api_upload_list_delete_and_quota(simulator_factory, clip: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sim = simulator_factory(upload_quota=2)
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.api_key}"}) as client:
        first = upload(client, clip)
        assert set(first) == {"file_id", "type", "url", "filename", "size", "created_at"}
        assert first["size"] == clip.stat().st_size and first["filename"] == "clip.mp4" and first["type"] == "video"
        downloaded = httpx.get(first["url"])  # hosted URLs need no key
        assert downloaded.status_code == 200 and downloaded.content == clip.read_bytes()
        second = upload(client, clip)
        over = client.post("/api/v1/media/files", files={"file": ("c.mp4", clip.read_bytes(), "video/mp4")})
        assert over.status_code == 429 and "delete old files" in over.json()["message"]
        listed = client.get("/api/v1/media/files").json()["data"]["files"]
        assert [f["file_id"] for f in listed] == [first["file_id"], second["file_id"]]
        assert client.delete(f"/api/v1/media/files/{first['file_id']}").json()["data"]["deleted"] is True
        assert client.delete(f"/api/v1/media/files/{first['file_id']}").status_code == 404
        assert httpx.get(first["url"]).status_code == 404
        upload(client, clip)  # room again


def test_upload_size_limit_and_missing_field(simulator_factory) -> None:  # type: ignore[no-untyped-def]
    sim = simulator_factory(upload_max_bytes=1000)
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.api_key}"}) as client:
        big = client.post("/api/v1/media/files", files={"file": ("big.mp4", b"x" * 1001, "video/mp4")})
        assert big.status_code == 413 and big.json()["code"] == 413
        fits = client.post("/api/v1/media/files", files={"file": ("ok.mp4", b"x" * 1000, "video/mp4")})
        assert fits.status_code == 200
        wrong = client.post("/api/v1/media/files", files={"other": ("ok.mp4", b"x", "video/mp4")})
        assert wrong.status_code == 400 and "'file'" in wrong.json()["message"]
        assert client.post("/api/v1/media/files", json={}).status_code == 400
    assert sim.simulator is not None and len(sim.simulator.files()) == 1


def test_reference_that_cannot_be_fetched_fails_the_task(api: httpx.Client, simulator: SimulatorThread) -> None:
    data = wait_final(api, submit(api, v2v_body(f"{simulator.base_url}/files/uploads/file-x/none.mp4")))
    assert data["status"] == "failed"
    assert "video_urls" in data["error"]["message"]
    assert "result" not in data


def test_request_counts(simulator: SimulatorThread, api: httpx.Client, clip_url: str) -> None:
    sim = simulator.simulator
    assert sim is not None
    data = wait_final(api, submit(api, v2v_body(clip_url)))
    httpx.get(video_url(data))
    counts = sim.request_counts()
    assert counts["upload"] == 1 and counts["submit"] == 1 and counts["result"] == 1 and counts["task"] >= 2
    sim.reset_counts()
    api.get("/api/v1/team/balance")
    api.get("/api/v1/models")
    assert sim.request_counts() == {"balance": 1, "models": 1}


def test_upload_over_16_mib_is_refused_with_413(api: httpx.Client) -> None:
    payload = b"\0" * (16 * 1024 * 1024 + 1)
    response = api.post("/api/v1/media/files", files={"file": ("big.mp4", payload, "video/mp4")})
    assert response.status_code == 413
    assert "16 MiB" in response.json()["message"]


def test_reference_from_any_reachable_url_and_data_uri(simulator: SimulatorThread, api: httpx.Client,
                                                       clip_url: str, tmp_path: Path) -> None:
    import base64

    first = wait_final(api, submit(api, v2v_body(clip_url, seed=1)))
    # A URL that is not one of its uploads (here: another task's signed result) is fetched over HTTP.
    second = wait_final(api, submit(api, v2v_body(video_url(first), seed=1)))
    assert second["status"] == "success", second
    sim = simulator.simulator
    assert sim is not None and sim.render_count == 2  # different source bytes: a new render
    png = make_image(tmp_path / "small.png", width=320, height=320).read_bytes()
    body = {"prompt": "animate", "reference_images": ["data:image/png;base64," + base64.b64encode(png).decode()],
            "resolution": "480p", "duration": 4, "generate_audio": False}
    third = wait_final(api, submit(api, body, "/api/v1/bytedance/seedance-2.0-fast-i2v/async"))
    assert third["status"] == "success", third
    assert (third["result"]["resources"][0]["width"], third["result"]["resources"][0]["height"]) == (480, 480)


def test_task_that_outlives_execution_expires_after_fails(simulator_factory, clip: Path) -> None:  # type: ignore[no-untyped-def]
    # 3600x: the shortest allowed expiry (1 h) passes in one real second; processing takes 2-3 h.
    sim = simulator_factory(time_scale=3600.0, pending_seconds=0.0, processing_seconds=(7200.0, 10800.0))
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.api_key}"}) as client:
        task_id = submit(client, v2v_body(upload(client, clip)["url"], execution_expires_after=3600))
        data = wait_final(client, task_id)
    assert data["status"] == "failed"
    assert "execution_expires_after" in data["error"]["message"]
    assert 3_500_000 <= data["duration"] <= 3_700_000


def test_undecodable_reference_fails_the_task_with_a_reason(api: httpx.Client) -> None:
    response = api.post("/api/v1/media/files", files={"file": ("junk.mp4", b"not a video" * 100, "video/mp4")})
    data = wait_final(api, submit(api, v2v_body(response.json()["data"]["url"])))
    assert data["status"] == "failed"
    assert data["error"]["message"].startswith("InvalidParameter: could not use video_urls")


def test_interrupted_upload_leaves_nothing_behind(simulator: SimulatorThread) -> None:
    import socket
    from urllib.parse import urlsplit

    sim = simulator.simulator
    assert sim is not None
    parts = urlsplit(simulator.base_url)
    boundary = "XBOUNDARYX"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n"
            "Content-Type: video/mp4\r\n\r\n").encode()
    request = (f"POST /api/v1/media/files HTTP/1.1\r\nHost: {parts.netloc}\r\n"
               f"Authorization: Bearer {simulator.api_key}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 1000000\r\n\r\n").encode()
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(request + head + b"x" * 300_000)
        deadline = time.monotonic() + 5
        while not any((sim.data_dir / "uploads").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert any((sim.data_dir / "uploads").iterdir()), "the upload never started"
    deadline = time.monotonic() + 5
    while any((sim.data_dir / "uploads").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any((sim.data_dir / "uploads").iterdir())
    assert sim.files() == {}


def test_requests_per_minute_limit(simulator_factory) -> None:  # type: ignore[no-untyped-def]
    # A frozen clock 20 s into a minute: the window cannot roll over during the test.
    frozen = 1_800_000_020.0
    sim = simulator_factory(time_scale=1.0, requests_per_minute=5, clock=lambda: frozen)
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {sim.api_key}"}) as client:
        answers = [client.get("/api/v1/team/balance") for _ in range(7)]
        assert httpx.get(sim.base_url + "/api/v1/team/balance").status_code == 401  # auth comes first
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    first_ok, refused = answers[0], answers[5]
    assert first_ok.headers["X-RateLimit-Limit"] == "5" and first_ok.headers["X-RateLimit-Remaining"] == "4"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.json() == {"code": 429, "message": "Rate limit exceeded: too many requests per minute"}
    assert "Retry-After" not in refused.headers
    assert int(refused.headers["X-RateLimit-Reset"]) == int(frozen) + 40 + 1


def test_a_simulator_bug_still_answers_a_json_500(simulator: SimulatorThread, api: httpx.Client,
                                                  monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    sim = simulator.simulator
    assert sim is not None

    def broken() -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(sim, "files", broken)
    with caplog.at_level("ERROR", logger="seedance.simulator"):
        response = api.get("/api/v1/media/files")
    assert response.status_code == 500 and response.json()["code"] == 500
    assert any("boom" in (r.exc_text or "") or r.exc_info for r in caplog.records)
