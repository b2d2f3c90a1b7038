"""The session's API client bounds the requests in flight, and always gives a slot back."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from seedance_desktop.runtime.compose import HTTP_LIMITS, MAX_REQUESTS_IN_FLIGHT, BoundedClient, http_client


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_at_most_the_limit_in_flight_and_every_request_answered() -> None:
    live = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal live, peak
        live += 1
        peak = max(peak, live)
        await asyncio.sleep(0.01)
        live -= 1
        return httpx.Response(200, json={"path": request.url.path})

    async def scenario() -> list[int]:
        async with BoundedClient(max_in_flight=3, transport=httpx.MockTransport(handler)) as http:
            plain = [http.get(f"http://x/{i}") for i in range(20)]

            async def streamed(i: int) -> int:
                async with http.stream("GET", f"http://x/s{i}") as response:
                    await response.aread()
                    return response.status_code

            answers = await asyncio.gather(*plain)
            codes = await asyncio.gather(*(streamed(i) for i in range(20)))
            return [a.status_code for a in answers] + list(codes)

    codes = run(scenario())
    assert codes == [200] * 40
    assert peak <= 3


def test_a_failed_or_cancelled_request_gives_its_slot_back() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fail":
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/slow":
            await asyncio.sleep(10)
        return httpx.Response(200)

    async def scenario() -> int:
        async with BoundedClient(max_in_flight=1, transport=httpx.MockTransport(handler)) as http:
            with pytest.raises(httpx.ConnectError):
                await http.get("http://x/fail")
            slow = asyncio.ensure_future(http.get("http://x/slow"))
            await asyncio.sleep(0.05)
            slow.cancel()
            await asyncio.gather(slow, return_exceptions=True)
            async with http.stream("GET", "http://x/ok"):
                pass  # closed without reading the body
            response = await asyncio.wait_for(http.get("http://x/ok"), 5)  # the one slot is free again
            return response.status_code

    assert run(scenario()) == 200


def test_the_session_client_keeps_its_connections_warm() -> None:
    assert HTTP_LIMITS.max_connections == MAX_REQUESTS_IN_FLIGHT
    assert HTTP_LIMITS.max_keepalive_connections == MAX_REQUESTS_IN_FLIGHT

    async def scenario() -> bool:
        client = http_client()
        try:
            return isinstance(client, BoundedClient) and client.follow_redirects is False
        finally:
            await client.aclose()

    assert run(scenario()) is True


def test_no_cookies_are_kept_and_the_pool_uses_the_cheap_socket_check() -> None:
    from seedance_desktop.api.pool_backend import KnownSocketBackend

    async def scenario() -> tuple[bool, int]:
        client = http_client()
        try:
            pool = getattr(client._transport, "_pool", None)  # noqa: SLF001 - what the override set
            backend = getattr(pool, "_network_backend", None)
            client.cookies.extract_cookies(httpx.Response(200, headers={"Set-Cookie": "a=b; Path=/"},
                                                          request=httpx.Request("GET", "http://x/")))
            return isinstance(backend, KnownSocketBackend), len(client.cookies)
        finally:
            await client.aclose()

    assert run(scenario()) == (True, 0)


def test_a_keep_alive_connection_the_server_closed_is_not_reused() -> None:
    """Over real loopback: the server answers once and closes; the next request must go out on
    a new connection (the pool's readability check sees the close) instead of failing."""
    connections = 0
    closed = asyncio.Event

    async def scenario() -> list[int]:
        nonlocal connections
        gone = closed()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
            await writer.drain()
            writer.close()
            await writer.wait_closed()
            gone.set()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = http_client()
        try:
            first = await client.get(f"http://127.0.0.1:{port}/a")
            await asyncio.wait_for(gone.wait(), 10)
            second = await asyncio.wait_for(client.get(f"http://127.0.0.1:{port}/b"), 10)
            return [first.status_code, second.status_code]
        finally:
            await client.aclose()
            server.close()
            await server.wait_closed()

    assert run(scenario()) == [200, 200]
    assert connections == 2
