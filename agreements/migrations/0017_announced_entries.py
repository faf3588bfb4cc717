"""Every commitment has a history: one recorded without any is given its first entry, announced
on its meeting's day and citing the meeting's first source, as `complete_from_meetings()` gives
every new commitment."""

from django.db import migrations


def forwards(apps, schema_editor):
    Commitment = apps.get_model("agreements", "Commitment")
    MeetingCitation = apps.get_model("agreements", "MeetingCitation")
    StatusChange = apps.get_model("agreements", "StatusChange")
    db = schema_editor.connection.alias
    first_source = {}
    for meeting_id, source_id in (
        MeetingCitation.objects.using(db).order_by("-id").values_list("meeting_id", "source_id")
    ):
        first_source[meeting_id] = source_id
    without_history = (
        Commitment.objects.using(db)
        .filter(history__isnull=True)
        .order_by("pk")
        .values_list("pk", "meeting_id", "meeting__date")
    )
    StatusChange.objects.using(db).bulk_create(
        (
            StatusChange(commitment_id=pk, date=date, status="announced", source_id=first_source[meeting_id])
            for pk, meeting_id, date in without_history.iterator()
            if meeting_id in first_source
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("agreements", "0016_status_from_history")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
