"""Production mode: clean deploy checks, security headers on every page, errors that leak nothing,
rate-limited logins, expiring sessions, cache validators, and the replica router."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import path
from django.utils import timezone

from agreements.models import Commitment, Leader, Meeting
from diplomacy import middleware
from diplomacy.routers import PrimaryReplicaRouter

from .factories import make_status_change

PROJECT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "agreements.example.org",
    "DJANGO_SETTINGS_MODULE": "diplomacy.settings",
}


def run_manage(*args, **environ):
    # The browser tests allow async-unsafe ORM calls in this process; a deployment never does.
    ignored = {"HTTPS", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in ignored}
    env.update(PRODUCTION_ENV, **environ)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_in_production_mode(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL=f"sqlite:///{tmp_path}/db",
        PROXY_COUNT="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_of_https_without_a_proxy_count(tmp_path):
    result = run_manage("check", "--deploy", DATABASE_URL=f"sqlite:///{tmp_path}/db", PROXY_COUNT="0")
    assert "diplomacy.W001" in result.stdout + result.stderr


def test_plain_http_mode_is_named_by_the_deploy_check(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", HTTPS="0", DATABASE_URL=f"sqlite:///{tmp_path}/db"
    )
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stdout + result.stderr


@pytest.fixture
def production(settings):
    """The settings DEBUG off and HTTPS on give (the test run itself uses HTTPS=0)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return settings


def seeded_pages():
    summit = Meeting.objects.get(slug="2026-01-16-it-jp-tokyo")
    commitment = Commitment.objects.filter(meeting=summit).first()
    return [
        "/",
        "/meetings/",
        summit.get_absolute_url(),
        "/commitments/?topic=space",
        commitment.get_absolute_url(),
        "/relations/",
        "/relations/it-jp/",
        "/relations/it-jp/feed/",
        "/countries/",
        "/countries/jp/",
        "/leaders/",
        "/leaders/sanae-takaichi/",
        "/topics/",
        "/topics/space/",
        "/about/",
        "/meetings/?format=csv",
        "/commitments/?format=json",
        "/feeds/meetings/",
        "/feeds/commitments/",
        "/admin/login/",
        "/no-such-page/",
        "/meetings/?date_after=notadate",
    ]


def test_every_page_carries_the_security_headers(production, seed, client):
    for url in seeded_pages():
        response = client.get(url, secure=True)
        assert response.status_code in (200, 400, 404), url
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload", url
        csp = response["Content-Security-Policy"]
        assert (
            "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        ), url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url


def test_plain_http_is_redirected_to_https(production, db, client):
    response = client.get("/meetings/?country=jp")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/meetings/?country=jp"


def test_the_proxy_header_marks_a_request_secure(production, db, client):
    assert client.get("/about/", headers={"X-Forwarded-Proto": "https"}).status_code == 200


def boom(request):
    raise RuntimeError("secret detail: connection string postgres://user:hunter2@db/agreements")


urlpatterns = [path("boom/", boom)]


def test_server_error_page_leaks_nothing(settings, db):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body


def test_forbidden_page_is_the_site_s_own(editor_client):
    response = editor_client.get("/admin/auth/user/")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


def test_a_form_without_its_csrf_token_is_refused_with_an_explanation(db, admin_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "admin", "password": "password"})
    assert response.status_code == 403
    assert "The form could not be sent" in response.content.decode()
    assert "_auth_user_id" not in client.session


def login(client, password, username="editor", address="192.0.2.1"):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


class TestLoginRateLimit:
    def test_five_failures_lock_the_account_for_that_address(self, editor, client, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert login(client, "wrong password").status_code == 200
        assert login(client, "wrong password").status_code == 429
        response = login(client, "a long editor password")
        assert response.status_code == 429
        assert "paused for an hour" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_the_right_password_from_another_address_still_works(self, editor, client, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, "wrong password")
        assert login(Client(), "a long editor password", address="198.51.100.7").status_code == 302

    def test_a_success_before_the_limit_resets_the_count(self, editor, client, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            login(client, "wrong password")
        assert login(client, "a long editor password").status_code == 302
        client.logout()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            login(client, "wrong password")
        assert login(client, "a long editor password").status_code == 302

    def test_behind_a_proxy_the_forwarded_address_counts(self, rf, settings):
        settings.PROXY_COUNT = 1
        request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1", REMOTE_ADDR="10.0.0.1")
        assert middleware.client_ip(request) == "198.51.100.1"
        settings.PROXY_COUNT = 0
        assert middleware.client_ip(request) == "10.0.0.1"


def test_sessions_expire_after_a_working_day(editor, client):
    response = login(client, "a long editor password")
    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == 8 * 60 * 60
    assert response.cookies["sessionid"]["httponly"]


@pytest.mark.parametrize("password", ["short", "password1234", "123456789012"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_an_editor_s_change_is_recorded_with_who_and_when(editor_client, editor):
    from .factories import make_meeting

    meeting = make_meeting()
    data = {
        "slug": meeting.slug,
        "kind": meeting.kind,
        "date": "2026-01-16",
        "city": "Rome",
        "title": "Renamed",
        "countries": ["IT", "JP"],
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "1",
        "citations-0-id": str(meeting.citations.get().pk),
        "citations-0-meeting": str(meeting.pk),
        "citations-0-source": str(meeting.citations.get().source_id),
        "commitments-TOTAL_FORMS": "0",
        "commitments-INITIAL_FORMS": "0",
    }
    assert editor_client.post(f"/admin/agreements/meeting/{meeting.pk}/change/", data).status_code == 302
    entry = LogEntry.objects.get(object_id=str(meeting.pk), action_flag=CHANGE)
    assert entry.user == editor
    assert entry.action_time is not None


class TestCaching:
    def test_public_pages_have_an_etag_and_answer_304_when_unchanged(self, seed, client):
        response = client.get("/relations/it-jp/")
        assert response["Cache-Control"] == "public, max-age=60"
        again = client.get("/relations/it-jp/", headers={"If-None-Match": response["ETag"]})
        assert again.status_code == 304

    def test_the_etag_changes_when_the_record_does(self, seed, client):
        before = client.get("/meetings/")["ETag"]
        Meeting.objects.filter(slug="2026-01-16-it-jp-tokyo").update(title="A corrected title")
        assert client.get("/meetings/")["ETag"] != before

    def test_admin_pages_are_never_publicly_cached(self, editor_client):
        response = editor_client.get("/admin/agreements/meeting/")
        assert "public" not in response.get("Cache-Control", "")

    def test_error_pages_are_not_publicly_cached(self, db, client):
        assert "public" not in client.get("/meetings/?date_after=notadate").get("Cache-Control", "")


class TestReplicaRouter:
    def test_reads_go_to_the_replica_and_writes_to_the_primary(self):
        router = PrimaryReplicaRouter()
        assert router.db_for_read(Meeting) == "replica"
        assert router.db_for_write(Meeting) == "default"
        assert router.allow_migrate("default", "agreements")
        assert not router.allow_migrate("replica", "agreements")

    @pytest.mark.parametrize(
        ("method", "path", "pinned"),
        [("GET", "/meetings/", False), ("POST", "/meetings/", True), ("GET", "/admin/", True)],
    )
    def test_writes_and_the_admin_read_from_the_primary(self, rf, method, path, pinned):
        seen = []

        def view(request):
            seen.append(PrimaryReplicaRouter().db_for_read(Meeting))
            return None

        middleware.PinToPrimaryMiddleware(view)(rf.generic(method, path))
        assert seen == ["default" if pinned else "replica"]
        assert PrimaryReplicaRouter().db_for_read(Meeting) == "replica"

    def test_settings_add_the_replica_when_asked(self):
        code = (
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASE_ROUTERS, settings.DATABASES['replica']['NAME'], "
            "settings.DATABASES['replica']['TEST'])"
        )
        env = {
            **os.environ,
            **PRODUCTION_ENV,
            "DATABASE_REPLICA_URL": "postgres://reader@replica.example.org/agreements",
        }
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
        )
        assert (
            "['diplomacy.routers.PrimaryReplicaRouter'] agreements {'MIRROR': 'default'" in result.stdout
        ), result.stderr


def test_cache_url_selects_the_shared_redis_cache():
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default'])"
    )
    env = {**os.environ, **PRODUCTION_ENV, "CACHE_URL": "redis://127.0.0.1:6379/3"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    assert "django.core.cache.backends.redis.RedisCache" in result.stdout, result.stderr
    assert "redis://127.0.0.1:6379/3" in result.stdout


def test_logs_are_json_lines_on_standard_output():
    code = (
        "import django, logging; django.setup(); logging.getLogger('agreements').warning('hello %s', 'world')"
    )
    env = {**os.environ, **PRODUCTION_ENV}
    env.pop("LOG_FORMAT", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    import json

    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert (record["level"], record["logger"], record["message"]) == ("WARNING", "agreements", "hello world")


class TestDownloadValidators:
    def test_a_download_has_an_etag_and_answers_304_when_unchanged(self, seed, client):
        response = client.get("/commitments/?topic=space&format=csv")
        assert response["Cache-Control"] == "public, max-age=60"
        b"".join(response.streaming_content)
        again = client.get(
            "/commitments/?topic=space&format=csv", headers={"If-None-Match": response["ETag"]}
        )
        assert again.status_code == 304

    def test_the_etag_differs_between_filters_and_formats(self, seed, client):
        etags = {
            client.get(url)["ETag"]
            for url in ["/commitments/?format=csv", "/commitments/?format=json", "/meetings/?format=csv"]
        }
        assert len(etags) == 3

    @pytest.mark.parametrize(
        "change",
        [
            lambda: Meeting.objects.filter(slug="2026-01-16-it-jp-tokyo").update(title="Corrected"),
            lambda: make_status_change(Commitment.objects.filter(topic="space").first()),
            lambda: Leader.objects.filter(slug="sanae-takaichi").update(
                name="Takaichi Sanae", updated_at=timezone.now()
            ),
        ],
        ids=["meeting", "commitment", "leader"],
    )
    def test_the_etag_changes_when_the_rows_may_have(self, seed, client, change):
        before = client.get("/meetings/?format=json")["ETag"]
        change()
        assert client.get("/meetings/?format=json")["ETag"] != before

    @pytest.mark.parametrize(("pinned", "alias"), [(False, "replica"), (True, "default")])
    def test_the_data_version_is_read_where_the_rows_are(self, seed, settings, monkeypatch, pinned, alias):
        """With a replica, the token behind cached aggregates and ETags comes from the database
        the router reads the rows from, never from the primary while the rows come from the replica."""
        from django.db import connections
        from django.test import RequestFactory

        from agreements import caching, downloads

        asked = []

        class Recording:
            def __getitem__(self, name):
                asked.append(name)
                return connections["default"]  # no real replica in tests: record the alias chosen

        settings.DATABASE_ROUTERS = ["diplomacy.routers.PrimaryReplicaRouter"]
        monkeypatch.setattr(caching, "connections", Recording())
        monkeypatch.setattr(downloads, "connections", Recording())
        token = middleware._pinned.set(pinned)
        try:
            version = caching.data_version()
            validator = downloads.etag(RequestFactory().get("/meetings/?format=csv"))
        finally:
            middleware._pinned.reset(token)
        assert version
        assert validator
        assert asked == [alias, alias]


class TestAddressLockout:
    def test_failures_for_many_usernames_from_one_address_lock_the_address(self, editor, client, settings):
        for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1):
            assert login(client, "sprayed password", username=f"user{n}").status_code == 200
        assert login(client, "sprayed password", username="one-more").status_code == 429
        assert login(client, "a long editor password").status_code == 429
        assert login(Client(), "a long editor password", address="198.51.100.7").status_code == 302

    def test_a_few_failures_of_several_people_behind_one_address_lock_no_one_else(
        self, editor, client, settings
    ):
        for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT // 2):
            login(client, "typo", username=f"colleague{n % 3}")
        assert login(client, "a long editor password").status_code == 302


def test_a_deployment_behind_https_without_a_proxy_count_is_warned_of(settings):
    from diplomacy.checks import proxy_count

    settings.HTTPS, settings.PROXY_COUNT = True, 0
    assert [warning.id for warning in proxy_count()] == ["diplomacy.W001"]
    settings.PROXY_COUNT = 1
    assert proxy_count() == []
    settings.HTTPS, settings.PROXY_COUNT = False, 0
    assert proxy_count() == []


UNREACHABLE_PAGE = (
    "from django.test import Client; "
    "response = Client(HTTP_HOST='agreements.example.org', raise_request_exception=False).get('/about/'); "
    "print(response.status_code, response.get('Retry-After'), 'unavailable for a moment' in response.text, "
    "'Traceback' in response.text)"
)


@pytest.mark.parametrize(
    "database",
    ["postgres://postgres@127.0.0.1:1/nowhere", "sqlite:////nonexistent-directory/record.sqlite3"],
    ids=["postgresql-refused", "sqlite-unopenable"],
)
def test_a_database_that_cannot_be_reached_gives_a_503_page_asking_to_try_again(database):
    result = run_manage("shell", "-c", UNREACHABLE_PAGE, DATABASE_URL=database, HTTPS="0")
    # the page asks to try again and shows no internals; the log keeps the error for the operator
    assert result.stdout.split()[-4:] == ["503", "60", "True", "False"], result.stdout + result.stderr


def test_any_other_error_is_still_a_server_error(db, monkeypatch):
    from django.core.cache import cache

    from agreements import views

    cache.clear()  # a page kept from another test would be served without running the view

    def broken(self, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(views.AboutView, "get_context_data", broken)
    response = Client(raise_request_exception=False).get("/about/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
