"""The read path under what strangers send: bounded repeatable parameters, no cache entry for a
parameter the page does not declare, and a failing cache that costs a computed page, not a 500."""

import datetime

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from agreements.filters import MAX_COUNTRIES

SIX_COUNTRIES = [("country", code) for code in ("jp", "it", "fr", "de", "gb", "us")]


def entries():
    return len(cache._cache)


@pytest.mark.parametrize("url", ["/meetings/", "/commitments/"])
def test_parameters_the_page_does_not_declare_make_no_cache_entry(client, seed, url):
    cache.clear()
    assert client.get(url).status_code == 200
    kept = entries()
    assert kept == 1
    for n in range(20):
        assert client.get(url, {f"j{n}": "1"}).status_code == 200
    assert entries() == kept


@pytest.mark.parametrize("url", ["/meetings/", "/commitments/", "/feeds/meetings/", "/feeds/commitments/"])
@pytest.mark.parametrize("export", [None, "csv", "json"])
def test_more_countries_than_the_limit_answer_400(client, seed, django_assert_max_num_queries, url, export):
    if export and "/feeds/" in url:
        pytest.skip("feeds have no downloads")
    query = "&".join(f"{name}={value}" for name, value in SIX_COUNTRIES)
    if export:
        query += f"&format={export}"
    assert len(SIX_COUNTRIES) == MAX_COUNTRIES + 1
    with django_assert_max_num_queries(3):  # refused before any row is read
        response = client.get(f"{url}?{query}")
    assert response.status_code == 400
    if not export and "/feeds/" not in url:
        assert f"Give at most {MAX_COUNTRIES} countries." in response.content.decode()


def test_five_countries_are_accepted(client, seed):
    query = "&".join(f"{name}={value}" for name, value in SIX_COUNTRIES[:MAX_COUNTRIES])
    assert client.get(f"/meetings/?{query}").status_code == 200


class Broken(LocMemCache):
    def get(self, *args, **kwargs):
        raise ConnectionError("cache is down")

    def set(self, *args, **kwargs):
        raise ConnectionError("cache is down")


@pytest.mark.parametrize(
    "url",
    ["/", "/meetings/", "/commitments/?topic=space", "/relations/it-jp/", "/countries/jp/", "/topics/"],
)
def test_a_cache_that_fails_still_serves_pages(client, seed, monkeypatch, url):
    from agreements import caching

    monkeypatch.setattr(caching, "cache", Broken("broken", {}))
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200


def test_a_write_shows_at_once_on_a_kept_page(client, seed):
    from agreements.models import Meeting

    assert "Renamed summit" not in client.get("/meetings/").content.decode()
    Meeting.objects.filter(slug="2026-01-16-it-jp-tokyo").update(title="Renamed summit")
    assert "Renamed summit" in client.get("/meetings/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_public_read_past_the_statement_timeout_answers_503(client, settings, monkeypatch):
    from django.db import connection

    from agreements import views

    if connection.vendor != "postgresql":
        pytest.skip("statement timeouts are PostgreSQL's")
    settings.PUBLIC_STATEMENT_TIMEOUT = 50

    def slow(self, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")

    monkeypatch.setattr(views.AboutView, "get_context_data", slow)
    response = client.get("/about/")
    assert response.status_code == 503
    assert "took too long" in response.content.decode()
    monkeypatch.undo()
    assert client.get("/about/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


def test_counts_past_the_bound_say_more_than_and_facets_past_theirs_say_why(client, seed, monkeypatch):
    from agreements import filters

    monkeypatch.setattr(filters, "COUNT_LIMIT", 3)
    monkeypatch.setattr(filters, "FACET_LIMIT", 3)
    html = client.get("/commitments/", {"date_after": "2000-01-02"}).content.decode()
    assert "More than 3 commitments" in html
    assert "Download all of them, every row" in html
    assert "Topics, Statuses, Years: not counted, too many rows." in html
    paginator = client.get("/commitments/", {"date_after": "2000-01-02", "page": "9"}).context["paginator"]
    assert (paginator.count, paginator.exact, paginator.num_pages) == (3, False, 1)


def test_pages_stop_at_the_bound_and_a_page_past_it_shows_the_last_one_open(db, client, monkeypatch):
    from agreements import views

    from .factories import make_meeting

    monkeypatch.setattr(views, "MAX_PAGES", 2)
    for n in range(60):  # three pages of 25
        make_meeting(title=f"Talks {n:02d}", date=datetime.date(2001, 1, 1) + datetime.timedelta(days=n))
    response = client.get("/meetings/", {"page": "3"})
    assert response.status_code == 200
    assert (response.context["page_obj"].number, response.context["paginator"].num_pages) == (2, 2)
    html = response.content.decode()
    assert "60 meetings" in html
    assert "Sort the other way or narrow the filters to reach the rest" in html
    assert "Talks 10" in html and "Talks 09" not in html  # rows 26 to 50, newest first
    assert "?page=3" not in html
