"""Detail pages, the pair page, the home and about pages."""

import datetime

import pytest

from agreements.models import Commitment, Topic
from tests.factories import make_commitment, make_leader, make_meeting, make_source, make_status_change

pytestmark = pytest.mark.django_db


def test_pair_page_shows_both_partnership_levels_and_every_meeting(client, seed):
    response = client.get("/relations/it-jp/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "From January 2023: strategic partnership" in html
    assert "From January 2026: special strategic partnership" in html
    assert len(response.context["meetings"]) == 7
    for meeting in response.context["meetings"]:
        assert meeting.get_absolute_url() in html
    assert "25 August 1866" in html
    assert "G7" in html and "G20" in html
    assert "<svg" in html and "<script" not in html and "style=" not in html
    assert 'href="/commitments/?country=it&amp;country=jp"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html


def test_pair_page_redirects_to_alphabetical_order(client, seed):
    response = client.get("/relations/jp-it/")
    assert response.status_code == 301
    assert response["Location"] == "/relations/it-jp/"


@pytest.mark.parametrize(
    "url", ["/relations/fr-jp/", "/relations/jp-jp/", "/relations/it-xx/", "/relations/IT-JP/"]
)
def test_pair_without_records_is_not_found(client, seed, url):
    assert client.get(url).status_code == 404


def test_relation_list_counts_pairs(client, seed):
    response = client.get("/relations/")
    pairs = {tally.pair.slug: (tally.meetings, tally.commitments) for tally in response.context["pairs"]}
    assert next(iter(pairs)) == "it-jp"  # the busiest first
    assert pairs["it-jp"] == (7, Commitment.objects.between("IT", "JP").count())
    # GCAP's third party shares a commitment with each of the two, though it met neither here
    assert pairs["gb-jp"] == (0, 1)


def test_meeting_page_groups_commitments_by_topic_and_lists_sources(client):
    source = make_source(title="Joint statement")
    meeting = make_meeting(sources=[source], venue="Prime Minister's Office")
    make_commitment(meeting=meeting, topic=Topic.objects.get(slug="space"), summary="A space body")
    make_commitment(meeting=meeting, topic=Topic.objects.get(slug="energy"), summary="LNG swaps")
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert html.index("Space") < html.index("A space body") < html.index("Energy") < html.index("LNG swaps")
    assert "Joint statement" in html and "Prime Minister&#x27;s Office" in html


def test_commitment_page_shows_history_target_and_overdue(client):
    commitment = make_commitment(target_date=datetime.date(2020, 12, 31), target_precision="year")
    make_status_change(commitment, date=datetime.date(2021, 3, 1), note="Talks opened.")
    html = client.get(commitment.get_absolute_url()).content.decode()
    assert "2020" in html and "overdue" in html
    assert "1 March 2021" in html and "Talks opened." in html
    assert "Italy" in html and "Japan" in html


def test_country_page_lists_partners_leaders_and_links_to_lists(client, seed):
    html = client.get("/countries/jp/").content.decode()
    assert 'href="/relations/it-jp/"' in html
    assert "Sanae Takaichi" in html
    assert 'href="/meetings/?country=jp"' in html and 'href="/commitments/?country=jp"' in html
    assert "G7" in html


def test_a_country_code_in_capitals_moves_to_lower_case_and_an_unknown_one_is_404(client, seed):
    for url, canonical in [
        ("/countries/JP/", "/countries/jp/"),
        ("/countries/Gb/follow-through/", "/countries/gb/follow-through/"),
    ]:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (301, canonical)
    assert client.get("/countries/xx/").status_code == 404
    assert client.get("/countries/jpn/").status_code == 404


def test_leader_page_shows_term_and_meetings(client):
    leader = make_leader(name="Fumio Kishida", slug="fumio-kishida", left_office=datetime.date(2024, 10, 1))
    meeting = make_meeting(leaders=[leader])
    html = client.get(leader.get_absolute_url()).content.decode()
    assert "1 October 2024" in html and meeting.title in html
    assert client.get("/leaders/").status_code == 200


def test_topic_page_groups_by_status(client):
    make_commitment(status="fulfilled", summary="Done thing")
    make_commitment(status="announced", summary="Promised thing")
    response = client.get("/topics/space/")
    assert [group["status"] for group in response.context["by_status"]] == ["announced", "fulfilled"]
    assert client.get("/topics/").status_code == 200
    assert client.get("/topics/no-such-topic/").status_code == 404


def test_home_page_has_search_latest_meetings_topic_chart_and_pairs(client, seed):
    html = client.get("/").content.decode()
    assert 'role="search"' in html and 'name="q"' in html
    assert "Takaichi and Meloni hold a summit in Tokyo" in html
    assert '<svg class="bar"' in html
    assert 'href="/relations/it-jp/"' in html


def test_pages_carry_no_inline_scripts_or_styles(client, seed):
    for url in ["/", "/about/", "/meetings/", "/commitments/", "/relations/it-jp/", "/countries/it/"]:
        html = client.get(url).content.decode()
        assert "<script" not in html and "style=" not in html, url
        assert "<main" in html and 'aria-label="Main"' in html


def test_topics_keep_the_vocabulary_order_beside_their_counts(client, seed):
    expected = list(Topic.objects.order_by("position").values_list("name", flat=True))
    for url in ["/", "/topics/"]:
        page = client.get(url).content.decode()
        positions = [page.index(f">{name}<") for name in expected]
        assert positions == sorted(positions), url


def test_the_country_list_holds_every_country_with_a_record_of_any_kind(client, seed):
    rows = {country.code: country for country in client.get("/countries/").context["countries"]}
    assert set(rows) == {"GB", "IT", "JP"}  # the United Kingdom: party to GCAP, at no meeting
    gb = rows["GB"]
    assert (gb.meeting_count, gb.commitment_count, gb.agreement_count) == (0, 1, 1)


def test_the_meeting_page_links_its_pair_and_topics_and_names_parties_unlike_its_countries(client, seed):
    page = client.get("/meetings/2026-01-16-it-jp-tokyo/").content.decode()
    assert 'href="/relations/it-jp/">their relations' in page
    assert '<h3 id="topic-space"><a href="/topics/space/">Space</a></h3>' in page
    gcap = page.split("Accelerate joint development of the GCAP")[1].split("</li>")[0]
    assert (
        'Parties: <a href="/countries/it/">Italy</a>, <a href="/countries/jp/">Japan</a>, '
        '<a href="/countries/gb/">United Kingdom</a>' in gcap
    )
    assert page.count('<span class="sub">Parties: ') == 1  # the others' parties are the meeting's


def test_a_target_day_reads_as_the_pages_other_dates_and_a_target_year_as_the_year(client, db):
    from .factories import make_commitment

    day = make_commitment(target_date=datetime.date(2026, 6, 30), target_precision="day")
    year = make_commitment(target_date=datetime.date(2035, 12, 31), target_precision="year")
    page = client.get(day.get_absolute_url()).content.decode()
    assert '<time datetime="2026-06-30">30 Jun 2026</time>' in page
    assert '<time datetime="2035-12-31">2035</time>' in client.get(year.get_absolute_url()).content.decode()
