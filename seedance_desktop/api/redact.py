"""Keep the API key and signed URL query strings out of every log line.

Two layers of defence: the API code only ever logs :func:`redact_url` output, and
:func:`install_log_redaction` masks whatever slips through anyway (a secret in an exception
message, a third-party logger printing a URL). The masking runs in the log-record factory, so it
also covers handlers added later (a file handler, pytest's ``caplog``), not only those present
at install time.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

from seedance_desktop.api.urls import redact_url

MASK = "***"
_QUERY_MASK = "?…"
_MIN_SECRET_LEN = 4

#: Every pattern below is linear: each match starts at a distinct keyword and its repeats
#: cannot overlap, so a 140 KB message costs one pass (the old URL patterns could restart at
#: every ``http://`` and rescan to the end: quadratic, 93 s on one hostile failure message).
_BEARER = re.compile(r"(?i)\b(bearer)(\s++)([A-Za-z0-9._~+/=-]++)")
#: A run of characters that can belong to one URL (URLs end at whitespace, quotes, brackets).
_TOKEN = re.compile(r"[^\s\"'<>]++")
_SCHEMES = ("https://", "http://", "wss://", "ws://")
_SECRET_PARAM = re.compile(
    r"(?i)\b(api[_-]?key|access[_-]?token|token|signature|sig|x-amz-signature|x-amz-credential"
    r"|x-amz-security-token|key-pair-id)=[^&\s\"'<>]++"
)


def _url_start(lower: str) -> int:
    """Index of the first http(s)/ws(s) scheme in a lower-cased token, or -1."""
    found = -1
    position = lower.find("://")
    while position >= 0:
        for scheme in _SCHEMES:
            begin = position + 3 - len(scheme)
            if begin >= 0 and lower.startswith(scheme, begin) and (begin == 0 or not lower[begin - 1].isalnum()):
                return begin
        position = lower.find("://", position + 3)
    return found


def _redact_token(token: str) -> str:
    """One URL-ish token: user info dropped, query string masked (at its first ``?``)."""
    start = _url_start(token.lower())
    if start < 0:
        return token
    head, rest = token[:start], token[start:]
    scheme_end = rest.find("://") + 3
    authority_end = len(rest)
    for mark in ("/", "?", "#"):
        index = rest.find(mark, scheme_end)
        if 0 <= index < authority_end:
            authority_end = index
    at = rest.rfind("@", scheme_end, authority_end)
    if at >= 0:
        rest = rest[:scheme_end] + rest[at + 1:]
    question = rest.find("?", scheme_end)
    if question >= 0:
        rest = rest[:question] + _QUERY_MASK
    return head + rest


class Redactor:
    """Masks registered secrets, ``Bearer`` tokens and URL query strings in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            for secret in secrets:
                if isinstance(secret, str) and len(secret) >= _MIN_SECRET_LEN:
                    self._secrets.add(secret)

    def remove(self, secret: str) -> None:
        with self._lock:
            self._secrets.discard(secret)

    def __call__(self, text: str) -> str:
        with self._lock:
            # Longest first so a secret containing another is masked whole.
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
        if "://" in text:
            text = _TOKEN.sub(lambda m: _redact_token(m.group(0)), text)
        if "=" in text:
            text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={MASK}", text)
        return text


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites a record's message (and traceback text) through a Redactor."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record, self.redactor)
        return True


_formatter = logging.Formatter()


def redact_record(record: logging.LogRecord, redactor: Redactor) -> None:
    """Freeze the formatted message, redacted, into ``record`` (idempotent)."""
    if getattr(record, "_seedance_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not break logging
        message = str(record.msg)
    record.msg = redactor(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = _formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redactor(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor(record.stack_info)
    setattr(record, "_seedance_redacted", True)


_install_lock = threading.Lock()
_redactor: Redactor | None = None
_filter: RedactingFilter | None = None


def install_log_redaction(secrets: Iterable[str] = ()) -> Redactor:
    """Quieten httpx/httpcore/qasync (they log URLs or payloads) and mask secrets in every record.

    Safe to call again (e.g. when the key changes): later calls only add secrets. Returns the
    process-wide :class:`Redactor` so callers can ``add``/``remove`` secrets.
    """
    global _redactor, _filter
    with _install_lock:
        # httpx/httpcore print full URLs at INFO; qasync's worker pool prints every callback's
        # arguments and result at DEBUG (a key just read from the keyring, the settings).
        for name in ("httpx", "httpcore", "hpack", "qasync"):
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET or logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
        if _redactor is None:
            _redactor = Redactor()
            _filter = RedactingFilter(_redactor)
            previous = logging.getLogRecordFactory()
            redactor = _redactor

            def factory(*args: object, **kwargs: object) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                redact_record(record, redactor)
                return record

            logging.setLogRecordFactory(factory)
        assert _filter is not None
        # Handlers present now get the filter too, for records built by a foreign factory.
        for handler in logging.getLogger().handlers:
            if _filter not in handler.filters:
                handler.addFilter(_filter)
        package_logger = logging.getLogger("seedance_desktop")
        if _filter not in package_logger.filters:
            package_logger.addFilter(_filter)
        _redactor.add(secrets)
        return _redactor


def register_secret(secret: str) -> None:
    """Add one more secret (e.g. a key entered in Settings) to the installed redaction."""
    install_log_redaction((secret,))


__all__ = [
    "MASK",
    "RedactingFilter",
    "Redactor",
    "install_log_redaction",
    "redact_url",
    "register_secret",
]
