"""Every URL rule of the app, once: what a base URL may be, what counts as a remote input,
and how signed query strings are kept out of the database, sidecars, exports and logs.

Signed result and upload URLs carry their signature in the query string (and sometimes the
fragment); stripping both is what "scrubbing" means everywhere in the app. Scheme checks are
case-insensitive (``HTTP://`` is a URL too), and scrubbing a JSON value is iterative with a
depth bound, so a hostile 600-deep answer can neither recurse the stack nor be stored whole.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from seedance_desktop.api.errors import ConfigurationError, UnsafeUrlError

_QUERY_MASK = "?…"
_URL_SCHEMES = ("http://", "https://")
#: A JSON value nested deeper than this is replaced by a marker when scrubbed.
MAX_SCRUB_DEPTH = 64
_DEPTH_MARKER = "…(nested too deeply)"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_URL_IN_TEXT = re.compile(r"(?i)\bhttps?://[^\s\"'<>]+")


def is_loopback_host(host: str) -> bool:
    """True for this computer's own addresses (where plain http is acceptable)."""
    name = host.lower().strip("[]")
    if name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_url(text: str) -> bool:
    """An absolute http(s) URL, whatever the case of its scheme."""
    return text[:8].lower().startswith(_URL_SCHEMES)


def is_remote(source: str) -> bool:
    """Whether a media source is a URL rather than a local file: anything of the form
    ``scheme://...`` or a data URI. Unsupported schemes (``ftp://``) count as remote, so request
    validation says what is wrong with the link instead of looking for a file of that name."""
    return bool(_SCHEME.match(source)) or source[:5].lower() == "data:"


def check_base_url(url: str) -> str:
    """The normalised API base URL (no trailing slash), or :class:`ConfigurationError` whose
    ``user_message`` says what to fix. The one rule for the Settings dialog, the CLI's
    ``--base-url`` and the runtime: https, except loopback hosts (the local simulator), since
    the key travels in every request header; no query, fragment or user name."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (validates the port)
    except ValueError:
        raise ConfigurationError(f"invalid base URL {redact_url(text)}",
                                 user_message=f"The server address '{redact_url(text)}' is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise ConfigurationError(f"invalid base URL {redact_url(text)}",
                                 user_message=f"The server address '{redact_url(text)}' must start with https://, "
                                              "for example https://api.modellix.ai.")
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigurationError(f"insecure base URL {redact_url(text)}",
                                 user_message="The server address must use https:// (plain http is only allowed "
                                              "for this computer, e.g. the simulator).")
    if parts.query or parts.fragment or parts.username or parts.password or "?" in text or "#" in text:
        raise ConfigurationError("base URL with query/fragment/userinfo",
                                 user_message="The server address must be a plain https:// address without '?', "
                                              "'#' or a user name.")
    return urlunsplit((scheme, parts.netloc, parts.path, "", "")).rstrip("/")


def _origin(parts: "SplitResult") -> tuple[str, str, int | None]:
    scheme = parts.scheme.lower()
    port = parts.port or {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower().strip("[]"), port


def same_origin(url: str, other: str) -> bool:
    """Whether two absolute URLs share scheme, host and port (case-insensitive)."""
    try:
        return _origin(urlsplit(url)) == _origin(urlsplit(other)) and bool(urlsplit(url).hostname)
    except ValueError:
        return False


def is_private_host(host: str) -> bool:
    """Loopback, private, link-local (169.254.169.254: cloud metadata), unspecified, reserved
    or multicast addresses, and ``localhost`` names: nowhere a result may be fetched from
    unless it is the configured server itself."""
    name = host.lower().strip("[]").rstrip(".")
    if not name or is_loopback_host(name) or name.endswith((".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False  # a DNS name: its address is not known here
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return bool(address.is_private or address.is_loopback or address.is_link_local
                or address.is_unspecified or address.is_reserved or address.is_multicast)


def check_result_url(url: object, allowed_origin: str | None = None, *, what: str = "result") -> str:
    """``url`` when the app may fetch it, else :class:`UnsafeUrlError` (final: the server sent
    something no retry will fix). The one trust rule for result, last-frame, upload and
    redirect URLs (SPEC section 10): an absolute ``https:`` URL to a public host, or a URL on
    ``allowed_origin`` (the configured base URL's own scheme, host and port, so demo mode on
    loopback http works). ``file:``, ``data:``, ``javascript:``, relative URLs, plain http
    elsewhere, user names in URLs and private/link-local/loopback hosts are refused."""
    text = url if isinstance(url, str) else ""
    shown = redact_url(text)[:200] if text else repr(type(url).__name__)
    def refuse(reason: str) -> UnsafeUrlError:
        return UnsafeUrlError(f"unsafe {what} URL {shown}: {reason}", url=shown,
                              user_message=f"Modellix sent a {what} link the app will not open "
                                           f"({reason}): {shown}")
    if not text or text != text.strip() or any(ord(c) < 0x21 or c == "\x7f" for c in text):
        raise refuse("empty or containing spaces/control characters")
    if len(text) > 16_384:
        raise refuse("longer than 16 KiB")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (validates the port)
    except ValueError:
        raise refuse("not a valid URL") from None
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise refuse("not valid text")
    scheme = parts.scheme.lower()
    if not scheme or not parts.netloc:
        raise refuse("not an absolute URL")
    if parts.username is not None or parts.password is not None:
        raise refuse("a user name in the link")
    if allowed_origin and same_origin(text, allowed_origin):
        return text
    if scheme != "https":
        raise refuse(f"scheme {scheme!r} is not https")
    if not host or is_private_host(host):
        raise refuse("a private, loopback or link-local address")
    return text


def strip_query(url: str) -> str:
    """The URL without query string and fragment (where signatures live)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def redact_url(url: object) -> str:
    """A URL safe to log or print: scheme, host, port and path kept; query -> ``?…``; userinfo
    dropped. ``data:`` URIs shrink to their media type and length (they can be megabytes)."""
    text = str(url)
    if text[:5].lower() == "data:":
        head = text.split(",", 1)[0]
        return f"{head},…({len(text)} chars)"
    try:
        parts = urlsplit(text)
    except ValueError:
        return "<unparseable url>"
    if not parts.scheme or not parts.netloc:
        # Not an absolute URL: still never print a query string.
        return text.split("?", 1)[0] + (_QUERY_MASK if "?" in text else "")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    redacted = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return redacted + (_QUERY_MASK if parts.query else "")


def _scrub_string(value: str) -> str:
    if is_url(value):
        return strip_query(value)
    if value[:5].lower() == "data:":
        return value.split(",", 1)[0] + ",…"
    return value


def scrub_urls(value: Any, *, max_depth: int = MAX_SCRUB_DEPTH) -> Any:
    """A copy of a JSON-like value with every URL's query string removed and inline data URIs
    reduced to their media type. Iterative (no recursion); containers nested deeper than
    ``max_depth`` are replaced by a marker string."""
    def convert(item: Any, depth: int) -> tuple[Any, bool]:
        """(converted scalar or empty container, whether it is a container to fill)."""
        if isinstance(item, str):
            return _scrub_string(item), False
        if isinstance(item, (dict, list)):
            if depth > max_depth:
                return _DEPTH_MARKER, False
            return ({} if isinstance(item, dict) else []), True
        return item, False

    root, is_container = convert(value, 0)
    if not is_container:
        return root
    stack: list[tuple[Any, Any, int]] = [(value, root, 0)]
    while stack:
        source, target, depth = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, child in items:
            converted, fill = convert(child, depth + 1)
            if isinstance(target, dict):
                target[str(key)] = converted
            else:
                target.append(converted)
            if fill:
                stack.append((child, converted, depth + 1))
    return root


def scrub_text(text: str) -> str:
    """Free text (a reason, an error message) with every URL's query string removed."""
    return _URL_IN_TEXT.sub(lambda m: strip_query(m.group(0)), text or "")


__all__ = [
    "MAX_SCRUB_DEPTH",
    "check_base_url",
    "check_result_url",
    "is_private_host",
    "same_origin",
    "is_loopback_host",
    "is_remote",
    "is_url",
    "redact_url",
    "scrub_text",
    "scrub_urls",
    "strip_query",
]
