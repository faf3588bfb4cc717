"""One slow reader for the load run: downloads a URL at a bounded rate with a small receive
buffer, and says whether the download arrived whole.

    python bench/slow_reader.py URL RATE_BYTES_PER_SECOND EXPECTED_CSV_ROWS

A CSV arrives whole when it ends with a line break and has the header and EXPECTED_CSV_ROWS rows
(fields with line breaks are quoted, so rows are counted with the csv module)."""

import csv
import http.client
import io
import socket
import sys
import time
import urllib.parse


class SmallBuffer(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        self.sock.settimeout(120)
        self.sock.connect((self.host, self.port))


def main(url, rate, expected_rows):
    parts = urllib.parse.urlsplit(url)
    connection = SmallBuffer(parts.hostname, parts.port, timeout=120)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    started, body = time.monotonic(), bytearray()
    try:
        while chunk := response.read(65536):
            body += chunk
            ahead = len(body) / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        error = ""
    except (http.client.HTTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    seconds = time.monotonic() - started
    rows = sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8", "replace")))) - 1
    whole = not error and response.status == 200 and body.endswith(b"\n") and rows == expected_rows
    print(
        f"slow reader: {url} at {rate / 1e6:.1f} MB/s: status {response.status}, {len(body) / 1e6:.1f} MB "
        f"in {seconds:.0f} s, {rows} rows of {expected_rows} expected: "
        f"{'arrived whole' if whole else 'INCOMPLETE ' + error}"
    )
    return 0 if whole else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
