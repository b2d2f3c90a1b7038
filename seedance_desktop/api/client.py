"""The async Modellix client: submit, poll, upload, validate key, balance, model list.

Design rules (SPEC sections 5, 6 and 10):

* The ``httpx.AsyncClient`` is injected (timeouts, proxies and transports are the caller's);
  this class only adds the base URL, auth and the protocol's error semantics.
* **Every call is exactly one HTTP attempt.** Retrying (and the shared request budget) is the
  engine's policy, the one retry layer: a failure is raised as a typed error whose
  ``retryable`` says whether trying again makes sense, with the server's clamped hint in
  ``retry_after`` (429, and 5xx/408 with ``Retry-After``).
* **Submitting is billable and not idempotent.** :meth:`ModellixClient.submit` classifies every
  failure: :class:`ConnectError` when the request provably never left, a request that cannot
  even be encoded as :class:`ValidationError` (nothing sent), the server's explicit refusal
  without a task id as its typed error, and :class:`SubmitOutcomeUnknownError` whenever the POST
  may have been accepted. Any answer that carries a task id is a task to track: it is returned
  as a :class:`SubmitResult` (``refused`` says what the answer claimed), never an error that
  invites a second POST.
* Answers are bounded (:mod:`.answers`): size-capped while streaming, depth-checked before
  parsing, an overall deadline per call.
* The key goes only to the configured base URL's host, and only redacted URLs are logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from .answers import AnswerTooLarge, MAX_ANSWER_BYTES, aread_capped, short_text
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    FieldError,
    NetworkError,
    ProtocolError,
    ValidationError,
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
from .urls import check_base_url, check_result_url, same_origin, strip_query
from .spec import ModelSpec
from .tasks import SubmitResult, TaskInfo, normalise_status, parse_task
from .upload import MAX_UPLOAD_BYTES, UploadedFile, check_upload_size, upload_sync

log = logging.getLogger(__name__)

TASK_PATH = "/api/v1/tasks/{task_id}"
UPLOAD_PATH = "/api/v1/media/files"
VALIDATE_PATH = "/api/v1/apikey/validate"
BALANCE_PATH = "/api/v1/team/balance"
MODELS_PATH = "/api/v1/models"
#: Longest a JSON call may take from sending to the last byte of the answer (a body that
#: trickles forever ends here even when every read is within the transport's read timeout).
ANSWER_DEADLINE = 120.0
#: 4xx answers to a submit that are explicit refusals (nothing was created), SPEC section 5.
_REFUSALS = frozenset({400, 401, 402, 403, 404, 405, 413, 422, 429})
#: Answers to a submit path that mean "no such route here": try the model's other path.
_WRONG_PATH = frozenset({404, 405})

try:
    from importlib.metadata import version as _dist_version

    _VERSION = _dist_version("seedance-desktop")
except Exception:  # not installed (running from a source tree)
    _VERSION = "0"
USER_AGENT = f"SeedanceDesktop/{_VERSION} httpx/{httpx.__version__}"

def check_api_key(api_key: str) -> str:
    """The key, stripped, or :class:`ConfigurationError` when it cannot be sent at all: empty,
    non-ASCII or containing control characters (CR/LF would split the header). Raised before
    anything is sent, so a bad key never looks like a network failure or an unknown outcome."""
    key = (api_key or "").strip()
    if not key:
        raise ConfigurationError("missing API key", user_message="No API key is set. Add one in Settings (or use demo mode).")
    if not key.isascii() or any(ord(c) < 0x21 or ord(c) == 0x7F for c in key):
        raise ConfigurationError(
            "API key with non-ASCII, space or control characters",
            user_message="The API key contains characters a key cannot have (spaces, line breaks or "
                         "non-ASCII letters). Paste it again from the Modellix dashboard.",
        )
    return key


def _unsendable_field(body: dict[str, Any]) -> str | None:
    """The first top-level field whose value cannot be encoded as UTF-8 (a lone surrogate)."""
    for name, value in body.items():
        try:
            json.dumps({name: value}, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, TypeError, ValueError):
            return str(name)
    return None


def encode_body(body: dict[str, Any]) -> bytes:
    """The JSON bytes of a request body, or :class:`ValidationError` naming the field that
    cannot be sent (a lone surrogate in a prompt or URL). Nothing is sent when this raises."""
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        name = _unsendable_field(body) or "request"
        message = f"{name} contains characters that cannot be sent (e.g. half of an emoji)"
        raise ValidationError(
            f"request body cannot be encoded: {name}", field_errors=[FieldError(name, message)], status=None,
            user_message=f"The {name} field contains characters that cannot be sent (for example half of "
                         "an emoji pasted from elsewhere). Retype it and submit again.",
        ) from None


class _Answer:
    __slots__ = ("status", "headers", "content")

    def __init__(self, status: int, headers: httpx.Headers, content: bytes) -> None:
        self.status = status
        self.headers = headers
        self.content = content


class ModellixClient:
    """Typed, tolerant access to the Modellix API. One instance per (base URL, key).

    Every call is exactly one HTTP attempt: retrying is the engine's policy (one retry layer),
    guided by each error's ``retryable`` and ``retry_after``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        *,
        clock: Callable[[], float] = time.time,
        upload_client_factory: Callable[[], httpx.Client] | None = None,
        answer_deadline: float = ANSWER_DEADLINE,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self._http = http
        self.base_url = check_base_url(base_url)
        self._key = check_api_key(api_key)
        self._clock = clock
        self._upload_client_factory = upload_client_factory
        self._answer_deadline = answer_deadline
        self._max_answer_bytes = max_answer_bytes
        #: Submit path that answered for each model slug (SPEC section 1: first contact).
        self._submit_path: dict[str, str] = {}

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
            if same_origin(url, self.base_url):
                return url
            log.warning("ignoring poll URL on a foreign host: %s", redact_url(url))
        return self._url(TASK_PATH.format(task_id=quote(task_id, safe="")))

    async def _send(self, method: str, url: str, *, content: bytes | None = None) -> _Answer:
        """One request, its answer read within the size cap and the overall deadline.

        Raises :class:`ConnectError` (never connected), :class:`NetworkError` (failed or timed
        out after sending), :class:`ProtocolError` (the answer passed the size cap)."""
        headers = self._headers()
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with asyncio.timeout(self._answer_deadline):
                async with self._http.stream(method, url, headers=headers, content=content) as response:
                    body = await aread_capped(response.aiter_bytes(), self._max_answer_bytes)
                    return _Answer(response.status_code, response.headers, body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ConnectError(f"could not connect: {type(exc).__name__}") from exc
        except AnswerTooLarge as exc:
            raise ProtocolError(f"{method} {redact_url(url)}: the answer is larger than "
                                f"{self._max_answer_bytes} bytes") from exc
        except TimeoutError as exc:
            raise NetworkError(f"{method} {redact_url(url)}: no complete answer within "
                               f"{self._answer_deadline:.0f} s") from exc
        except httpx.TransportError as exc:
            raise NetworkError(f"{method} {redact_url(url)} failed: {type(exc).__name__}") from exc

    def _error(self, answer: _Answer, *, upload: bool = False, status: int | None = None) -> ApiError:
        return error_from_response(status or answer.status, answer.headers, answer.content,
                                   now=self._clock(), upload=upload)

    async def _get(self, url: str, method: str = "GET") -> dict[str, Any]:
        """One idempotent request (GET, DELETE); the envelope, or the typed error (retrying is
        the caller's policy: see ``retryable`` and ``retry_after``)."""
        answer = await self._send(method, url)
        log.debug("%s %s -> %s", method, redact_url(url), answer.status)
        if answer.status >= 400:
            raise self._error(answer)
        envelope = parse_envelope(answer.content)
        if envelope is None:
            raise ProtocolError(f"{method} {redact_url(url)}: HTTP {answer.status} body is not a usable JSON object "
                                f"({len(answer.content)} bytes; malformed, too large or nested too deeply)")
        code = envelope_code(envelope)
        if code is not None:
            raise self._error(answer, status=code if 400 <= code <= 599 else 500)
        return envelope

    # -- endpoints --------------------------------------------------------------------------

    def submit_paths(self, spec: ModelSpec) -> tuple[str, ...]:
        """The model's submit paths, the one that worked last time first."""
        paths = spec.submit_paths
        known = self._submit_path.get(spec.slug)
        return (known, *[p for p in paths if p != known]) if known in paths else paths

    async def submit(self, spec: ModelSpec, body: dict[str, Any]) -> SubmitResult:
        """POST one job. Never retried here: see the module docstring for the error contract.

        First contact (SPEC section 1): the model's primary (no-suffix) path first; a 404/405
        that carries no task id means nothing was created, so the other path is tried once, and
        the path that answers is remembered for the model."""
        content = encode_body(body)
        paths = self.submit_paths(spec)
        for index, path in enumerate(paths):
            last = index == len(paths) - 1
            result = await self._submit_to(self._url(path), content, wrong_path_ok=not last)
            if result is not None:
                self._submit_path[spec.slug] = path
                return result
            log.info("submit path %s answered 404/405; trying %s", path, paths[index + 1])
        raise AssertionError("unreachable: the last path never returns None")  # pragma: no cover

    async def _submit_to(self, url: str, content: bytes, *, wrong_path_ok: bool) -> SubmitResult | None:
        """One POST. None: the path does not exist here (404/405 without a task id) and
        ``wrong_path_ok``; otherwise the result or an error per the module docstring."""
        try:
            answer = await self._send("POST", url, content=content)
        except ConnectError as exc:
            # No connection was ever made for this request: nothing reached the server.
            raise ConnectError(f"submit not sent: {exc}") from exc
        except (NetworkError, ProtocolError) as exc:
            raise submit_unknown(f"submit to {redact_url(url)} failed after sending: {exc}",
                                 "The connection failed after the submission was sent") from exc
        status = answer.status
        log.debug("POST %s -> %s", redact_url(url), status)
        envelope = parse_envelope(answer.content)
        data = envelope.get("data") if envelope is not None else None
        tracked = self._submitted(data, envelope, status)
        code = envelope_code(envelope) if envelope is not None else None
        if tracked is not None:
            if status >= 300 or code is not None:
                log.warning("submit answered HTTP %s (code %s) but carries task id %s: tracking it",
                            status, code, tracked.task_id)
            return tracked
        if status in _WRONG_PATH and wrong_path_ok:
            return None
        if status in (429, *_WRONG_PATH) or (status in _REFUSALS and envelope is not None):
            raise self._error(answer)  # an explicit refusal: nothing was created
        if not 200 <= status < 300:
            raise submit_unknown(f"submit answered HTTP {status}", f"Modellix answered the submission with HTTP {status}")
        if envelope is None:
            raise submit_unknown(f"submit answered HTTP {status} with a body that is not usable JSON",
                                 "Modellix's answer to the submission could not be read")
        if code is not None:
            message = envelope.get("message")
            shown = short_text(message) if isinstance(message, str) else ""
            raise submit_unknown(f"submit answered HTTP {status} with code {code}: {shown}",
                                 f"Modellix answered the submission with code {code} ({shown or 'no message'})")
        raise submit_unknown(f"submit answered HTTP {status} without a task id",
                             "Modellix accepted the submission but sent no task id")

    def _submitted(self, data: object, envelope: dict[str, Any] | None, status: int) -> SubmitResult | None:
        """The task an answer names (whatever its status or code), else None."""
        if not isinstance(data, dict):
            return None
        task_id = data.get("task_id")
        if not isinstance(task_id, str) or not task_id.strip() or len(task_id) > 256:
            return None
        get_result = data.get("get_result")
        result_url = get_result.get("url") if isinstance(get_result, dict) else None
        if isinstance(result_url, str) and result_url and same_origin(result_url, self.base_url):
            result_url = strip_query(result_url)  # kept in the job store: never a signed query
        else:
            result_url = None
        code = envelope_code(envelope) if envelope is not None else None
        refused: str | None = None
        if status >= 300 or code is not None:
            message = envelope.get("message") if envelope is not None else None
            refused = short_text(message.strip()) if isinstance(message, str) and message.strip() else f"HTTP {status}"
        return SubmitResult(
            task_id=task_id.strip(),
            status=normalise_status(data.get("status")),
            result_url=result_url,
            raw=envelope or {},
            refused=refused,
        )

    async def get_task(self, task_id: str, url: str | None = None) -> TaskInfo:
        """Read a task (``url``: the submit answer's ``get_result.url``, used when on our host)."""
        envelope = await self._get(self.task_url(task_id, url))
        data = envelope.get("data")
        answered = data.get("task_id") if isinstance(data, dict) else None
        if not isinstance(answered, str) or not answered.strip() or answered.strip() != task_id.strip():
            shown = short_text(answered, 80) if isinstance(answered, str) else repr(type(answered).__name__)
            raise ProtocolError(f"task answer for {task_id!r} names task {shown!r}: not applied",
                                user_message="Modellix answered with another task's data (or none); asking again.")
        return parse_task(envelope, task_id=task_id, allowed_origin=self.base_url)

    async def validate_key(self) -> bool:
        """True when the server accepts the key; False on 401/403 or HTTP 200 ``is_valid: false``."""
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
                if loop.is_closed():  # an upload thread outliving its loop: nobody to tell
                    return
                try:
                    loop.call_soon_threadsafe(callback, sent, total)
                except RuntimeError:
                    pass

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
            raise error
        envelope = parse_envelope(content)
        data = envelope.get("data") if envelope else None
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            raise ProtocolError(f"upload answered HTTP {status} without data.url")
        check_result_url(data["url"], self.base_url, what="uploaded file")
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
    "check_api_key",
    "check_base_url",
    "encode_body",
    "parse_retry_at",
    "retry_delay",
]
