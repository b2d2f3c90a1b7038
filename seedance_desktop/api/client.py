"""The async Modellix client: submit, poll, upload, validate key, balance, model list.

Design rules (SPEC sections 5 and 6):

* The ``httpx.AsyncClient`` is injected (timeouts, proxies and transports are the caller's);
  this class only adds the base URL, auth and the protocol's error semantics.
* **Submitting is billable and not idempotent**, so :meth:`ModellixClient.submit` never retries.
  It classifies every failure: :class:`ConnectError` when the request provably never left
  (safe to re-POST), the server's refusal (429/4xx) as its typed error, and
  :class:`SubmitOutcomeUnknownError` whenever the POST may have been accepted.
* GETs are idempotent and retried on 408/429/5xx/network errors with exponential backoff and
  jitter, honouring ``Retry-After`` / ``X-RateLimit-Reset`` (policy in :mod:`.http_errors`).
* The key goes only to the configured base URL's host, and only redacted URLs are logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ModellixError,
    NetworkError,
    ProtocolError,
    RateLimitedError,
)
from .http_errors import (
    envelope_code,
    error_from_response,
    parse_envelope,
    parse_retry_at,
    retry_delay,
    submit_unknown,
)
from .defaults import DEFAULT_BASE_URL
from .redact import redact_url
from .urls import check_base_url
from .spec import ModelSpec
from .tasks import SubmitResult, TaskInfo, normalise_status, parse_task
from .upload import MAX_UPLOAD_BYTES, UploadedFile, check_upload_size, upload_sync

log = logging.getLogger(__name__)

TASK_PATH = "/api/v1/tasks/{task_id}"
UPLOAD_PATH = "/api/v1/media/files"
VALIDATE_PATH = "/api/v1/apikey/validate"
BALANCE_PATH = "/api/v1/team/balance"
MODELS_PATH = "/api/v1/models"
#: When a 429 carries no retry time, the shared request budget is told to wait this long.
DEFAULT_RATE_LIMIT_WAIT = 2.0

try:
    from importlib.metadata import version as _dist_version

    _VERSION = _dist_version("seedance-desktop")
except Exception:  # not installed (running from a source tree)
    _VERSION = "0"
USER_AGENT = f"SeedanceDesktop/{_VERSION} httpx/{httpx.__version__}"

Sleep = Callable[[float], Awaitable[Any]]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def _task_id_in(body: bytes) -> str | None:
    """``data.task_id`` of an answer body, when it is a non-blank string."""
    envelope = parse_envelope(body)
    data = envelope.get("data") if envelope else None
    task_id = data.get("task_id") if isinstance(data, dict) else None
    return task_id.strip() if isinstance(task_id, str) and task_id.strip() else None


class ModellixClient:
    """Typed, tolerant access to the Modellix API. One instance per (base URL, key)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        *,
        sleep: Sleep = asyncio.sleep,
        on_rate_limited: Callable[[float], None] | None = None,
        get_attempts: int = 4,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        upload_client_factory: Callable[[], httpx.Client] | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ConfigurationError("missing API key", user_message="No API key is set. Add one in Settings (or use demo mode).")
        self._http = http
        self.base_url = check_base_url(base_url)
        self._key = api_key.strip()
        self._sleep = sleep
        self._on_rate_limited = on_rate_limited
        self._get_attempts = max(1, get_attempts)
        self._clock = clock
        self._rng = rng or random.Random()
        self._upload_client_factory = upload_client_factory

    @property
    def on_rate_limited(self) -> Callable[[float], None] | None:
        """Called with a Unix time whenever any answer is a 429 (the shared request budget)."""
        return self._on_rate_limited

    @on_rate_limited.setter
    def on_rate_limited(self, hook: Callable[[float], None] | None) -> None:
        self._on_rate_limited = hook

    # -- plumbing ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._key}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }

    def _url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def task_url(self, task_id: str, url: str | None = None) -> str:
        """The URL to poll: the server's ``get_result.url`` when it is on our own host (so the
        key never goes elsewhere), else ``/api/v1/tasks/{id}`` under the base URL."""
        if url:
            try:
                if _origin(url) == _origin(self.base_url):
                    return url
            except ValueError:
                pass
            log.warning("ignoring poll URL on a foreign host: %s", redact_url(url))
        return self._url(TASK_PATH.format(task_id=quote(task_id, safe="")))

    def _note_rate_limit(self, error: ApiError) -> None:
        if isinstance(error, RateLimitedError) and self._on_rate_limited is not None:
            when = error.retry_at if error.retry_at is not None else self._clock() + DEFAULT_RATE_LIMIT_WAIT
            try:
                self._on_rate_limited(when)
            except Exception:  # a listener bug must not turn into a protocol error
                log.exception("on_rate_limited hook failed")

    def _raise_for(self, response: httpx.Response, *, upload: bool = False) -> None:
        error = error_from_response(
            response.status_code, response.headers, response.content, now=self._clock(), upload=upload
        )
        self._note_rate_limit(error)
        raise error

    async def _get_once(self, url: str, method: str = "GET") -> dict[str, Any]:
        try:
            response = await self._http.request(method, url, headers=self._headers())
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ConnectError(f"could not connect: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise NetworkError(f"{method} {redact_url(url)} failed: {type(exc).__name__}") from exc
        log.debug("%s %s -> %s", method, redact_url(url), response.status_code)
        if response.status_code >= 400:
            self._raise_for(response)
        envelope = parse_envelope(response.content)
        if envelope is None:
            raise ProtocolError(f"{method} {redact_url(url)}: HTTP {response.status_code} body is not a JSON object")
        code = envelope_code(envelope)
        if code is not None:
            status = code if 400 <= code <= 599 else 500
            error = error_from_response(status, response.headers, response.content, now=self._clock())
            self._note_rate_limit(error)
            raise error
        return envelope

    async def _get(self, url: str, method: str = "GET") -> dict[str, Any]:
        """An idempotent request (GET, DELETE) with retries for transient failures (never for
        400/401/402/404)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._get_once(url, method)
            except ModellixError as error:
                delay = retry_delay(attempt, error, now=self._clock(), rng=self._rng)
                if delay is None or attempt >= self._get_attempts:
                    raise
                log.info("%s %s failed (%s); retry %d in %.2f s", method, redact_url(url), type(error).__name__, attempt, delay)
                await self._sleep(delay)

    # -- endpoints --------------------------------------------------------------------------

    async def submit(self, spec: ModelSpec, body: dict[str, Any]) -> SubmitResult:
        """POST one job. Never retried here: see the module docstring for the error contract."""
        url = self._url(spec.submit_path)
        try:
            response = await self._http.post(url, json=body, headers=self._headers())
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # No connection was ever made for this request: nothing reached the server.
            raise ConnectError(f"submit not sent: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise submit_unknown(f"submit to {redact_url(url)} failed after sending: {type(exc).__name__}",
                           "The connection failed after the submission was sent") from exc
        try:
            return self._submit_answer(response, url)
        except ModellixError as error:
            # A refusal (or an unusable answer) that still names a task: the engine must track
            # that task, never post again (SPEC section 5).
            error.task_id = _task_id_in(response.content)
            raise

    def _submit_answer(self, response: httpx.Response, url: str) -> SubmitResult:
        status = response.status_code
        log.debug("POST %s -> %s", redact_url(url), status)
        if 400 <= status < 500:
            self._raise_for(response)  # an explicit refusal: nothing was created
        if not 200 <= status < 300:
            raise submit_unknown(f"submit answered HTTP {status}", f"Modellix answered the submission with HTTP {status}")
        envelope = parse_envelope(response.content)
        if envelope is None:
            raise submit_unknown(f"submit answered HTTP {status} with a body that is not JSON",
                           "Modellix's answer to the submission could not be read")
        code = envelope_code(envelope)
        if code is not None and 400 <= code < 500:
            error = error_from_response(code, response.headers, response.content, now=self._clock())
            self._note_rate_limit(error)
            raise error
        data = envelope.get("data")
        task_id = data.get("task_id") if isinstance(data, dict) else None
        if not isinstance(task_id, str) or not task_id.strip():
            raise submit_unknown(f"submit answered HTTP {status} without a task id",
                           "Modellix accepted the submission but sent no task id")
        get_result = data.get("get_result") if isinstance(data, dict) else None
        result_url = get_result.get("url") if isinstance(get_result, dict) else None
        return SubmitResult(
            task_id=task_id,
            status=normalise_status(data.get("status") if isinstance(data, dict) else None),
            result_url=result_url if isinstance(result_url, str) and result_url else None,
            raw=envelope,
        )

    async def get_task(self, task_id: str, url: str | None = None) -> TaskInfo:
        """Read a task (``url``: the submit answer's ``get_result.url``, used when on our host)."""
        envelope = await self._get(self.task_url(task_id, url))
        return parse_task(envelope, task_id=task_id)

    async def validate_key(self) -> bool:
        """True when the server accepts the key; False on 401/403 or ``is_valid: false``."""
        try:
            envelope = await self._get(self._url(VALIDATE_PATH))
        except AuthenticationError:
            return False
        data = envelope.get("data")
        if not isinstance(data, dict) or "is_valid" not in data:
            raise ProtocolError("key validation answer has no data.is_valid")
        return data.get("is_valid") is True

    async def balance(self) -> float:
        """The account balance (presumably USD)."""
        envelope = await self._get(self._url(BALANCE_PATH))
        data = envelope.get("data")
        value = data.get("balance") if isinstance(data, dict) else None
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                value = None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProtocolError("balance answer has no numeric data.balance")
        return float(value)

    async def list_models(self) -> list[dict[str, Any]]:
        """The model list (``{models: [...]}``, found in ``data`` or at the top level)."""
        envelope = await self._get(self._url(MODELS_PATH))
        data = envelope.get("data")
        models: object = None
        if isinstance(data, dict):
            models = data.get("models")
        elif isinstance(data, list):
            models = data
        if models is None:
            models = envelope.get("models")
        if not isinstance(models, list):
            raise ProtocolError("model list answer has no models array")
        return [m for m in models if isinstance(m, dict)]

    async def list_files(self) -> list[UploadedFile]:
        """Files held by the File API (to free the upload quota). The path is not confirmed by
        Modellix's docs (SPEC section 1); a 404 here means the endpoint does not exist."""
        envelope = await self._get(self._url(UPLOAD_PATH))
        data = envelope.get("data")
        items = data.get("files") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ProtocolError("file list answer has no files array")
        files: list[UploadedFile] = []
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                size = item.get("size")
                files.append(UploadedFile(
                    file_id=str(item.get("file_id") or ""), url=item["url"],
                    size=size if isinstance(size, int) and not isinstance(size, bool) else 0,
                    filename=str(item.get("filename") or ""),
                ))
        return files

    async def delete_file(self, file_id: str) -> None:
        """Delete one uploaded file (idempotent, so retried like a GET). Path unconfirmed, as above."""
        await self._get(self._url(f"{UPLOAD_PATH}/{quote(file_id, safe='')}"), "DELETE")

    async def upload_file(
        self,
        path: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> UploadedFile:
        """Upload a local file to the File API (≤ 16 MiB) and return its hosted URL.

        The bytes are streamed by a sync ``httpx.Client`` in a worker thread so the GUI loop never
        carries them. ``progress(sent, total)`` is called on the event-loop thread, at most ~10
        times a second. Not retried: a duplicate upload would use up the small upload quota.
        """
        path = Path(path)
        size = check_upload_size(path)
        loop = asyncio.get_running_loop()
        relay: Callable[[int, int], None] | None = None
        if progress is not None:
            callback = progress

            def relay(sent: int, total: int) -> None:
                loop.call_soon_threadsafe(callback, sent, total)

        status, headers, content = await asyncio.to_thread(
            upload_sync,
            self._url(UPLOAD_PATH),
            path,
            headers=self._headers(),
            size=size,
            client_factory=self._upload_client_factory,
            progress=relay,
            cancel=cancel,
        )
        if status >= 400:
            error = error_from_response(status, headers, content, now=self._clock(), upload=True)
            self._note_rate_limit(error)
            raise error
        envelope = parse_envelope(content)
        data = envelope.get("data") if envelope else None
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            raise ProtocolError(f"upload answered HTTP {status} without data.url")
        file_id = data.get("file_id")
        raw_size = data.get("size")
        return UploadedFile(
            file_id=str(file_id) if file_id is not None else "",
            url=data["url"],
            size=int(raw_size) if isinstance(raw_size, int) and not isinstance(raw_size, bool) else size,
            filename=str(data.get("filename") or path.name),
        )


__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_UPLOAD_BYTES",
    "ModellixClient",
    "USER_AGENT",
    "UploadedFile",
    "check_base_url",
    "parse_retry_at",
    "retry_delay",
]
