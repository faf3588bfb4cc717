"""Two gunicorn servers in production mode share one PostgreSQL database: a session started on one
is valid on the other, a record saved through one is served by the other, and each serves the
hashed, compressed static files."""

import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.servers import free_port, new_postgres_database, wait_until_up

PROJECT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the shared-database set-up is PostgreSQL's"
)


@pytest.fixture
def shared_database():
    """A database of its own, migrated as a deployment would be, dropped afterwards."""
    with new_postgres_database(f"diplomacy_two_servers_{os.getpid()}") as url:
        yield url


@pytest.fixture
def servers(shared_database, tmp_path):
    env = {
        **{key: value for key, value in os.environ.items() if key != "DEBUG"},
        "DATABASE_URL": shared_database,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "STATIC_ROOT": str(tmp_path / "static"),
        "LOG_LEVEL": "WARNING",
    }

    def manage(*args):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, check=True, capture_output=True
        )

    manage("migrate", "--no-input")
    manage("collectstatic", "--no-input")
    manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User; "
        "u = User.objects.create_user('editor', password='a long editor password', is_staff=True); "
        "u.groups.add(Group.objects.get(name='Editors'))",
    )
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        processes.append(
            subprocess.Popen(
                [str(GUNICORN), "diplomacy.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                cwd=PROJECT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_until_up(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


class Browser:
    """Just enough of a browser: cookies (shared across ports, as browsers do) and forms."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            NoRedirect(),
        )

    def get(self, url):
        try:
            response = self.opener.open(url, timeout=30)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers
        return response.status, response.read().decode(), response.headers

    def submit(self, url, fields):
        status, page, _ = self.get(url)
        assert status == 200, (url, status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        try:
            response = self.opener.open(urllib.request.Request(url, data=data), timeout=30)
        except urllib.error.HTTPError as error:
            return error.code, error.headers
        return response.status, response.headers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_two_servers_share_sessions_and_records(servers):
    first, second = servers
    editor = Browser()
    status, headers = editor.submit(
        f"{first}/admin/login/?next=/admin/", {"username": "editor", "password": "a long editor password"}
    )
    assert status == 302 and headers["Location"] == "/admin/"

    # The session started on the first server is valid on the second.
    status, page, _ = editor.get(f"{second}/admin/")
    assert status == 200 and "Log out" in page

    # A record saved through the second server is served by the first.
    status, headers = editor.submit(
        f"{second}/admin/agreements/topic/add/",
        {"slug": "health", "name": "Health cooperation", "description": "Public health.", "position": "11"},
    )
    assert status == 302, status
    status, page, _ = Browser().get(f"{first}/topics/")
    assert status == 200 and "Health cooperation" in page

    # Both serve the hashed, compressed static files the pages link to.
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', page).group(1)
    for server in servers:
        request = urllib.request.Request(f"{server}{stylesheet}", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert "immutable" in response.headers["Cache-Control"]
