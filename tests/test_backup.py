"""Backup and recovery: a backup taken, the record wiped, the backup restored, nothing lost."""

import datetime

import pytest
from django.core.management import call_command

from agreements.models import (
    Agreement,
    AgreementCitation,
    AgreementEvent,
    AgreementText,
    Commitment,
    CommitmentCitation,
    CommitmentLink,
    DiplomaticTie,
    Leader,
    Meeting,
    MeetingCitation,
    Signatory,
    Source,
    StatusChange,
)

from .factories import make_status_change

pytestmark = pytest.mark.django_db

RECORD = [
    CommitmentLink,
    StatusChange,
    CommitmentCitation,
    Commitment,
    AgreementEvent,
    AgreementCitation,
    Signatory,
    AgreementText,
    Agreement,
    MeetingCitation,
    Meeting,
    DiplomaticTie,
    Leader,
    Source,
]


def wipe_the_record():
    for model in RECORD:  # children first: the record's deletes are protected
        model.objects.all().delete()
    assert not Meeting.objects.exists()


def dump(path):
    call_command(
        "dumpdata", "agreements", natural_foreign=True, natural_primary=True, output=str(path), verbosity=0
    )
    return path.read_text()


@pytest.fixture
def record(seed):
    commitment = Commitment.objects.get(summary="Establish a consultative body on space cooperation")
    make_status_change(commitment=commitment, date=datetime.date(2026, 6, 1), status="in-progress")
    Commitment.objects.filter(pk=commitment.pk).update(status="in-progress")


def test_a_full_backup_restores_every_record(record, tmp_path):
    before = dump(tmp_path / "backup.json")
    counts = {model: model.objects.count() for model in RECORD}
    wipe_the_record()
    call_command("loaddata", str(tmp_path / "backup.json"), verbosity=0)
    assert {model: model.objects.count() for model in RECORD} == counts
    assert dump(tmp_path / "restored.json") == before


def test_an_export_restores_every_meeting_commitment_source_and_status_change(record, tmp_path):
    exported = tmp_path / "meetings.json"
    call_command("export_meetings", output=str(exported))
    meetings = set(Meeting.objects.values_list("slug", "date", "title", "summary", "kind", "city", "venue"))
    commitments = set(
        Commitment.objects.values_list("meeting__slug", "topic", "summary", "status", "target_date")
    )
    history = set(
        StatusChange.objects.values_list("commitment__summary", "date", "status", "note", "source__url")
    )
    cited = set(
        Source.objects.filter(meetings__isnull=False).values_list("url", "publisher", "title", "published")
    ) | set(
        Source.objects.filter(commitments__isnull=False).values_list("url", "publisher", "title", "published")
    )
    wipe_the_record()
    call_command("import_meetings", str(exported), verbosity=0)
    assert (
        set(Meeting.objects.values_list("slug", "date", "title", "summary", "kind", "city", "venue"))
        == meetings
    )
    assert (
        set(Commitment.objects.values_list("meeting__slug", "topic", "summary", "status", "target_date"))
        == commitments
    )
    assert (
        set(StatusChange.objects.values_list("commitment__summary", "date", "status", "note", "source__url"))
        == history
    )
    assert set(Source.objects.values_list("url", "publisher", "title", "published")) >= cited
    again = tmp_path / "again.json"
    call_command("export_meetings", output=str(again))
    assert again.read_text() == exported.read_text()


def test_a_full_backup_with_the_accounts_restores_editors_groups_and_the_admin_s_history(
    record, tmp_path, editor, django_user_model
):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import Group

    django_user_model.objects.create_superuser("chief", password="a long chief password")
    meeting = Meeting.objects.first()
    LogEntry.objects.log_actions(editor.pk, [meeting], CHANGE, change_message="Checked the date.")
    path = tmp_path / "backup.json"
    call_command(
        "dumpdata",
        "agreements",
        "auth.user",
        "auth.group",
        "admin.logentry",
        natural_foreign=True,
        natural_primary=True,
        output=str(path),
        verbosity=0,
    )
    accounts = set(django_user_model.objects.values_list("username", "password", "is_staff", "is_superuser"))
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    history = set(LogEntry.objects.values_list("user__username", "object_repr", "change_message"))
    wipe_the_record()
    LogEntry.objects.all().delete()
    django_user_model.objects.all().delete()
    Group.objects.all().delete()

    call_command("loaddata", str(path), verbosity=0)
    assert (
        set(django_user_model.objects.values_list("username", "password", "is_staff", "is_superuser"))
        == accounts
    )
    restored = Group.objects.get(name="Editors")
    assert set(restored.permissions.values_list("codename", flat=True)) == editors
    assert django_user_model.objects.get(username="editor").groups.get() == restored
    assert set(LogEntry.objects.values_list("user__username", "object_repr", "change_message")) == history
    assert Meeting.objects.filter(slug=meeting.slug).exists()
