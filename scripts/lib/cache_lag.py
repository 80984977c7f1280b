"""How soon the other instances serve a change one instance made (scripts/bench.sh).

Each round renames a product through instance A, then, from the moment A answered, polls
every other instance until it serves the new version; prints the lags' p50, p99 and max:

    python cache_lag.py TOKEN PRODUCT_ID ROUNDS BASE_A BASE_B [BASE_C ...]
"""

import http.client
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit


def connection(base):
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def request(conn, method, path, token, body=None):
    headers = {"authorization": f"Bearer {token}"}
    if body is not None:
        headers["content-type"] = "application/json"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return json.loads(data)


def main():
    token, product, rounds, writer, *readers = sys.argv[1:]
    path = f"/api/v1/products/{product}"
    write = connection(writer)
    reads = [connection(base) for base in readers]
    for conn in reads:  # every reader remembers the product before the first change
        request(conn, "GET", path, token)
    lags = []
    for round_ in range(int(rounds)):
        version = request(write, "PATCH", path, token, {"name": f"Lag probe {round_}"})["version"]
        answered = time.monotonic()
        seen = [None] * len(reads)

        def poll(i, conn):
            while request(conn, "GET", path, token)["version"] < version:
                pass
            seen[i] = time.monotonic() - answered

        threads = [threading.Thread(target=poll, args=(i, c)) for i, c in enumerate(reads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        lags.extend(seen)
        time.sleep(0.02)
    lags.sort()
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    print(f"{len(lags)} reads after {rounds} changes: p50 {statistics.median(lags) * 1e3:.1f} ms, "
          f"p99 {p99 * 1e3:.1f} ms, max {lags[-1] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
