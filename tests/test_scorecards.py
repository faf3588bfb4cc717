"""Follow-through scorecards of a pair, a country and a topic: every figure against a count made
here by hand, the links to the lists they count, the downloads, and the queries at two sizes."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.models import Topic

from .factories import country, make_commitment, make_meeting, make_status_change

pytestmark = pytest.mark.django_db

DAY = datetime.date
PAIR = "/relations/it-jp/follow-through/"


def agreed(day, summary, parties=("IT", "JP"), topic="energy", **fields):
    meeting = make_meeting(date=day, countries=("IT", "JP", "GB") if "GB" in parties else ("IT", "JP"))
    return make_commitment(
        meeting=meeting, summary=summary, parties=list(parties), topic=Topic.objects.get(slug=topic), **fields
    )


@pytest.fixture
def record():
    """Five commitments of Italy and Japan and one of the three with Britain; today is at least
    2026-12-02, so a review in 2026-06 is recent and an entry of 2024 is not."""
    space = agreed(DAY(2024, 1, 10), "Space body", topic="space")
    make_status_change(space, date=DAY(2024, 7, 10), status="fulfilled")  # 182 days
    minerals = agreed(DAY(2024, 3, 1), "Minerals")
    make_status_change(minerals, date=DAY(2025, 3, 1), status="fulfilled")  # 365 days
    make_status_change(minerals, date=DAY(2026, 6, 1), status="fulfilled", review=True)
    treaty = agreed(DAY(2024, 5, 1), "Ratify", target_date=DAY(2025, 1, 1), target_precision="day")
    make_status_change(treaty, date=DAY(2025, 2, 1), status="fulfilled", party=country("IT"))
    agreed(DAY(2024, 6, 1), "Old and open")
    talks = agreed(DAY(2024, 8, 1), "Talks", target_date=DAY(2030, 12, 31), target_precision="year")
    make_status_change(talks, date=DAY(2026, 6, 1), status="in-progress")
    fighter = agreed(DAY(2025, 9, 1), "Fighter", parties=("GB", "IT", "JP"))
    make_status_change(fighter, date=DAY(2025, 11, 1), status="lapsed")
    return space


def figures(client, url):
    rows = csv.DictReader(
        io.StringIO(b"".join(client.get(url, {"format": "csv"}).streaming_content).decode("utf-8-sig"))
    )
    return {(row["figure"], row["party"], row["status"]): row["value"] for row in rows}


def test_the_pair_s_figures_are_the_counts_made_by_hand(client, record):
    found = figures(client, PAIR)
    assert found[("commitments", "", "")] == "6"
    assert [
        found[("by_status", "", status)] for status in ("announced", "in-progress", "fulfilled", "lapsed")
    ] == [
        "2",  # Ratify (shared), Old and open
        "1",  # Talks
        "2",  # Space body, Minerals
        "1",  # Fighter
    ]
    assert [
        found[("by_party_status", "IT", s)] for s in ("announced", "in-progress", "fulfilled", "lapsed")
    ] == [
        "1",
        "1",
        "3",  # Italy ratified
        "1",
    ]
    assert [
        found[("by_party_status", "JP", s)] for s in ("announced", "in-progress", "fulfilled", "lapsed")
    ] == [
        "2",
        "1",
        "2",
        "1",
    ]
    assert found[("reviewed_last_12_months", "", "")] == "2"  # Minerals' review and Talks, in 2026-06
    assert found[("stale", "", "")] == "2"  # Ratify and Old and open: open, last entry in 2024
    assert found[("overdue", "", "")] == "1"  # Ratify's 2025 target (Fighter lapsed, but with no target)
    assert found[("fulfilled_with_dates", "", "")] == "2"
    assert found[("median_days_to_fulfilment", "", "")] == "274"  # (182 + 365) / 2 = 273.5, a half day up


def test_the_page_shows_the_figures_each_linking_to_the_list_it_counts(client, record):
    page = client.get(PAIR).content.decode()
    assert "Italy and Japan: what became of 6 commitments" in page
    assert (
        '<a href="/commitments/?country=it&amp;country=jp&amp;party=it&amp;party_status=fulfilled">3</a>'
        in page
    )
    assert '<a href="/commitments/?country=it&amp;country=jp&amp;stale=1">2</a>' in page
    assert "<strong>2</strong> of 6 (33%)" in page
    assert "<strong>274 days</strong> (about 9 months)" in page
    assert page.count('<svg class="score-bar"') == 3
    listed = client.get(
        "/commitments/", {"country": ["it", "jp"], "party": "it", "party_status": "fulfilled"}
    )
    assert {c.summary for c in listed.context["commitment_list"]} == {"Space body", "Minerals", "Ratify"}
    stale = client.get("/commitments/", {"country": ["it", "jp"], "stale": "1"})
    assert {c.summary for c in stale.context["commitment_list"]} == {"Ratify", "Old and open"}


def test_a_country_s_and_a_topic_s_scorecards(client, record):
    britain = figures(client, "/countries/gb/follow-through/")
    assert (britain[("commitments", "", "")], britain[("by_party_status", "GB", "lapsed")]) == ("1", "1")
    space = figures(client, "/topics/space/follow-through/")
    assert space[("commitments", "", "")] == "1"
    assert space[("median_days_to_fulfilment", "", "")] == "182"
    assert not any(figure == "by_party_status" for figure, _party, _status in space)
    data = json.loads(
        b"".join(client.get("/topics/space/follow-through/", {"format": "json"}).streaming_content)
    )
    assert data["list"] == "scorecard" and data["results"][0]["url"].endswith("/commitments/?topic=space")


def test_the_urls_follow_the_pair_and_country_rules(client, record):
    assert client.get("/relations/jp-it/follow-through/").status_code == 301
    assert client.get("/relations/it-it/follow-through/").status_code == 404
    assert client.get("/countries/xx/follow-through/").status_code == 404
    assert client.get("/topics/no-such-topic/follow-through/").status_code == 404
    assert client.get(PAIR, {"format": "xml"}).status_code == 400


def test_a_scope_without_commitments_says_so(client, db):
    page = client.get("/countries/fr/follow-through/").content.decode()
    assert "No commitments recorded." in page


def test_the_same_queries_whatever_the_number_of_commitments(client, record):
    urls = [PAIR, "/countries/it/follow-through/", "/topics/space/follow-through/"]
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url, {"format": "csv"})
        counts[url] = len(queries)
    for n in range(20):
        commitment = agreed(DAY(2023, 1, 1 + n), f"More {n}", topic="space")
        make_status_change(commitment, date=DAY(2023, 6, 1), status="fulfilled", party=country("JP"))
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url, {"format": "csv"})
        assert len(queries) == counts[url], url


def test_reviewed_means_within_365_days_of_today(client, db):
    today = timezone.localdate()
    recent = agreed(today - datetime.timedelta(days=400), "Reviewed 365 days ago")
    make_status_change(recent, date=today - datetime.timedelta(days=365), status="announced", review=True)
    found = figures(client, PAIR)
    assert (found[("reviewed_last_12_months", "", "")], found[("stale", "", "")]) == ("1", "0")


def test_the_seed_s_scorecard_on_a_fixed_day(seed):
    from agreements import scorecards
    from agreements.models import Commitment, CommitmentPair

    italy, japan = country("IT"), country("JP")
    card = scorecards.build(
        "Italy and Japan",
        rows=CommitmentPair.objects.between(italy, japan),
        list_params={},
        parties=[italy, japan],
        today=DAY(2026, 12, 6),
    )
    assert card.total == 13
    assert [figure.value for figure in card.by_status] == [10, 1, 2, 0]
    # the eight of the Tokyo summit, the visit it fulfilled and the ACSA reviewed on 16 January 2026
    assert card.reviewed == 10
    # open and last reviewed before 6 December 2025: the Action Plan (5 March 2025), the two of 2023
    assert card.stale.value == 3
    # the ACSA talks, 14 June to 25 November 2024 (164 days); the visit, 5 November 2025 to
    # 16 January 2026 (72 days)
    assert (card.fulfilled_with_dates, card.median_days_to_fulfilment) == (2, 118)
    overdue = [c for c in Commitment.objects.all() if c.target_date and c.target_date < DAY(2026, 12, 6)]
    assert card.overdue.value == len([c for c in overdue if c.status != "fulfilled"])
