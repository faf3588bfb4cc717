"""A commitment's `meeting_date` is its meeting's date, whatever writes: the database keeps it."""

import datetime

import pytest
from django.db import connection

from agreements.models import Commitment, Meeting

from .factories import make_commitment, make_meeting

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 5)
LATER = datetime.date(2025, 7, 9)


def stored_dates():
    return dict(Commitment.objects.values_list("pk", "meeting_date"))


def test_a_saved_commitment_has_its_meeting_date():
    commitment = make_commitment(meeting=make_meeting(date=DAY))
    assert commitment.meeting_date == DAY
    assert stored_dates() == {commitment.pk: DAY}


def test_a_bulk_inserted_commitment_gets_its_meeting_date_from_the_database():
    meeting = make_meeting(date=DAY)
    Commitment.objects.bulk_create([Commitment(meeting=meeting, topic_id="space", summary="Bulk")])
    assert set(stored_dates().values()) == {DAY}


def test_a_wrong_date_written_directly_is_corrected():
    commitment = make_commitment(meeting=make_meeting(date=DAY))
    Commitment.objects.filter(pk=commitment.pk).update(meeting_date=LATER)
    assert stored_dates() == {commitment.pk: DAY}


def test_a_meeting_moved_to_another_day_moves_its_commitments():
    meeting = make_meeting(date=DAY)
    first, second = make_commitment(meeting=meeting), make_commitment(meeting=meeting)
    other = make_commitment(meeting=make_meeting(date=DAY))
    meeting.date = LATER
    meeting.save()
    assert stored_dates() == {first.pk: LATER, second.pk: LATER, other.pk: DAY}
    Meeting.objects.filter(pk=meeting.pk).update(date=DAY)
    assert stored_dates() == {first.pk: DAY, second.pk: DAY, other.pk: DAY}


def test_a_commitment_moved_to_another_meeting_takes_its_date():
    commitment = make_commitment(meeting=make_meeting(date=DAY))
    later = make_meeting(date=LATER)
    Commitment.objects.filter(pk=commitment.pk).update(meeting=later)
    assert stored_dates() == {commitment.pk: LATER}


def test_a_raw_insert_gets_the_date():
    meeting = make_meeting(date=DAY)
    now = "2026-01-01 00:00:00"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO agreements_commitment (meeting_id, topic_id, summary, detail, status, "
            "target_precision, level_from, level_to, created_at, updated_at) "
            "VALUES (%s, 'space', 'Raw', '', 'announced', '', '', '', %s, %s)",
            [meeting.pk, now, now],
        )
    assert list(Commitment.objects.values_list("meeting_date", flat=True)) == [DAY]


def test_the_lists_sort_and_filter_by_the_date_agreed(client):
    old = make_commitment(meeting=make_meeting(date=DAY), summary="Older pledge")
    new = make_commitment(meeting=make_meeting(date=LATER), summary="Newer pledge")
    page = client.get("/commitments/").content.decode()
    assert page.index("Newer pledge") < page.index("Older pledge")
    only_old = client.get("/commitments/", {"date_before": "2024-12-31"}).context["object_list"]
    assert [c.pk for c in only_old] == [old.pk]
    Meeting.objects.filter(pk=old.meeting_id).update(date=datetime.date(2026, 1, 1))
    page = client.get("/commitments/").content.decode()
    assert page.index("Older pledge") < page.index("Newer pledge")
    assert new.pk not in [
        c.pk for c in client.get("/commitments/", {"date_after": "2025-12-01"}).context["object_list"]
    ]
