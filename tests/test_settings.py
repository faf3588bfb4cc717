"""The settings fail closed and read everything from the environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DEBUG, settings.ALLOWED_HOSTS, settings.DATABASES['default']['ENGINE'], "
    "settings.DATABASES['default']['NAME'])"
)


def run_settings(**environ):
    env = {
        key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.pop("DATABASE_URL", None)
    env.update(environ, DJANGO_SETTINGS_MODULE="diplomacy.settings")
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_settings()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


NAMED_DATABASE = "sqlite:///named.sqlite3"


def test_refuses_to_start_without_a_named_database_when_debug_is_off():
    result = run_settings(SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr
    assert run_settings(SECRET_KEY="x" * 50, DATABASE_URL="").returncode != 0


def test_debug_is_off_unless_asked_for():
    result = run_settings(SECRET_KEY="x" * 50, DATABASE_URL=NAMED_DATABASE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False []")


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_false_like_values_keep_debug_off(value):
    result = run_settings(SECRET_KEY="x" * 50, DEBUG=value, DATABASE_URL=NAMED_DATABASE)
    assert result.stdout.startswith("False"), result.stderr


def test_debug_runs_without_a_secret_key_on_local_hosts():
    result = run_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True ['localhost', '127.0.0.1', '[::1]']")


def test_allowed_hosts_is_a_comma_list():
    result = run_settings(
        SECRET_KEY="x" * 50, ALLOWED_HOSTS="a.example.org, b.example.org,", DATABASE_URL=NAMED_DATABASE
    )
    assert "['a.example.org', 'b.example.org']" in result.stdout


def test_database_defaults_to_a_sqlite_file_in_the_project():
    result = run_settings(DEBUG="1")
    assert f"django.db.backends.sqlite3 {PROJECT / 'db.sqlite3'}" in result.stdout


def test_database_url_selects_postgresql():
    result = run_settings(DEBUG="1", DATABASE_URL="postgres://user@db.example.org:5432/agreements")
    assert "django.db.backends.postgresql agreements" in result.stdout


def test_an_empty_database_url_means_the_default():
    result = run_settings(DEBUG="1", DATABASE_URL="")
    assert f"django.db.backends.sqlite3 {PROJECT / 'db.sqlite3'}" in result.stdout, result.stderr


PRINT_HSTS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD)"
)


@pytest.mark.parametrize(("asked", "expected"), [(None, "31536000 False"), ("1", "31536000 True")])
def test_hsts_preload_only_when_asked_for(asked, expected):
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "HTTPS", "HSTS_PRELOAD"}}
    env.update(
        SECRET_KEY="x" * 50,
        DATABASE_URL=NAMED_DATABASE,
        DJANGO_SETTINGS_MODULE="diplomacy.settings",
        **({"HSTS_PRELOAD": asked} if asked else {}),
    )
    result = subprocess.run(
        [sys.executable, "-c", PRINT_HSTS], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == expected, result.stderr


def test_sqlite_runs_in_wal_mode_and_writers_take_the_lock_when_they_begin(tmp_path):
    script = (
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode'); "
        "options = connection.settings_dict['OPTIONS']; "
        "print(cursor.fetchone()[0], options['transaction_mode'], options['timeout'])"
    )
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        DJANGO_SETTINGS_MODULE="diplomacy.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["wal", "IMMEDIATE", "20"], result.stderr
