"""Bounds on what a server's answer may cost the client (SPEC section 10): size, depth, length.

Anything in an answer is untrusted input. A JSON body is read with a size cap (an endless answer
stops at :data:`MAX_ANSWER_BYTES` instead of growing memory), its nesting depth is measured by a
linear, non-recursive scan *before* it is parsed (a 600-deep answer never reaches ``json.loads``,
the scrubber or the store), and text taken from it for display is truncated.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

#: Largest JSON answer read (task answers are a few KiB; a model list perhaps 100 KiB).
MAX_ANSWER_BYTES = 4 * 1024 * 1024
#: Deepest JSON nesting accepted (documented answers nest 5 levels).
MAX_JSON_DEPTH = 64
#: Longest server-provided message kept for display and error text.
MAX_MESSAGE_CHARS = 500

#: A complete JSON string (possessive: never backtracks), or a bracket, or an opening quote
#: that has no closing one (then the body is not JSON, and the scan stops there).
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")


class AnswerTooLarge(Exception):
    """The answer passed the size cap while it was being read."""


def nesting_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool | None:
    """Whether the JSON text in ``body`` nests deeper than ``limit`` (None: the text has an
    unterminated string, so it is not JSON). Linear time, no recursion, no parsing."""
    pieces: list[bytes] = []
    position = 0
    while True:
        quote = body.find(b'"', position)
        if quote < 0:
            pieces.append(body[position:])
            break
        pieces.append(body[position:quote])
        match = _STRING.match(body, quote)
        if match is None:
            return None
        position = match.end()
    brackets = b"".join(piece.translate(None, _BRACKETS) for piece in pieces)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    steps = (1 if byte in (0x5B, 0x7B) else -1 for byte in brackets)
    return max(itertools.accumulate(steps), default=0) > limit


def parse_json_object(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any] | None:
    """The JSON object in ``body``, or None when it is not one (not UTF-8, not JSON, not an
    object, larger than :data:`MAX_ANSWER_BYTES` or nested deeper than ``max_depth``)."""
    if len(body) > MAX_ANSWER_BYTES:
        return None
    if nesting_depth_exceeds(body, max_depth) is not False:
        return None
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def read_capped(chunks: Iterator[bytes], limit: int = MAX_ANSWER_BYTES) -> bytes:
    """Join ``chunks`` but stop with :class:`AnswerTooLarge` once past ``limit`` bytes."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) > limit:
            raise AnswerTooLarge(f"answer larger than {limit} bytes")
    return bytes(buffer)


async def aread_capped(chunks: AsyncIterator[bytes], limit: int = MAX_ANSWER_BYTES) -> bytes:
    """:func:`read_capped` for an async stream (``response.aiter_bytes()``)."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        if len(buffer) > limit:
            raise AnswerTooLarge(f"answer larger than {limit} bytes")
    return bytes(buffer)


def short_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis and the original length say so)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


__all__ = [
    "AnswerTooLarge",
    "MAX_ANSWER_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_MESSAGE_CHARS",
    "aread_capped",
    "nesting_depth_exceeds",
    "parse_json_object",
    "read_capped",
    "short_text",
]
