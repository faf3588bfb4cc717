"""generate_synthetic: deterministic, clearly marked synthetic data that keeps the record's rules."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from agreements.models import (
    Commitment,
    CommitmentCitation,
    Leader,
    Meeting,
    MeetingCitation,
    Source,
    StatusChange,
)

pytestmark = pytest.mark.django_db


def generate(meetings=40, seed=7):
    call_command("generate_synthetic", meetings=meetings, seed=seed, stdout=io.StringIO())


def fingerprint():
    return [
        (
            meeting.slug,
            meeting.title,
            meeting.date,
            meeting.kind,
            sorted(meeting.countries.values_list("code", flat=True)),
            list(meeting.commitments.order_by("id").values_list("topic_id", "status", "summary")),
        )
        for meeting in Meeting.objects.filter(slug__startswith="synthetic-").order_by("slug")
    ]


def remove_synthetic():
    StatusChange.objects.filter(commitment__meeting__slug__startswith="synthetic-").delete()
    CommitmentCitation.objects.filter(commitment__meeting__slug__startswith="synthetic-").delete()
    Commitment.objects.filter(meeting__slug__startswith="synthetic-").delete()
    MeetingCitation.objects.filter(meeting__slug__startswith="synthetic-").delete()
    Meeting.objects.filter(slug__startswith="synthetic-").delete()
    Leader.objects.filter(slug__startswith="synthetic-").delete()
    Source.objects.filter(url__startswith="https://synthetic.example/").delete()


def test_the_same_seed_gives_the_same_record():
    generate()
    first = fingerprint()
    remove_synthetic()
    generate()
    assert fingerprint() == first
    remove_synthetic()
    generate(seed=8)
    assert fingerprint() != first


def test_generated_records_are_marked_synthetic():
    generate()
    meetings = Meeting.objects.filter(slug__startswith="synthetic-")
    assert meetings.count() == 40
    assert all(title.startswith("Synthetic ") for title in meetings.values_list("title", flat=True))
    assert all("not a real meeting" in summary for summary in meetings.values_list("summary", flat=True))
    assert (
        not Source.objects.exclude(url__startswith="https://synthetic.example/")
        .filter(meetings__in=meetings)
        .exists()
    )
    assert all(name.startswith("Synthetic leader") for name in Leader.objects.values_list("name", flat=True))


def test_generated_records_keep_the_rules_of_the_record():
    generate()
    meetings = Meeting.objects.annotate(n=Count("countries", distinct=True), cited=Count("citations"))
    assert not meetings.filter(n__lt=2).exists()
    assert not meetings.filter(cited=0).exists()
    commitments = Commitment.objects.filter(meeting__slug__startswith="synthetic-")
    assert commitments.count() >= 40
    assert not commitments.annotate(cited=Count("citations")).filter(cited=0).exists()
    for commitment in commitments.prefetch_related("history"):
        history = list(commitment.history.all())
        shared = [entry for entry in history if entry.party_id is None]
        assert commitment.status == (shared[-1].status if shared else "announced")
        entries = [(e.date, e.pk, e.status, e.party_id, e.review) for e in history]
        assert StatusChange.history_problems(entries) == {}
    synthetic_history = StatusChange.objects.filter(commitment__in=commitments)
    assert synthetic_history.filter(review=True).exists()
    for commitment in commitments.prefetch_related("parties", "meeting__countries"):
        assert set(commitment.parties.all()) == set(commitment.meeting.countries.all())
    for meeting in Meeting.objects.filter(slug__startswith="synthetic-").prefetch_related("leaders"):
        for leader in meeting.leaders.all():
            assert leader.took_office <= meeting.date
            assert leader.left_office is None or meeting.date < leader.left_office


def test_refuses_a_database_that_already_holds_synthetic_data():
    generate(meetings=3)
    with pytest.raises(CommandError, match="already holds synthetic"):
        generate(meetings=3)
