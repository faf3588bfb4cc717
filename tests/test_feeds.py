"""Atom feeds: new meetings and commitments with the lists' filters, and one per pair."""

import pytest

from agreements.models import Topic
from tests.factories import make_commitment, make_meeting

pytestmark = pytest.mark.django_db


def test_meeting_feed_is_atom_and_honours_filters(client):
    make_meeting(title="Call about trade", kind="phone-call")
    make_meeting(title="Summit in Rome", kind="summit")
    response = client.get("/feeds/meetings/", {"kind": "phone-call"})
    assert response["Content-Type"].startswith("application/atom+xml")
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


def test_words_with_control_characters_leave_them_out_of_the_feed_s_title(client):
    from xml.etree import ElementTree

    response = client.get("/feeds/meetings/", {"q": "summit\x1b"})
    assert response.status_code == 200
    title = ElementTree.fromstring(response.content).find("{http://www.w3.org/2005/Atom}title").text
    assert title == "New meetings where Words: summit · Bilateral agreements"
