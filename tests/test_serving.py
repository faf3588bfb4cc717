"""Production serving as `make serve` runs it (gunicorn with diplomacy/gunicorn.conf.py): a client
that reads a large download slowly holds one thread, not the server, and a download that takes
longer than the worker timeout still arrives whole.

Serving does not depend on the database, so this runs on a SQLite file of its own, once."""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.servers import free_port, wait_until_up

PROJECT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
TIMEOUT = 2  # gunicorn's worker timeout in these tests, seconds
COMMITMENTS = 720
DETAIL = "A long account of what was agreed. " * 720  # about 25 KB: the download is about 18 MB

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="serving is the same on either database"
)


def large_record():
    """Thirty meetings of 24 commitments, each with a long detail: a download larger than the
    kernel's socket buffers, so a reader that does not read really holds the sender."""
    meetings = []
    for n in range(COMMITMENTS // 24):
        day = f"2025-{n % 12 + 1:02d}-{n // 12 + 1:02d}"
        source = {"url": f"https://news.example.org/{n}", "publisher": "Example News"}
        meetings.append(
            {
                "slug": f"large-{n}",
                "date": day,
                "kind": "phone-call",
                "title": f"Call {n}",
                "countries": ["FR", "DE"],
                "sources": [source],
                "commitments": [
                    {
                        "topic": "energy",
                        "summary": f"Commitment {n}-{k}",
                        "detail": DETAIL,
                        "sources": [source],
                    }
                    for k in range(24)
                ],
            }
        )
    return {"format": "bilateral-meetings/3", "meetings": meetings}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serving")
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if key != "DEBUG"},
        "DATABASE_URL": f"sqlite:///{tmp / 'serving.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "STATIC_ROOT": str(tmp / "static"),
        "LOG_LEVEL": "WARNING",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",  # one worker: a reader that held it would hold the whole server
        "GUNICORN_THREADS": "2",
        "GUNICORN_TIMEOUT": str(TIMEOUT),
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }
    (tmp / "large.json").write_text(json.dumps(large_record()))

    def manage(*args):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, check=True, capture_output=True
        )

    manage("migrate", "--no-input")
    manage("collectstatic", "--no-input")
    manage("import_meetings", str(tmp / "large.json"))
    process = subprocess.Popen(
        [str(GUNICORN), "diplomacy.wsgi", "--config", "diplomacy/gunicorn.conf.py"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


class SlowReader(http.client.HTTPConnection):
    """A client with a small receive buffer, that reads when it chooses to."""

    def connect(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(30)
        self.sock.connect((self.host, self.port))


def start_download(port):
    reader = SlowReader("127.0.0.1", port, timeout=30)
    reader.request("GET", "/commitments/?format=json")
    response = reader.getresponse()
    assert response.status == 200
    return response


def assert_whole(body):
    document = json.loads(body)
    assert len(document["results"]) == COMMITMENTS
    assert all(row["detail"] == DETAIL.strip() for row in document["results"])


def test_a_slow_reader_does_not_hold_up_other_pages(server):
    download = start_download(server)
    first = download.read(4096)  # the download has started, and then its reader stalls

    other = urllib.request.urlopen(f"http://127.0.0.1:{server}/topics/?asked=while-stalled", timeout=30)
    assert other.status == 200 and b"Topics" in other.read()

    rest = download.read()
    assert len(rest) > 1_000_000, "the download was still being sent when the other page was served"
    assert_whole(first + rest)


def test_a_download_slower_than_the_worker_timeout_arrives_whole(server):
    download = start_download(server)
    started, chunks = time.monotonic(), []
    while chunk := download.read(65536):
        chunks.append(chunk)
        time.sleep(0.05)

    assert time.monotonic() - started > 2 * TIMEOUT, "the reading must outlast the worker timeout"
    assert_whole(b"".join(chunks))
