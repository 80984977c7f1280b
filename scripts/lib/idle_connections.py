"""Holds many idle keep-alive connections open against the service (scripts/bench.sh).

Each connection sends one request (GET /health/live, keep-alive) and reads its answer,
then stays open and silent. Prints `ready N` once every connection is idle, then, after
HOLD seconds, how many the server still holds (a closed one reads EOF):

    python idle_connections.py HOST PORT COUNT HOLD_SECONDS
"""

import asyncio
import sys

REQUEST = b"GET /health/live HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n"


async def one(host, port, gate):
    async with gate:  # a bounded number of handshakes at once
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(REQUEST)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
    return reader, writer


async def main(host, port, count, hold):
    gate = asyncio.Semaphore(256)
    connections = await asyncio.gather(*(one(host, port, gate) for _ in range(count)))
    print(f"ready {len(connections)}", flush=True)
    await asyncio.sleep(hold)
    open_ = 0
    for reader, writer in connections:
        try:
            await asyncio.wait_for(reader.read(1), timeout=0.001)  # EOF: closed by the server
        except asyncio.TimeoutError:
            open_ += 1
        writer.close()
    print(f"still open after {hold} s: {open_} of {count}", flush=True)


if __name__ == "__main__":
    host, port, count, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    asyncio.run(main(host, port, count, hold))
