"""The summaries (counts by year, kind, topic, status, country, leader and pair), pair rows and
party rows stay equal to a count of the record after every kind of write: created, changed,
linked, unlinked, deleted, bulk inserted, loaded from fixtures, imported."""

import datetime
import json
from itertools import combinations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.db.models.functions import ExtractYear

from agreements.models import (
    Commitment,
    CommitmentPair,
    CommitmentTally,
    CountryCommitment,
    CountryMeeting,
    CountryTally,
    LeaderMeeting,
    LeaderTally,
    Meeting,
    MeetingPair,
    MeetingTally,
    PairTally,
    PairTopicTally,
)

from .factories import country, make_commitment, make_leader, make_meeting, make_status_change

pytestmark = pytest.mark.django_db(transaction=False)


def nonzero(rows):
    return {key: value for key, value in rows if value}


def follow_through(commitment):
    """The day of the commitment's last review, its target and, while it is fulfilled, the day of
    the first entry for all parties that found it so, from its history."""
    history = sorted(commitment.history.all(), key=lambda entry: (entry.date, entry.pk))
    shared = [entry for entry in history if entry.party_id is None]
    fulfilled = commitment.status == "fulfilled" and min(
        entry.date for entry in shared if entry.status == "fulfilled" and not entry.review
    )
    reviewed = history[-1].date if history else None
    return reviewed, commitment.target_date, fulfilled or None


def counted():
    """Every summary, counted from the record with the ORM."""
    pairs, pair_topics = {}, {}
    for meeting in Meeting.objects.prefetch_related("countries"):
        codes = sorted(c.code for c in meeting.countries.all())
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                pairs.setdefault((a, b), [0, 0])[0] += 1
    for commitment in Commitment.objects.prefetch_related("parties"):
        codes = sorted(c.code for c in commitment.parties.all())
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                pairs.setdefault((a, b), [0, 0])[1] += 1
                key = (a, b, commitment.topic_id, commitment.status)
                pair_topics[key] = pair_topics.get(key, 0) + 1
    meetings = Meeting.objects.annotate(year=ExtractYear("date")).values_list("year", "kind")
    commitments = Commitment.objects.annotate(year=ExtractYear("meeting_date")).values_list(
        "year", "topic_id", "status"
    )
    return {
        "meetings": nonzero(
            ((y, k), n)
            for y, k, n in meetings.order_by().annotate(n=Count("pk")).values_list("year", "kind", "n")
        ),
        "commitments": nonzero(
            ((y, t, s), n)
            for y, t, s, n in commitments.order_by()
            .annotate(n=Count("pk"))
            .values_list("year", "topic_id", "status", "n")
        ),
        "countries": nonzero(
            (code, (m, c))
            for code, m, c in (
                (
                    code,
                    Meeting.objects.filter(countries=code).count(),
                    Commitment.objects.filter(parties=code).count(),
                )
                for code in {c for pair in pairs for c in pair}
                | set(Meeting.countries.through.objects.values_list("country_id", flat=True))
                | set(Commitment.parties.through.objects.values_list("country_id", flat=True))
            )
            if m or c
        ),
        "leaders": nonzero(
            Meeting.leaders.through.objects.order_by()
            .values_list("leader_id")
            .annotate(n=Count("pk"))
            .values_list("leader_id", "n")
        ),
        "pairs": nonzero((key, tuple(value)) for key, value in pairs.items() if any(value)),
        "pair_topics": nonzero(pair_topics.items()),
        "meeting_pairs": sorted(
            (meeting.pk, *pair, meeting.date, meeting.kind)
            for meeting in Meeting.objects.prefetch_related("countries")
            for pair in combinations(sorted(c.code for c in meeting.countries.all()), 2)
        ),
        "country_meetings": sorted(
            (meeting.pk, country.code, meeting.date, meeting.kind)
            for meeting in Meeting.objects.prefetch_related("countries")
            for country in meeting.countries.all()
        ),
        "leader_meetings": sorted(
            (meeting.pk, leader.pk, meeting.date, meeting.kind)
            for meeting in Meeting.objects.prefetch_related("leaders")
            for leader in meeting.leaders.all()
        ),
        "country_commitments": sorted(
            (
                commitment.pk,
                party.code,
                commitment.topic_id,
                commitment.status,
                commitment.meeting_date,
                *follow_through(commitment),
            )
            for commitment in Commitment.objects.prefetch_related("parties", "history")
            for party in commitment.parties.all()
        ),
        "commitment_pairs": sorted(
            (
                commitment.pk,
                *pair,
                commitment.topic_id,
                commitment.status,
                commitment.meeting_date,
                *follow_through(commitment),
            )
            for commitment in Commitment.objects.prefetch_related("parties", "history")
            for pair in combinations(sorted(c.code for c in commitment.parties.all()), 2)
        ),
    }


# what party and pair rows copy from their commitment
COPIED = ("topic", "status", "meeting_date", "reviewed_on", "target_date", "fulfilled_on")


def kept():
    """Every summary, as the database keeps it."""
    return {
        "meetings": nonzero(((r.year, r.kind), r.meetings) for r in MeetingTally.objects.all()),
        "commitments": nonzero(
            ((r.year, r.topic_id, r.status), r.commitments) for r in CommitmentTally.objects.all()
        ),
        "countries": nonzero(
            (r.country_id, (r.meetings, r.commitments))
            for r in CountryTally.objects.all()
            if r.meetings or r.commitments
        ),
        "leaders": nonzero((r.leader_id, r.meetings) for r in LeaderTally.objects.all()),
        "pairs": nonzero(
            ((r.country_a_id, r.country_b_id), (r.meetings, r.commitments))
            for r in PairTally.objects.all()
            if r.meetings or r.commitments
        ),
        "pair_topics": nonzero(
            ((r.country_a_id, r.country_b_id, r.topic_id, r.status), r.commitments)
            for r in PairTopicTally.objects.all()
        ),
        "meeting_pairs": sorted(
            MeetingPair.objects.values_list("meeting", "country_a", "country_b", "date", "kind")
        ),
        "country_meetings": sorted(CountryMeeting.objects.values_list("meeting", "country", "date", "kind")),
        "leader_meetings": sorted(LeaderMeeting.objects.values_list("meeting", "leader", "date", "kind")),
        "country_commitments": sorted(
            CountryCommitment.objects.values_list("commitment", "country", *COPIED)
        ),
        "commitment_pairs": sorted(
            CommitmentPair.objects.values_list("commitment", "country_a", "country_b", *COPIED)
        ),
    }


def assert_summaries_exact():
    assert kept() == counted()


def test_summaries_of_the_seed_are_exact(seed):
    assert (
        kept()["pairs"][("IT", "JP")][0]
        == Meeting.objects.filter(countries="IT").filter(countries="JP").count()
    )
    assert_summaries_exact()


def test_summaries_follow_records_created_changed_and_deleted(seed):
    leader = make_leader()
    meeting = make_meeting(countries=("DE", "FR", "IT"), leaders=[leader])
    commitment = make_commitment(meeting=meeting, parties=[country("DE"), country("FR"), country("IT")])
    assert kept()["pairs"][("DE", "FR")] == (1, 1)
    assert_summaries_exact()

    make_status_change(commitment, date=meeting.date, status="fulfilled")
    commitment.topic_id = "energy"
    commitment.target_date, commitment.target_precision = datetime.date(2030, 12, 31), "year"
    commitment.save()
    assert_summaries_exact()

    review = make_status_change(commitment, date=datetime.date(2027, 1, 5), status="fulfilled", review=True)
    assert_summaries_exact()
    review.delete()
    assert_summaries_exact()

    meeting.date = datetime.date(2019, 5, 1)
    meeting.kind = "phone-call"
    meeting.save()
    assert kept()["commitments"][(2019, "energy", "fulfilled")] == 1
    assert_summaries_exact()

    commitment.parties.remove(country("IT"))
    meeting.countries.add(country("GB"))
    meeting.leaders.clear()
    assert_summaries_exact()

    other = make_meeting(countries=("DE", "FR"))
    Commitment.objects.filter(pk=commitment.pk).update(meeting=other)
    assert_summaries_exact()

    commitment.parties.set([country("GB"), country("US")])
    assert_summaries_exact()

    commitment.delete()
    meeting.delete()
    assert kept()["pairs"][("DE", "FR")] == (1, 0)
    assert_summaries_exact()


def test_summaries_follow_bulk_writes_and_queryset_deletes(seed):
    meetings = Meeting.objects.bulk_create(
        Meeting(slug=f"bulk-{n}", kind="summit", date=datetime.date(2000 + n, 1, 1), title=f"Bulk {n}")
        for n in range(5)
    )
    Meeting.countries.through.objects.bulk_create(
        Meeting.countries.through(meeting=m, country_id=code) for m in meetings for code in ("CA", "FR", "JP")
    )
    assert_summaries_exact()
    Meeting.objects.filter(slug__startswith="bulk-").update(kind="encounter")
    assert_summaries_exact()
    Meeting.countries.through.objects.filter(meeting__slug__startswith="bulk-", country="CA").delete()
    assert_summaries_exact()
    Meeting.objects.filter(slug__startswith="bulk-").delete()
    assert_summaries_exact()
    Commitment.parties.through.objects.all().delete()
    Meeting.leaders.through.objects.all().delete()
    assert_summaries_exact()


def test_summaries_follow_imports_and_fixture_loads(db, tmp_path):
    call_command("loaddata", "seed", verbosity=0)
    assert kept()["pairs"]
    assert_summaries_exact()
    path = tmp_path / "record.json"
    call_command("export_meetings", output=str(path))
    document = json.loads(path.read_text())
    for meeting in document["meetings"]:  # a fortnight earlier: Rome moves into 2022
        day = datetime.date.fromisoformat(meeting["date"]) - datetime.timedelta(days=15)
        meeting["date"] = day.isoformat()
        if meeting.get("end_date"):
            meeting["end_date"] = (
                datetime.date.fromisoformat(meeting["end_date"]) - datetime.timedelta(days=15)
            ).isoformat()
    path.write_text(json.dumps(document))
    call_command("import_meetings", str(path), verbosity=0)
    assert_summaries_exact()


def test_rows_of_link_tables_cannot_be_updated(seed):
    link = Meeting.countries.through.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.countries.through.objects.filter(pk=link.pk).update(country_id="FR")


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_no_summary_behind_whatever_the_order_of_the_tables(reference_data_restored):
    """SQLite's flush deletes table after table: the link tables' triggers then fire on summaries
    that may already be empty, and must not leave rows (negative counts) behind."""
    call_command("loaddata", "seed", verbosity=0)
    assert PairTally.objects.exists()
    call_command("flush", interactive=False, verbosity=0)
    for model in (MeetingTally, CommitmentTally, CountryTally, LeaderTally, PairTally, PairTopicTally):
        assert not model.objects.exists(), model.__name__
    for model in (MeetingPair, CommitmentPair, CountryMeeting, LeaderMeeting, CountryCommitment):
        assert not model.objects.exists(), model.__name__


SUMMARIES = (MeetingTally, CommitmentTally, CountryTally, LeaderTally, PairTally, PairTopicTally)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's flush truncates: no trigger fires")
@pytest.mark.parametrize("order", range(25))
def test_emptying_the_tables_in_any_order_leaves_no_summary_behind(order):
    """What SQLite's flush does, table by table, in 25 orders instead of the one this run's hash
    seed gives."""
    import random

    call_command("loaddata", "seed", verbosity=0)
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    tables = sorted(tables)
    random.Random(order).shuffle(tables)
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')
        left = [model.__name__ for model in SUMMARIES if model.objects.exists()]
        transaction.set_rollback(True)  # the test's database keeps its reference data
    assert left == []
