"""The HTTP surface: exactly the endpoints of SPEC section 1, plus the file host.

Every handler goes through :func:`_endpoint`, which counts the request, applies any injected
fault for that endpoint and checks the Bearer key (file downloads are public, as a CDN's are).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import mimetypes
import re
import secrets
import shutil
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, web

from seedance_desktop.simulator.faults import Fault, FaultKind
from seedance_desktop.simulator.files import (
    RESULT_NAMES, check_signature, drop_connection, hostile_body, result_url, serve_file, trickle_bytes,
)
from seedance_desktop.simulator.state import FileRecord, TaskRecord
from seedance_desktop.simulator.validation import SIM_MODELS, BodyError, validate_body

if TYPE_CHECKING:
    from seedance_desktop.simulator.server import Simulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger("seedance.simulator")

_STATUS_TEXT = {
    400: "Invalid parameters", 401: "Unauthorized", 402: "Insufficient balance", 403: "Forbidden",
    404: "Not found", 408: "Request timeout", 410: "Gone", 413: "Payload too large",
    429: "Rate limit exceeded", 500: "Internal server error", 502: "Bad gateway",
    503: "Service temporarily unavailable", 504: "Gateway timeout",
}
_HTML = ("<!DOCTYPE html><html><head><title>{status} {text}</title></head><body><center>"
         "<h1>{status} {text}</h1></center><hr><center>nginx</center></body></html>\n")
_BROKEN_JSON = '{"code":0,"message":"success","data":{"status":"pend'
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
#: The fault taken for this request by the wrapper, for handlers that apply it themselves.
FAULT_KEY = web.RequestKey("fault", Fault)


def envelope(data: dict[str, Any]) -> web.Response:
    return web.json_response({"code": 0, "message": "success", "data": data})


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"code": status, "message": message}, status=status, headers=headers)


def _deep_json(depth: int) -> web.Response:
    """A success envelope whose data nests ``depth`` levels (built without recursion)."""
    depth = max(1, min(depth, 1_000_000))
    body = ('{"code":0,"message":"success","data":{"status":"success","nested":'
            + "[" * depth + "]" * depth + "}}")
    return web.Response(status=200, text=body, content_type="application/json")


def _refusal_with_task(fault: Fault, answer: web.Response) -> web.Response:
    """The submit's success answer turned into a refusal that still names the created task:
    HTTP ``status`` (or HTTP ``http_status`` with ``code: status``) and the same ``data``."""
    try:
        data = json.loads(answer.body if isinstance(answer.body, bytes) else b"{}").get("data")
    except (ValueError, AttributeError):
        data = None
    code = fault.status
    text = fault.message or _STATUS_TEXT.get(code, "Error")
    if code == 429 and not fault.message:
        text = "Rate limit exceeded: too many requests, slow down"
    return web.json_response({"code": code, "message": text, "data": data},
                             status=fault.http_status or code, headers=fault.response_headers())


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


class Routes:
    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim

    # --- the wrapper every endpoint goes through --------------------------------------------

    def endpoint(self, name: str, handler: Handler, *, public: bool = False, alias: str | None = None) -> Handler:
        """``alias``: a narrower endpoint name (one of the two submit paths) whose faults and
        counts apply to this route besides ``name``'s."""
        sim = self.sim

        async def wrapped(request: web.Request) -> web.StreamResponse:
            sim.counters.hit(name)
            if alias is not None:
                sim.counters.hit(alias)
            fault = (sim.faults.take(alias) if alias is not None else None) or sim.faults.take(name)
            if fault is not None:
                request[FAULT_KEY] = fault
                early = await self._fault_before(request, name, fault)
                if early is not None:
                    return early
            if not public:
                auth = request.headers.get("Authorization", "")
                scheme, _, key = auth.partition(" ")
                if scheme.lower() != "bearer" or not secrets.compare_digest(key.strip(), sim.api_key):
                    return error(401, "Unauthorized: missing or invalid API key")
            rate_headers: dict[str, str] = {}
            if sim.rate is not None and not public:
                allowed, rate_headers = sim.rate.hit()
                if not allowed:
                    return error(429, "Rate limit exceeded: too many requests per minute", rate_headers)
            response = await handler(request)
            if rate_headers and not response.prepared:
                response.headers.update(rate_headers)
            if fault is not None:
                return await self._fault_after(request, name, fault, response)
            return response

        return wrapped

    @staticmethod
    def _acts_first(name: str, fault: Fault) -> bool:
        """Whether the request is carried out before the fault hits its answer.

        Only submit and upload have effects worth losing the answer to (a paid task, a file
        that uses up the quota); ``create_task=False`` makes them fail *before* acting instead.
        """
        return name in ("submit", "upload") and fault.create_task

    async def _fault_before(self, request: web.Request, name: str, fault: Fault) -> web.StreamResponse | None:
        if fault.kind is FaultKind.STATUS:
            text = fault.message or _STATUS_TEXT.get(fault.status, "Error")
            if fault.status == 429 and not fault.message:
                text = "Rate limit exceeded: too many requests, slow down"
            return error(fault.status, text, fault.response_headers())
        if fault.kind is FaultKind.HTML_STATUS:
            text = _STATUS_TEXT.get(fault.status, "Error")
            return web.Response(status=fault.status, text=_HTML.format(status=fault.status, text=text),
                                content_type="text/html", headers=fault.response_headers())
        if fault.kind is FaultKind.REDIRECT:
            return self._redirect(request, fault)
        if fault.kind is FaultKind.TRICKLE and name in ("result", "uploaded"):
            return None  # the file handler trickles the real bytes (request[FAULT_KEY])
        if self._acts_first(name, fault) or fault.kind is FaultKind.REFUSE_WITH_TASK:
            return None
        if fault.kind is FaultKind.DEEP_JSON:
            return _deep_json(fault.depth)
        if fault.kind is FaultKind.HUGE_JSON:
            return await self._huge_json(request)
        if fault.kind is FaultKind.DROP:
            await request.read()
            drop_connection(request)
            return web.Response(status=204)  # never reaches the peer
        if fault.kind is FaultKind.SLOW:
            await self._sleep(fault.delay)
            if name in ("submit", "upload"):
                # A gateway that gave up upstream: the request was never carried out.
                return error(504, "Gateway timeout: the request was not processed")
        if fault.kind is FaultKind.MALFORMED_JSON:
            return web.Response(status=200, text=_BROKEN_JSON, content_type="application/json")
        return None

    async def _fault_after(self, request: web.Request, name: str, fault: Fault,
                           response: web.StreamResponse) -> web.StreamResponse:
        if fault.kind is FaultKind.SLOW and self._acts_first(name, fault):
            await self._sleep(fault.delay)  # acted already: only the answer is late
        elif fault.kind is FaultKind.DROP and self._acts_first(name, fault):
            drop_connection(request)
        elif fault.kind is FaultKind.MALFORMED_JSON and not response.prepared:
            return web.Response(status=200, text=_BROKEN_JSON, content_type="application/json")
        elif fault.kind is FaultKind.REFUSE_WITH_TASK and isinstance(response, web.Response):
            return _refusal_with_task(fault, response)
        elif fault.kind is FaultKind.DEEP_JSON and self._acts_first(name, fault):
            return _deep_json(fault.depth)
        elif fault.kind is FaultKind.HUGE_JSON and self._acts_first(name, fault):
            return await self._huge_json(request)
        elif fault.kind is FaultKind.TRICKLE and isinstance(response, web.Response) and name not in ("result", "uploaded"):
            return await self._trickle(request, response, fault.rate)
        return response

    def _redirect(self, request: web.Request, fault: Fault) -> web.Response:
        """A 302 to the fault's location (``{path}``: this path and query; ``{port}``: our port)."""
        port = str(request.url.port or "")
        location = (fault.option or "file:///etc/passwd").replace("{path}", request.path_qs).replace("{port}", port)
        return web.Response(status=302, headers={"Location": location})

    async def _huge_json(self, request: web.Request) -> web.StreamResponse:
        """An endless JSON answer (chunked): a string that never closes, until the client hangs up
        (or 1 GiB, or the server stops)."""
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        await response.prepare(request)
        chunk = b"x" * 65_536
        try:
            await response.write(b'{"code":0,"message":"success","data":{"padding":"')
            for _ in range(16_384):
                if self.sim.stopping.is_set():
                    break
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        drop_connection(request)
        return response

    async def _trickle(self, request: web.Request, answer: web.Response, rate: float) -> web.StreamResponse:
        """Send an already built answer at ``rate`` bytes a second (Content-Length honest)."""
        body = answer.body if isinstance(answer.body, bytes) else b""
        response = web.StreamResponse(status=answer.status, headers={"Content-Type": answer.content_type})
        response.content_length = len(body)
        await response.prepare(request)
        await trickle_bytes(response, body, rate, self.sim.stopping)
        return response

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up when the server stops so shutdown never waits for a SLOW fault."""
        try:
            await asyncio.wait_for(self.sim.stopping.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    # --- tasks ------------------------------------------------------------------------------

    async def submit(self, request: web.Request) -> web.StreamResponse:
        sim = self.sim
        slug = request.match_info["slug"]
        model = SIM_MODELS.get(slug)
        if model is None:
            return error(404, f"Not found: model 'bytedance/{slug}' not found")
        raw = await request.read()
        try:
            payload = json.loads(raw) if raw else None
        except (UnicodeDecodeError, ValueError):
            return error(400, "Invalid parameters: request body is not valid JSON")
        try:
            body = validate_body(model, payload)
        except BodyError as exc:
            return error(400, str(exc))
        limit = sim.config.concurrent_limit
        if limit is not None and sim.unfinished_count() >= limit:
            return error(429, f"Concurrent limit exceeded: at most {limit} tasks may run at once")
        cost = sim.price(body)
        if sim.balance < cost:
            return error(402, f"Insufficient balance: this task costs ${cost:.2f}, the balance is ${sim.balance:.2f}")
        record = sim.create_task(model, body)
        return envelope({
            "status": "pending", "task_id": record.task_id, "model_id": model.slug,
            "get_result": {"method": "GET", "url": f"{_origin(request)}/api/v1/tasks/{record.task_id}"},
        })

    async def get_task(self, request: web.Request) -> web.StreamResponse:
        sim = self.sim
        task_id = request.match_info["task_id"]
        record = sim.task(task_id)
        if record is None:
            return error(404, f"Not found: task '{task_id}' not found")
        with sim.lock:
            data = self._task_data(request, record)
        return envelope(self._hostile_task(request, record, data))

    def _hostile_task(self, request: web.Request, record: TaskRecord, data: dict[str, Any]) -> dict[str, Any]:
        """Apply the task-answer faults: a task id that is not the one asked for, and (on a
        success) untyped, bare-string or extra dead resources."""
        faults = self.sim.faults
        mismatch = faults.take("task", (FaultKind.TASK_ID,))
        if mismatch is not None:
            mode = mismatch.option or "other"
            if mode == "missing":
                data.pop("task_id", None)
            else:
                data["task_id"] = "" if mode == "blank" else "task-" + secrets.token_hex(8)
        result = data.get("result")
        if not isinstance(result, dict) or not isinstance(result.get("resources"), list):
            return data
        resources: list[Any] = result["resources"]
        rewrite = faults.take("task", (FaultKind.RESULT_URL,))
        if rewrite is not None:
            real = urlsplit(resources[0]["url"])
            path = real.path + (f"?{real.query}" if real.query else "")
            resources[0]["url"] = (rewrite.option or "javascript:alert(1)").replace("{path}", path)
        if faults.take("task", (FaultKind.DEAD_LAST_FRAME,)) is not None:
            dead = resources[0]["url"].replace("/output.mp4", "/missing-last-frame.png")
            resources.append({"url": dead, "type": "image", "format": "png"})
        untyped = faults.take("task", (FaultKind.UNTYPED,))
        if untyped is not None:
            for item in resources:
                item.pop("type", None)
                item.pop("role", None)
                if untyped.option == "bare":
                    item.pop("format", None)
        if faults.take("task", (FaultKind.STRING_RESOURCES,)) is not None:
            result["resources"] = [item["url"] for item in resources]
        return data

    def _task_data(self, request: web.Request, record: TaskRecord) -> dict[str, Any]:
        sim = self.sim
        data: dict[str, Any] = {
            "status": record.status, "task_id": record.task_id, "model_id": record.model_slug,
            "duration": record.processing_ms(sim.clock),
        }
        if record.status == "failed":
            data["error"] = {"code": "TaskFailed", "message": record.fail_reason or "the task failed"}
        if record.status != "success" or record.render is None:
            return data
        expires = int(sim.clock.now() + sim.config.result_ttl_seconds)
        origin = _origin(request)

        def url(name: str) -> str:
            return result_url(origin, sim.secret, record.task_id, name, expires, record.url_generation)

        resources: list[dict[str, Any]] = [{
            "url": url("output.mp4"), "type": "video", "width": record.render.width,
            "height": record.render.height, "format": "mp4", "role": "primary",
        }]
        if record.render.last_frame_path is not None:
            resources.append({"url": url("last.png"), "type": "image", "format": "png"})
        finished = record.finished_at or sim.clock.real()
        data["result"] = {
            "resources": resources,
            "metadata": {"request_id": record.request_id, "seed": record.effective_seed},
            "extensions": {"submit_time": _iso(record.submitted_at), "end_time": _iso(finished)},
        }
        data["billing"] = {"amount": record.amount}
        return data

    # --- result and uploaded file downloads (public, like a CDN) ----------------------------

    async def result_file(self, request: web.Request) -> web.StreamResponse:
        sim = self.sim
        task_id, name = request.match_info["task_id"], request.match_info["name"]
        record = sim.task(task_id)
        if (record is None or name not in RESULT_NAMES or record.render is None
                or (name == "last.png" and record.render.last_frame_path is None)):
            return error(404, "Not found: no such result file")
        try:
            expires = int(request.query.get("expires", ""))
        except ValueError:
            return error(403, "Forbidden: the result URL is not signed")
        expire_fault = sim.faults.take("result", (FaultKind.EXPIRE_RESULT,))
        with sim.lock:
            verdict = check_signature(sim.secret, task_id, name, expires,
                                      request.query.get("signature", ""), record.url_generation)
            if expire_fault is not None and verdict == "ok":
                record.url_generation += 1  # every URL handed out so far is now retired
        if expire_fault is not None:
            status = expire_fault.status if expire_fault.status in (403, 410) else 410
            category = "Forbidden" if status == 403 else "Gone"
            return error(status, f"{category}: the result URL has expired; fetch the task again for a new one")
        if verdict == "retired":
            return error(410, "Gone: the result URL has expired; fetch the task again for a new one")
        if verdict != "ok":
            return error(403, "Forbidden: invalid signature")
        if sim.clock.now() > expires:
            return error(410, "Gone: the result URL has expired; fetch the task again for a new one")
        if name == "output.mp4":
            path, sha = record.render.video_path, record.render.sha256
        else:
            assert record.render.last_frame_path is not None  # checked above
            path, sha = record.render.last_frame_path, None
        truncate = sim.faults.take("result", (FaultKind.TRUNCATE,))
        body_fault = sim.faults.take("result", (FaultKind.BODY,)) if name == "output.mp4" else None
        if body_fault is not None:
            return await hostile_body(request, path, body_fault.option)
        trickle = request.get(FAULT_KEY)
        rate = trickle.rate if isinstance(trickle, Fault) and trickle.kind is FaultKind.TRICKLE else None
        return await serve_file(request, path, RESULT_NAMES[name], sha, truncate, rate=rate, stopping=sim.stopping)

    async def uploaded_file(self, request: web.Request) -> web.StreamResponse:
        record = self.sim.files().get(request.match_info["file_id"])
        if record is None or record.filename != request.match_info["name"]:
            return error(404, "Not found: no such file")
        return await serve_file(request, record.path, record.content_type, record.sha256)

    # --- File API ---------------------------------------------------------------------------

    async def upload(self, request: web.Request) -> web.StreamResponse:
        sim = self.sim
        if not request.content_type.startswith("multipart/"):
            return error(400, "Invalid parameters: send multipart/form-data with a 'file' field")
        if len(sim.files()) >= sim.config.upload_quota:
            return error(429, f"File quota exceeded: at most {sim.config.upload_quota} files; delete old files first")
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name != "file":
                continue  # other fields, or a nested multipart: not a file
            filename = _SAFE_NAME.sub("_", part.filename or "upload.bin").strip("._") or "upload.bin"
            file_id = "file-" + secrets.token_hex(8)
            folder = sim.data_dir / "uploads" / file_id
            folder.mkdir(parents=True)
            path = folder / filename
            try:
                size, sha = await self._receive(part, path)
            except ConnectionError:
                # The client went away mid-upload (e.g. the person cancelled): keep nothing.
                shutil.rmtree(folder, ignore_errors=True)
                return error(400, "Invalid parameters: the upload was interrupted")
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            if size > sim.config.upload_max_bytes or size == 0:
                shutil.rmtree(folder, ignore_errors=True)
                if size:
                    return error(413, f"File too large: at most {sim.config.upload_max_bytes} bytes (16 MiB) per file")
                return error(400, "Invalid parameters: parameter 'file' is empty")
            content_type = part.headers.get("Content-Type") or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            if content_type == "application/octet-stream":
                content_type = mimetypes.guess_type(filename)[0] or content_type
            kind = content_type.split("/")[0] if content_type.split("/")[0] in ("video", "image", "audio") else "other"
            record = FileRecord(file_id, filename, content_type, size, path, sha, sim.clock.real(), kind)
            sim.add_file(record)
            return envelope(self._file_data(request, record))
        return error(400, "Invalid parameters: parameter 'file' is required")

    async def _receive(self, part: BodyPartReader, path: Path) -> tuple[int, str]:
        """Stream one part to ``path``; past the size limit keep reading but discard, so the
        client gets its 413 instead of a connection reset in the middle of sending."""
        limit = self.sim.config.upload_max_bytes
        digest, size = hashlib.sha256(), 0
        with path.open("wb") as handle:
            while chunk := await part.read_chunk(256 * 1024):
                size += len(chunk)
                if size <= limit:
                    digest.update(chunk)
                    handle.write(chunk)
        return size, digest.hexdigest()

    def _file_data(self, request: web.Request, record: FileRecord) -> dict[str, Any]:
        return {
            "file_id": record.file_id, "type": record.kind, "url": _origin(request) + record.url_path(),
            "filename": record.filename, "size": record.size, "created_at": _iso(record.created_at),
        }

    async def list_files(self, request: web.Request) -> web.StreamResponse:
        files = sorted(self.sim.files().values(), key=lambda r: r.created_at)
        return envelope({"files": [self._file_data(request, r) for r in files], "total": len(files)})

    async def delete_file(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        if self.sim.remove_file(file_id) is None:
            return error(404, f"Not found: file '{file_id}' not found")
        return envelope({"file_id": file_id, "deleted": True})

    # --- account ------------------------------------------------------------------------------

    async def validate(self, request: web.Request) -> web.StreamResponse:
        """Public route with its own check (SPEC 1): no key at all is a 401; a wrong key is the
        documented HTTP 200 ``is_valid: false`` (a 401 stays available as a fault)."""
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return error(401, "Unauthorized: missing or invalid API key")
        return envelope({"is_valid": secrets.compare_digest(key.strip(), self.sim.api_key)})

    async def balance(self, request: web.Request) -> web.StreamResponse:
        return envelope({"balance": self.sim.balance, "currency": "USD"})

    async def models(self, request: web.Request) -> web.StreamResponse:
        # The documented shape (SPEC 1): a top-level object, no code/data envelope.
        return web.json_response({"models": [
            {"slug": m.slug, "type": m.model_type, "description": m.description,
             "docs_url": f"https://www.modellix.ai/models/{m.slug}"}
            for m in SIM_MODELS.values()
        ]})


@web.middleware
async def _envelope_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown paths and methods answer with the service's JSON envelope, not aiohttp's text."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error(exc.status, f"{_STATUS_TEXT.get(exc.status, exc.reason)}: {request.method} {request.path}")
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception:
        # A simulator bug: still answer like the service would (a JSON 500), and say where.
        log.exception("simulator error on %s %s", request.method, request.path)
        return error(500, "Internal server error: the simulator failed (see its log)")


def build_app(sim: "Simulator") -> web.Application:
    routes = Routes(sim)
    ep = routes.endpoint
    # 64 MiB: the documented limit of a whole request body (SPEC 3).
    app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[_envelope_errors])
    app.router.add_post("/api/v1/bytedance/{slug}/async", ep("submit", routes.submit, alias="submit_async"))
    app.router.add_post("/api/v1/bytedance/{slug}", ep("submit", routes.submit, alias="submit_plain"))
    app.router.add_get("/api/v1/tasks/{task_id}", ep("task", routes.get_task))
    app.router.add_post("/api/v1/media/files", ep("upload", routes.upload))
    app.router.add_get("/api/v1/media/files", ep("files_list", routes.list_files))
    app.router.add_delete("/api/v1/media/files/{file_id}", ep("files_delete", routes.delete_file))
    app.router.add_get("/api/v1/apikey/validate", ep("validate", routes.validate, public=True))
    app.router.add_get("/api/v1/team/balance", ep("balance", routes.balance))
    app.router.add_get("/api/v1/models", ep("models", routes.models))
    app.router.add_get("/files/results/{task_id}/{name}", ep("result", routes.result_file, public=True))
    app.router.add_get("/files/uploads/{file_id}/{name}", ep("uploaded", routes.uploaded_file, public=True))
    return app
