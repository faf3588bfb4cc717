"""Faults: an import killed half way, two imports at once, an editor saving over an import.

The import tests run real `import_meetings` processes against a database of their own (a SQLite
file, or a PostgreSQL database created for the test), as separate processes would in production."""

import contextlib
import datetime
import json
import os
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from agreements.importer import import_files
from agreements.models import Meeting
from tests.servers import new_postgres_database
from tests.test_import import meeting_data

PROJECT = Path(__file__).resolve().parent.parent


# Separate processes on a database of their own ------------------------------------------------


@pytest.fixture
def scratch_database(tmp_path):
    """A DATABASE_URL for a new, migrated database on the suite's engine, dropped afterwards."""
    with contextlib.ExitStack() as stack:
        if connection.vendor == "sqlite":
            url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        else:
            url = stack.enter_context(new_postgres_database(f"diplomacy_faults_{os.getpid()}"))
        manage(url, "migrate", "--no-input")
        manage(url, "loaddata", "seed")
        yield url


def environment(url):
    return {
        **{key: value for key, value in os.environ.items() if key != "DEBUG"},
        "DATABASE_URL": url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "insecure-test-only-key"),
        "LOG_LEVEL": "WARNING",
    }


def manage(url, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=environment(url),
        check=True,
        capture_output=True,
        text=True,
    )


def start_import(url, path):
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_meetings", str(path)],
        cwd=PROJECT,
        env=environment(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def counts(url):
    """The number of rows of each record table, read by another process."""
    output = manage(
        url,
        "shell",
        "-c",
        "import json; from django.apps import apps; "
        "models = apps.get_app_config('agreements').get_models(); "
        "print(json.dumps({m.__name__: m.objects.count() for m in models if m._meta.managed}))",
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def many_meetings(path, label, number=400):
    """A file of `number` meetings whose titles and commitments all carry `label`."""
    meetings = []
    for n in range(number):
        day = datetime.date(2020, 1, 1) + datetime.timedelta(days=n)
        data = meeting_data(slug=f"fault-{n}", date=day.isoformat(), title=f"{label} {n}")
        data["countries"], data["host"] = ["FR", "DE"], "FR"
        data["leaders"] = []
        for commitment in data["commitments"]:
            commitment["detail"] = f"{label} detail"
            commitment.pop("history", None)
            commitment.pop("status", None)
            commitment.pop("parties", None)
        meetings.append(data)
    path.write_text(json.dumps({"format": "bilateral-meetings/3", "meetings": meetings}))
    return path


def writing_has_begun(url, process):
    """Whether the import has written rows it has not committed."""
    if url.startswith("sqlite"):
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        return wal.exists() and wal.stat().st_size > 512 * 1024
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as watcher:
        return (
            watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
            ).fetchone()[0]
            > 0
        )


@pytest.mark.django_db
def test_an_import_killed_half_way_leaves_the_record_exactly_as_before(scratch_database, tmp_path):
    before = counts(scratch_database)
    process = start_import(scratch_database, many_meetings(tmp_path / "big.json", "Killed", number=1500))
    deadline = time.monotonic() + 120
    while not writing_has_begun(scratch_database, process):
        assert process.poll() is None, "the import ended before it could be stopped"
        assert time.monotonic() < deadline, "the import never began writing"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert counts(scratch_database) == before
    # The record is usable: the same file imports whole afterwards.
    manage(scratch_database, "import_meetings", str(tmp_path / "big.json"))
    assert counts(scratch_database)["Meeting"] == before["Meeting"] + 1500


@pytest.mark.django_db
def test_two_imports_at_once_end_as_one_after_the_other(scratch_database, tmp_path):
    first = start_import(scratch_database, many_meetings(tmp_path / "a.json", "A"))
    second = start_import(scratch_database, many_meetings(tmp_path / "b.json", "B"))
    results = [(process.wait(timeout=300), process.stderr.read()) for process in (first, second)]

    assert [code for code, _ in results] == [0, 0], results
    output = (
        manage(
            scratch_database,
            "shell",
            "-c",
            "from agreements.models import Meeting; "
            "meetings = Meeting.objects.filter(slug__startswith='fault-'); "
            "print(sorted({(m.title.split()[0], c.detail) for m in meetings for c in m.commitments.all()}))",
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    # Every meeting and commitment from one file: the one imported last, whole.
    assert output in ("[('A', 'A detail')]", "[('B', 'B detail')]"), output


# An editor saving over a newer version -------------------------------------------------------


class FormFields(HTMLParser):
    """The values a browser would post for the page's main form."""

    def __init__(self):
        super().__init__()
        self.fields, self.select, self.textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append(tuple(self.textarea))
            self.textarea = None


def opened_form(client, url):
    parser = FormFields()
    parser.feed(client.get(url).content.decode())
    data = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    return data


def import_summit(**overrides):
    meeting = meeting_data(slug="summit", **overrides)
    import_files([("summit.json", json.dumps({"format": "bilateral-meetings/3", "meetings": [meeting]}))])
    return Meeting.objects.get(slug="summit")


def test_an_editor_saving_over_an_import_is_told_and_the_import_is_kept(editor_client):
    meeting = import_summit()
    url = reverse("admin:agreements_meeting_change", args=[meeting.pk])
    form = opened_form(editor_client, url)
    assert form["_loaded_version"] == [meeting.updated_at.isoformat()]

    import_summit(title="Japan–Italy summit, as the import names it")
    form["summary"] = ["The editor's summary."]
    response = editor_client.post(url, form)

    assert response.status_code == 200
    assert "was changed by someone else (an editor or an import)" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "Japan–Italy summit, as the import names it"
    assert meeting.summary == "The two prime ministers met in Tokyo."


def test_an_editor_saving_the_version_they_opened_saves(editor_client):
    meeting = import_summit()
    url = reverse("admin:agreements_meeting_change", args=[meeting.pk])
    form = opened_form(editor_client, url)
    form["summary"] = ["The editor's summary."]

    response = editor_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:3000]
    meeting.refresh_from_db()
    assert meeting.summary == "The editor's summary."
