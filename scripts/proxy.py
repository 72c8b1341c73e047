"""A minimal reverse proxy for `make run`: it routes each connection by its first request line,
`/ws/...` to daphne and everything else to the WSGI server, the way nginx does in production.
Connection-level routing is enough here because browsers open a fresh connection for a WebSocket.
It is a development convenience, not a production component."""
import argparse
import asyncio


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


def handler(http_port: int, ws_port: int):
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            first = await asyncio.wait_for(client_reader.readline(), timeout=30)
        except (asyncio.TimeoutError, ConnectionError):
            client_writer.close()
            return
        parts = first.split(b" ")
        path = parts[1] if len(parts) > 1 else b"/"
        port = ws_port if path.startswith(b"/ws/") else http_port
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            client_writer.close()
            return
        up_writer.write(first)
        await asyncio.gather(pipe(client_reader, up_writer), pipe(up_reader, client_writer))

    return handle


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http", type=int, required=True)
    parser.add_argument("--ws", type=int, required=True)
    args = parser.parse_args()
    server = await asyncio.start_server(handler(args.http, args.ws), args.host, args.port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
