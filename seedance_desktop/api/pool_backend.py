"""httpcore's network backend with a cheap "has the server closed this idle connection?" check.

Before every request and after every response, httpcore's connection pool asks each idle
keep-alive connection whether its socket is readable (a server that closed it makes it readable
with end-of-file). Its asyncio backend answers through anyio, which rebuilds the socket's whole
attribute table for that (a ``getpeername`` system call, a handful of closures and an import
statement) just to find the raw socket: about 13 % of a poll's CPU on the GUI loop with 100 jobs
polling. This backend keeps httpcore's own (anyio) streams for everything and only answers
``"socket"`` and ``"is_readable"`` from the socket it saw when the connection was made, with the
same ``poll(0)`` check httpcore uses.
"""

from __future__ import annotations

import select
import socket
import ssl
import sys
import typing
from collections.abc import Iterable

import httpcore

SocketOption = typing.Union[tuple[int, int, int], tuple[int, int, typing.Union[bytes, bytearray]],
                            tuple[int, int, None, int]]


def socket_readable(sock: socket.socket | None) -> bool:
    """Whether ``sock`` has data (or end-of-file) waiting: ``recv`` would return at once.
    A socket that is gone counts as readable, so the pool drops its connection."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    if sys.platform == "win32" or getattr(select, "poll", None) is None:  # pragma: no cover
        ready, _, _ = select.select([fd], [], [], 0)
        return bool(ready)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class KnownSocketStream(httpcore.AsyncNetworkStream):
    """httpcore's stream, with the raw socket looked up once instead of on every pool check."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return KnownSocketStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "socket" and self._socket is not None:
            return self._socket
        if info == "is_readable" and self._socket is not None:
            return socket_readable(self._socket)
        return self._inner.get_extra_info(info)


class KnownSocketBackend(httpcore.AsyncNetworkBackend):
    """httpcore's asyncio (anyio) backend, handing out :class:`KnownSocketStream` s."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None) -> httpcore.AsyncNetworkStream:
        return KnownSocketStream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[SocketOption] | None = None) -> httpcore.AsyncNetworkStream:
        return KnownSocketStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
