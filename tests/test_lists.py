"""The filtered lists: every filter a GET parameter, facets, pagination that keeps the filters."""

import datetime

import pytest

from agreements.models import Topic
from tests.factories import country, make_commitment, make_leader, make_meeting

pytestmark = pytest.mark.django_db


def rows(response, name):
    return list(response.context[name])


# Meetings -----------------------------------------------------------------------------------


def test_meeting_list_country_pair_needs_every_country(client):
    pair = make_meeting(countries=("IT", "JP"))
    make_meeting(countries=("FR", "JP"))
    response = client.get("/meetings/", {"country": ["jp", "it"]})
    assert response.status_code == 200
    assert rows(response, "meeting_list") == [pair]


def test_meeting_list_filters_by_leader_kind_and_dates(client):
    leader = make_leader(slug="sanae-takaichi")
    call = make_meeting(kind="phone-call", leaders=[leader], date=datetime.date(2025, 11, 5))
    make_meeting(kind="summit", date=datetime.date(2024, 1, 1))
    assert rows(client.get("/meetings/", {"leader": "sanae-takaichi"}), "meeting_list") == [call]
    assert rows(client.get("/meetings/", {"kind": "phone-call"}), "meeting_list") == [call]
    assert rows(client.get("/meetings/", {"date_after": "2025-01-01"}), "meeting_list") == [call]
    assert call not in rows(client.get("/meetings/", {"date_before": "2024-12-31"}), "meeting_list")


def test_meeting_list_sorts_by_date_both_ways(client):
    old = make_meeting(date=datetime.date(2020, 1, 1))
    new = make_meeting(date=datetime.date(2026, 1, 1))
    assert rows(client.get("/meetings/", {"sort": "date"}), "meeting_list") == [old, new]
    assert rows(client.get("/meetings/", {"sort": "-date"}), "meeting_list") == [new, old]


@pytest.mark.parametrize("url", ["/meetings/", "/commitments/"])
def test_a_sort_naming_no_column_keeps_the_list_s_own_order(client, seed, url):
    import warnings

    from django.core.paginator import UnorderedObjectListWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", UnorderedObjectListWarning)
        chosen = client.get(url, {"sort": ","})
    assert list(chosen.context["object_list"]) == list(client.get(url).context["object_list"])


def test_meeting_search_matches_title_place_and_leader(client):
    leader = make_leader(name="Giorgia Meloni", slug="giorgia-meloni", country=country("IT"))
    by_leader = make_meeting(title="A summit", city="Rome", leaders=[leader])
    by_city = make_meeting(title="Another summit", city="Hiroshima")
    by_title = make_meeting(title="Space talks", city="Osaka")
    assert rows(client.get("/meetings/", {"q": "meloni"}), "meeting_list") == [by_leader]
    assert rows(client.get("/meetings/", {"q": "Hiroshima"}), "meeting_list") == [by_city]
    assert rows(client.get("/meetings/", {"q": "space osaka"}), "meeting_list") == [by_title]
    assert rows(client.get("/meetings/", {"q": "space rome"}), "meeting_list") == []


def test_pagination_keeps_the_filters(client):
    for _ in range(30):
        make_meeting(kind="phone-call", city="")
    response = client.get("/meetings/", {"kind": "phone-call", "country": "jp"})
    html = response.content.decode()
    assert response.context["paginator"].num_pages == 2
    assert 'href="?kind=phone-call&amp;country=jp&amp;page=2"' in html
    page_two = client.get("/meetings/", {"kind": "phone-call", "country": "jp", "page": "2"})
    assert len(rows(page_two, "meeting_list")) == 5


# Commitments --------------------------------------------------------------------------------


def test_commitment_topic_is_any_of(client):
    space = make_commitment(topic=Topic.objects.get(slug="space"))
    energy = make_commitment(topic=Topic.objects.get(slug="energy"))
    make_commitment(topic=Topic.objects.get(slug="culture"))
    response = client.get("/commitments/", {"topic": ["space", "energy"]})
    assert set(rows(response, "commitment_list")) == {space, energy}


def test_commitment_parties_must_all_be_given_countries(client):
    meeting = make_meeting(countries=("GB", "IT", "JP"))
    trilateral = make_commitment(meeting=meeting)
    bilateral = make_commitment(meeting=meeting, parties=["IT", "JP"])
    response = client.get("/commitments/", {"country": ["gb", "jp"]})
    assert rows(response, "commitment_list") == [trilateral]
    assert set(rows(client.get("/commitments/", {"country": ["it", "jp"]}), "commitment_list")) == {
        trilateral,
        bilateral,
    }


def test_commitment_status_overdue_and_dates(client):
    late = make_commitment(target_date=datetime.date(2020, 1, 1), target_precision="day")
    make_commitment(target_date=datetime.date(2020, 1, 1), target_precision="day", status="fulfilled")
    make_commitment(target_date=datetime.date(2099, 1, 1), target_precision="day")
    done = make_commitment(status="fulfilled", meeting=make_meeting(date=datetime.date(2023, 1, 10)))
    assert rows(client.get("/commitments/", {"overdue": "1"}), "commitment_list") == [late]
    assert rows(
        client.get("/commitments/", {"status": "fulfilled", "date_before": "2023-12-31"}), "commitment_list"
    ) == [done]


def test_seed_space_filter_lists_the_consultative_body_and_no_minerals(client, seed):
    response = client.get("/commitments/", {"topic": "space"})
    html = response.content.decode()
    assert "consultative body on space cooperation" in html
    assert "critical minerals" not in html.lower().split("results-heading")[1]
    assert all(c.topic_id == "space" for c in response.context["commitment_list"])


def test_seed_search_finds_the_same_rows_for_simple_words(client, seed):
    response = client.get("/commitments/", {"q": "minerals"})
    summaries = [c.summary for c in response.context["commitment_list"]]
    assert summaries == ["Cooperate on resilient supply chains for critical minerals"]
    assert len(rows(client.get("/meetings/", {"q": "Kishida"}), "meeting_list")) == 4
    assert len(rows(client.get("/meetings/", {"q": "tokyo"}), "meeting_list")) == 3


# Facets -------------------------------------------------------------------------------------


def facet(response, parameter):
    return next(f for f in response.context["facets"] if f["parameter"] == parameter)


def test_topic_facet_counts_follow_other_filters_and_add_or_remove_a_value(client):
    make_commitment(topic=Topic.objects.get(slug="space"), status="announced")
    make_commitment(topic=Topic.objects.get(slug="space"), status="fulfilled")
    make_commitment(topic=Topic.objects.get(slug="energy"), status="announced")
    response = client.get("/commitments/", {"status": "announced", "topic": "space"})
    items = {item["value"]: item for item in facet(response, "topic")["items"]}
    assert items["space"]["count"] == 1 and items["space"]["selected"]
    assert items["energy"]["count"] == 1 and not items["energy"]["selected"]
    html = response.content.decode()
    assert 'href="?status=announced&amp;topic=space&amp;topic=energy"' in html  # adds energy
    assert 'href="?status=announced"' in html  # removes space


def test_year_and_kind_facets_on_meetings(client):
    make_meeting(kind="summit", date=datetime.date(2023, 5, 18))
    make_meeting(kind="phone-call", date=datetime.date(2025, 11, 5))
    response = client.get("/meetings/", {"kind": "summit"})
    assert [(i["value"], i["count"]) for i in facet(response, "year")["items"]] == [("2023", 1)]
    kinds = {i["value"]: i["count"] for i in facet(response, "kind")["items"]}
    assert kinds == {"summit": 1, "phone-call": 1}
    assert (
        'href="?kind=summit&amp;date_after=2023-01-01&amp;date_before=2023-12-31"'
        in response.content.decode()
    )


def test_status_labels_link_to_their_definition(client):
    make_commitment(status="in-progress")
    html = client.get("/commitments/").content.decode()
    assert 'href="/about/#status-in-progress"' in html
    assert 'href="/about/#topic-space"' in html
    about = client.get("/about/").content.decode()
    assert 'id="status-in-progress"' in about and 'id="topic-space"' in about


def test_commitment_sort_menu_shows_the_intended_labels(client):
    choices = dict(client.get("/commitments/").context["filter"].form.fields["sort"].choices)
    assert choices["date"] == "Date agreed, oldest first"
    assert choices["-date"] == "Date agreed, newest first"
    assert choices["topic"] == "Topic"
    assert choices["target"] == "Target, soonest first"
    assert choices["-target"] == "Target, latest first"


def test_meeting_sort_menu_shows_the_intended_labels(client):
    choices = dict(client.get("/meetings/").context["filter"].form.fields["sort"].choices)
    assert choices["date"] == "Date, oldest first"
    assert choices["-date"] == "Date, newest first"
    assert choices["title"] == "Title"


def test_search_splits_words_at_underscores_on_every_database():
    from agreements.models import Meeting

    make_meeting(title="Talks on the a_b corridor")
    make_meeting(title="Talks on the ab corridor")
    assert Meeting.objects.matching("a_b").count() == 1
    assert Meeting.objects.matching("b").count() == 1
    assert Meeting.objects.matching("b_corr").count() == 1
    assert Meeting.objects.matching("ab").count() == 1


def test_the_active_filters_are_listed_each_with_a_link_that_removes_it(client, seed):
    response = client.get(
        "/commitments/",
        {"country": ["gb", "jp"], "topic": "defence-security", "status": "announced", "page": "1"},
    )
    active = [
        (item["label"], item["value"], item["remove"]) for item in response.context["filter"].active_filters()
    ]
    assert active == [
        ("Topics (any of)", "Defence and security", "?country=gb&country=jp&status=announced"),
        ("Status", "Announced", "?country=gb&country=jp&topic=defence-security"),
        ("Parties (all of)", "United Kingdom", "?country=jp&topic=defence-security&status=announced"),
        ("Parties (all of)", "Japan", "?country=gb&topic=defence-security&status=announced"),
    ]
    page = response.content.decode()
    assert 'aria-label="Remove Parties (all of): United Kingdom"' in page
    assert client.get("/commitments/?overdue=yes").context["filter"].active_filters()[0]["value"] == "yes"
    assert client.get("/commitments/").context["filter"].active_filters() == []


def test_the_commitment_list_offers_every_party_to_a_commitment(client, seed):
    options = client.get("/commitments/").context["filter"].form.fields["country"].widget.choices
    assert [code for code, _name in options] == ["it", "jp", "gb"]  # by name: the UK is party to GCAP


def test_column_headers_sort_the_list_and_then_the_other_way(client, seed):
    page = client.get("/commitments/", {"topic": "space", "page": "1"}).content.decode()
    assert '<th scope="col"><a href="?topic=space&amp;sort=target">Target</a></th>' in page
    assert (
        '<th scope="col" aria-sort="descending"><a href="?topic=space&amp;sort=date">Agreed</a></th>' in page
    )
    page = client.get("/commitments/", {"sort": "target"}).content.decode()
    assert '<th scope="col" aria-sort="ascending"><a href="?sort=-target">Target</a></th>' in page
    assert '<th scope="col"><a href="?sort=date">Agreed</a></th>' in page
    meetings = client.get("/meetings/", {"sort": "-title"}).content.decode()
    assert '<th scope="col" aria-sort="descending"><a href="?sort=title">Meeting</a></th>' in meetings
