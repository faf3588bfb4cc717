"""Atom feeds: new meetings and commitments with the lists' filters, and one per pair."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from agreements.models import Topic
from tests.factories import make_commitment, make_meeting

pytestmark = pytest.mark.django_db


def test_meeting_feed_is_atom_and_honours_filters(client):
    make_meeting(title="Call about trade", kind="phone-call")
    make_meeting(title="Summit in Rome", kind="summit")
    response = client.get("/feeds/meetings/", {"kind": "phone-call"})
    assert response["Content-Type"] == "application/xml; charset=utf-8"  # browsers show it; readers read it
    xml = response.content.decode()
    assert "Call about trade" in xml and "Summit in Rome" not in xml


def test_commitment_feed_honours_topic(client):
    make_commitment(topic=Topic.objects.get(slug="space"), summary="Space body")
    make_commitment(topic=Topic.objects.get(slug="energy"), summary="LNG swaps")
    xml = client.get("/feeds/commitments/", {"topic": "space"}).content.decode()
    assert "Space body" in xml and "LNG swaps" not in xml


def test_feed_with_a_bad_filter_is_a_bad_request(client):
    assert client.get("/feeds/commitments/", {"topic": "nope"}).status_code == 400
    assert client.get("/feeds/meetings/", {"date_after": "notadate"}).status_code == 400


def test_pair_feed_lists_meetings_and_commitments(client, seed):
    xml = client.get("/relations/it-jp/feed/").content.decode()
    assert "Takaichi and Meloni hold a summit in Tokyo" in xml
    assert "consultative body on space cooperation" in xml
    assert client.get("/relations/it-xx/feed/").status_code == 404


def test_pair_feed_follows_the_pair_page_url_rules(client, seed):
    for suffix in ("", "feed/"):
        reversed_order = client.get(f"/relations/jp-it/{suffix}")
        assert reversed_order.status_code == 301
        assert reversed_order["Location"] == f"/relations/it-jp/{suffix}"
        assert client.get(f"/relations/de-fr/{suffix}").status_code == 404  # no records
        assert client.get(f"/relations/jp-jp/{suffix}").status_code == 404


def test_list_pages_link_their_feeds(client):
    html = client.get("/commitments/", {"topic": "space"}).content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="New commitments" '
        'href="/feeds/commitments/?topic=space">' in html
    )


def test_a_filtered_feed_names_its_filters_and_links_itself_with_them(client):
    from xml.etree import ElementTree

    make_commitment(topic=Topic.objects.get(slug="space"), summary="Space body")
    feed = ElementTree.fromstring(
        client.get("/feeds/commitments/", {"topic": "space", "country": "jp"}).content
    )
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.find(f"{atom}title").text == (
        "New commitments where Topics (any of): Space; Parties (all of): Japan · Bilateral agreements"
    )
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{atom}link")}
    assert links["self"].endswith("/feeds/commitments/?topic=space&country=jp")
    assert links["alternate"].endswith("/commitments/?topic=space&country=jp")
    plain = ElementTree.fromstring(client.get("/feeds/meetings/").content)
    assert plain.find(f"{atom}title").text == "New meetings · Bilateral agreements"


def test_words_with_control_characters_are_refused_by_a_feed_as_by_its_list(client):
    assert client.get("/feeds/meetings/", {"q": "summit\x1b"}).status_code == 400
    response = client.get("/meetings/", {"q": "summit\x1b"})
    assert response.status_code == 400
    assert "without control characters" in response.content.decode()


def test_a_feed_names_its_stylesheet_so_a_browser_shows_it_as_a_page(client):
    response = client.get("/feeds/meetings/")
    head = response.content.decode().splitlines()[:2]
    assert head[1].startswith("<?xml-stylesheet ") and 'type="text/css"' in head[1]
    href = re.search(r'href="([^"]+)"', head[1])[1]
    assert href.startswith(settings.STATIC_URL)
    assert finders.find(href.removeprefix(settings.STATIC_URL))


def test_a_commitment_s_entry_says_what_last_changed_and_when(client):
    import datetime
    from xml.etree import ElementTree

    from tests.factories import country, make_status_change

    commitment = make_commitment(summary="Open a joint space office")
    make_status_change(commitment, date=datetime.date(2026, 3, 1), status="in-progress")
    make_status_change(
        commitment,
        date=datetime.date(2026, 4, 1),
        status="fulfilled",
        party=country("IT"),
        note="Rome ratified <b>it</b>.",
    )
    atom = "{http://www.w3.org/2005/Atom}"
    for url in ("/feeds/commitments/", "/relations/it-jp/feed/"):
        entries = ElementTree.fromstring(client.get(url).content).iter(f"{atom}entry")
        entry = next(e for e in entries if "Open a joint space office" in e.findtext(f"{atom}title"))
        assert entry.findtext(f"{atom}summary").startswith(
            "In progress. Latest entry, 1 April 2026: now fulfilled for Italy. "
            "Rome ratified <b>it</b>. Agreed at Summit"
        )
        last = commitment.history.order_by("recorded_at").last()
        assert entry.findtext(f"{atom}updated") == last.recorded_at.isoformat()
    make_status_change(commitment, date=datetime.date(2026, 5, 1), status="in-progress", review=True, note="")
    summary = ElementTree.fromstring(client.get("/feeds/commitments/").content).findtext(
        f"{atom}entry/{atom}summary"
    )
    assert summary.startswith("In progress. Latest entry, 1 May 2026: reviewed, no change (in progress).")
