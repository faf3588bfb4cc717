"""The site-wide search page (/search/?q=) and the helpful empty state of a list filtered by kind."""

import html
import re

import pytest

from .factories import make_agreement, make_commitment, make_leader, make_meeting

pytestmark = pytest.mark.django_db


def section(page, name):
    """The HTML of one section of the search page."""
    match = re.search(rf'<section aria-labelledby="{name}-heading".*?</section>', page, re.S)
    assert match, name
    return match.group()


def test_each_kind_of_record_has_its_section_with_a_count_and_a_link_to_its_list(client, seed):
    page = client.get("/search/", {"q": "Italy"}).content.decode()
    meetings = section(page, "meetings")
    assert 'Meetings <span class="count">(7)</span>' in meetings
    assert meetings.count("<li>") == 5
    assert 'href="/meetings/?q=italy"' in meetings and "All the meetings matching “italy”</a>" in meetings
    commitments = section(page, "commitments")
    assert "(13)" in commitments and 'href="/commitments/?q=italy"' in commitments
    assert "(6)" in section(page, "agreements") and 'href="/agreements/?q=italy"' in section(
        page, "agreements"
    )
    assert "No leaders match." in section(page, "leaders")
    assert 'href="/countries/it/"' in section(page, "countries")


def test_leaders_and_countries_by_name_alias_and_without_accents(client, seed):
    make_leader(name="José Example", country_id="GB", title="Prime Minister of the United Kingdom")
    page = client.get("/search/", {"q": "jose"}).content.decode()
    assert "José Example" in section(page, "leaders")
    page = client.get("/search/", {"q": "Britain"}).content.decode()
    assert 'href="/countries/gb/"' in section(page, "countries")
    assert "GCAP" in section(page, "commitments")


def test_a_count_beyond_the_bound_says_more_than(client, seed, monkeypatch):
    monkeypatch.setattr("agreements.views.SECTION_COUNT_LIMIT", 6)
    for n in range(8):
        make_commitment(summary=f"Harbour works {n}")
    commitments = section(client.get("/search/", {"q": "harbour"}).content.decode(), "commitments")
    assert "(more than 6)" in commitments and "All the commitments matching “harbour”" in commitments


def test_the_query_is_escaped_in_the_page_and_in_its_links(client, seed):
    make_meeting(title="Talks about scripts")
    query = '"<script>" OR alert(1)&x=1'
    page = client.get("/search/", {"q": query}).content.decode()
    assert "<script>" not in page.split("<main", 1)[1]
    assert f'value="{html.escape(query)}"' in page
    # one word, then one bare word written with punctuation: a phrase of its words
    assert 'href="/meetings/?q=script+OR+%22alert+1+x+1%22"' in section(page, "meetings")
    assert "matching “script OR &quot;alert 1 x 1&quot;”" in section(page, "meetings")


def test_same_search_written_two_ways_gives_the_same_links(client, seed):
    one = client.get("/search/", {"q": "GCAP  or  LNG"}).content.decode()
    two = client.get("/search/", {"q": "gcap or lng"}).content.decode()
    assert section(one, "commitments") == section(two, "commitments")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("x" * 201, "Search for at most 200 characters (this search has 201)."),
        (" ".join(f"w{n}" for n in range(11)), "Search for at most 10 words (this search has 11)."),
        ("a OR b OR c OR d OR e OR f", "Join at most 5 alternatives with OR."),
    ],
)
def test_a_query_beyond_the_bounds_answers_400_with_the_reason(client, query, message):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_empty_search_is_the_form_and_a_blank_one_redirects(client, db):
    response = client.get("/search/")
    assert response.status_code == 200 and "<section" not in response.content.decode().split("<main", 1)[1]
    assert client.get("/search/?q=").status_code == 301
    punctuation = client.get("/search/", {"q": "— &"})
    assert punctuation.status_code == 200


def test_the_home_page_search_box_searches_everything(client, seed):
    page = client.get("/").content.decode()
    assert '<form method="get" action="/search/" role="search"' in page
    assert 'href="/about/#search"' in page


def test_the_about_page_explains_the_search_syntax(client, db):
    page = client.get("/about/").content.decode()
    assert 'id="search"' in page and "OR" in page and "at most 10 words" in page


def test_the_search_page_follows_writes(client, seed):
    assert "No meetings match." in section(
        client.get("/search/", {"q": "zanzibar"}).content.decode(), "meetings"
    )
    make_meeting(title="Talks in Zanzibar")
    assert "Talks in Zanzibar" in section(
        client.get("/search/", {"q": "zanzibar"}).content.decode(), "meetings"
    )
    make_agreement(title="Zanzibar accord")
    assert "Zanzibar accord" in section(
        client.get("/search/", {"q": "zanzibar"}).content.decode(), "agreements"
    )


# A list filtered by a kind no meeting is of


def test_no_meeting_of_a_kind_offers_the_meetings_mentioning_it(client, seed):
    response = client.get("/meetings/", {"kind": "summit"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "No meetings are of the kind “Summit”" in page
    assert 'href="?q=summit">Meetings mentioning “summit”</a>' in page
    found = client.get("/meetings/", {"q": "summit"}).content.decode()
    assert "Takaichi and Meloni hold a summit in Tokyo" in found


def test_the_offer_keeps_the_other_filters_and_quotes_a_kind_of_two_words(client, seed):
    page = client.get("/meetings/", {"kind": "video-call", "country": "jp"}).content.decode()
    assert "No meetings with the other filters are of the kind “Video call”" in page
    assert 'href="?country=jp&amp;q=%22video+call%22"' in page


def test_an_empty_list_without_a_kind_keeps_the_plain_message(client, seed):
    page = client.get("/meetings/", {"q": "zanzibar"}).content.decode()
    assert "No meetings match these filters." in page and "of the kind" not in page
