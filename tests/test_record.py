"""The sourced record of 2025–26 meetings in `fixtures/record-2025-26/`: it loads, every record
cites a source, and the pages of its richest pairs stay within their query budgets."""

import datetime
import json
from itertools import combinations

import pytest
from django.core.cache import cache
from django.db.models import Q

from agreements.importer import import_files
from agreements.models import (
    Agreement,
    AgreementCitation,
    AgreementEvent,
    Citation,
    Commitment,
    CommitmentCitation,
    Leader,
    LeaderCitation,
    Meeting,
    MeetingCitation,
    PairTally,
    Status,
    StatusChange,
)
from tests.conftest import RECORD_FILES
from tests.test_query_budget import PAGES, queries_and_status

pytestmark = pytest.mark.django_db

FIRST_DAY, LAST_DAY = datetime.date(2025, 1, 1), datetime.date(2026, 11, 30)


def record_meetings():
    return Meeting.objects.filter(date__range=(FIRST_DAY, LAST_DAY))


def test_the_record_is_as_large_as_promised(realistic_record):
    meetings = record_meetings()
    pairs = {
        frozenset(pair)
        for meeting in meetings.prefetch_related("countries")
        for pair in combinations(sorted(c.code for c in meeting.countries.all()), 2)
    }
    assert meetings.count() >= 80
    assert len(pairs) >= 25
    assert Commitment.objects.filter(meeting__in=meetings).count() >= 250
    assert Agreement.objects.filter(meeting__in=meetings).exists()
    kinds = set(meetings.values_list("kind", flat=True))
    assert {"phone-call", "official-visit", "sideline-talks"} <= kinds
    assert meetings.filter(countries="EU").exists()


def test_importing_the_record_again_changes_nothing(realistic_record):
    report = import_files([(path.name, path.read_bytes()) for path in RECORD_FILES])

    assert not report.changed


def test_every_record_cites_a_source(realistic_record):
    meetings = record_meetings()
    assert not meetings.filter(citations__isnull=True).exists()
    assert not Commitment.objects.filter(meeting__in=meetings, citations__isnull=True).exists()
    assert not Agreement.objects.filter(citations__isnull=True).exists()
    assert not StatusChange.objects.filter(source__isnull=True).exists()
    assert not AgreementEvent.objects.filter(source__isnull=True).exists()
    leaders = Leader.objects.filter(meetings__in=meetings).distinct()
    assert not leaders.filter(Q(took_office__isnull=True) | Q(citations__isnull=True)).exists(), (
        "every leader of the record has a term, with its sources"
    )


def test_a_status_other_than_announced_has_its_own_dated_source(realistic_record):
    changes = StatusChange.objects.filter(commitment__meeting__in=record_meetings()).exclude(
        status=Status.ANNOUNCED
    )
    assert changes.exists()
    for change in changes.select_related("commitment__meeting"):
        assert change.source_id and change.date >= change.commitment.meeting.date


def test_every_excerpt_is_at_most_25_words(realistic_record):
    for model in (MeetingCitation, CommitmentCitation, AgreementCitation, LeaderCitation):
        for excerpt in model.objects.exclude(excerpt="").values_list("excerpt", flat=True):
            assert not Citation.excerpt_problem(excerpt), excerpt


def test_no_two_meetings_share_a_day_and_their_countries(realistic_record):
    days = {}
    for meeting in Meeting.objects.prefetch_related("countries"):
        day = (meeting.date, frozenset(c.code for c in meeting.countries.all()))
        assert day not in days, f"{meeting.slug} and {days.get(day)}"
        days[day] = meeting.slug


def test_every_leader_of_a_meeting_was_in_office_on_its_day(realistic_record):
    for meeting in Meeting.objects.prefetch_related("leaders"):
        for leader in meeting.leaders.all():
            assert not leader.term_problem_on(meeting.date), meeting.slug


def test_the_files_stay_within_the_records_dates_and_format():
    for path in RECORD_FILES:
        document = json.loads(path.read_text())
        assert document["format"] == "bilateral-meetings/3"
        for meeting in document["meetings"]:
            assert FIRST_DAY.isoformat() <= meeting["date"] <= LAST_DAY.isoformat(), meeting["slug"]


def richest_pairs(number=3):
    return list(PairTally.objects.busiest_first()[:number])


def test_the_richest_pairs_pages_stay_within_their_query_budgets(client, realistic_record):
    budgets = {
        "relation": PAGES["/relations/it-jp/"],
        "scorecard": PAGES["/relations/it-jp/follow-through/"],
        "country": PAGES["/countries/jp/"],
    }
    cache.clear()  # each page asked cold, as after a write
    measured = {}
    for pair in richest_pairs():
        codes = f"{pair.country_a_id}-{pair.country_b_id}".lower()
        measured[f"/relations/{codes}/"] = ("relation", queries_and_status(client, f"/relations/{codes}/"))
        scorecard = f"/relations/{codes}/follow-through/"
        measured[scorecard] = ("scorecard", queries_and_status(client, scorecard))
        for code in (pair.country_a_id, pair.country_b_id):
            url = f"/countries/{code.lower()}/"
            measured[url] = ("country", queries_and_status(client, url))
    for url, (kind, (queries, status)) in measured.items():
        assert status == 200, url
        assert queries <= budgets[kind], url


def test_the_topic_pages_stay_within_their_query_budgets(client, realistic_record):
    cache.clear()
    for topic in ("critical-minerals", "defence-security", "trade-investment"):
        statuses = Commitment.objects.filter(topic=topic).values("status").distinct().count()
        queries, status = queries_and_status(client, f"/topics/{topic}/")
        assert status == 200
        assert queries <= 3 + 2 * statuses, topic  # as the budget of /topics/space/ counts them


def test_the_about_page_has_a_data_note_on_the_record(client):
    page = client.get("/about/").content.decode()

    assert 'id="data-note"' in page
    note = page.split('id="data-note"')[1].split("</section>")[0]
    assert "1 January 2025 to 30 November 2026" in note
    assert 'href="/corrections/new/"' in note, "additions are proposed with the corrections form"
