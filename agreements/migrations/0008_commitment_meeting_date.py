"""A commitment's date (its meeting's) on the commitment itself, so that lists of commitments
sort and filter by date with an index instead of sorting a whole topic across a join.

The database keeps it equal to the meeting's date, whoever writes (the admin, an import, a
bulk insert, a shell): a trigger sets it when a commitment is inserted or moved to another
meeting, and another copies a meeting's new date to its commitments. PostgreSQL sets it before
the row is written; SQLite, whose triggers cannot change the row being written, corrects it
just after, in the same statement (hence the column allows NULL, which it never holds).
"""

from django.db import migrations, models

POSTGRES = [
    """
    CREATE FUNCTION agreements_commitment_meeting_date() RETURNS trigger AS $$
    BEGIN
        NEW.meeting_date := (SELECT date FROM agreements_meeting WHERE id = NEW.meeting_id);
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER agreements_commitment_meeting_date
    BEFORE INSERT OR UPDATE OF meeting_id, meeting_date ON agreements_commitment
    FOR EACH ROW EXECUTE FUNCTION agreements_commitment_meeting_date()
    """,
    """
    CREATE FUNCTION agreements_meeting_date_to_commitments() RETURNS trigger AS $$
    BEGIN
        UPDATE agreements_commitment SET meeting_date = NEW.date WHERE meeting_id = NEW.id;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER agreements_meeting_date_to_commitments
    AFTER UPDATE OF date ON agreements_meeting
    FOR EACH ROW WHEN (OLD.date IS DISTINCT FROM NEW.date)
    EXECUTE FUNCTION agreements_meeting_date_to_commitments()
    """,
    """
    UPDATE agreements_commitment AS c SET meeting_date = m.date
    FROM agreements_meeting AS m WHERE m.id = c.meeting_id
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS agreements_meeting_date_to_commitments ON agreements_meeting",
    "DROP FUNCTION IF EXISTS agreements_meeting_date_to_commitments()",
    "DROP TRIGGER IF EXISTS agreements_commitment_meeting_date ON agreements_commitment",
    "DROP FUNCTION IF EXISTS agreements_commitment_meeting_date()",
]

SQLITE_MEETING_DATE = "(SELECT date FROM agreements_meeting WHERE id = NEW.meeting_id)"
SQLITE = [
    *(
        f"""
        CREATE TRIGGER agreements_commitment_meeting_date_{name}
        AFTER {event} ON agreements_commitment
        WHEN NEW.meeting_date IS NOT {SQLITE_MEETING_DATE}
        BEGIN
            UPDATE agreements_commitment SET meeting_date = {SQLITE_MEETING_DATE} WHERE id = NEW.id;
        END
        """
        for name, event in (("insert", "INSERT"), ("update", "UPDATE OF meeting_id, meeting_date"))
    ),
    """
    CREATE TRIGGER agreements_meeting_date_to_commitments
    AFTER UPDATE OF date ON agreements_meeting WHEN OLD.date IS NOT NEW.date
    BEGIN
        UPDATE agreements_commitment SET meeting_date = NEW.date WHERE meeting_id = NEW.id;
    END
    """,
    """
    UPDATE agreements_commitment
    SET meeting_date = (SELECT date FROM agreements_meeting WHERE id = agreements_commitment.meeting_id)
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS agreements_meeting_date_to_commitments",
    "DROP TRIGGER IF EXISTS agreements_commitment_meeting_date_update",
    "DROP TRIGGER IF EXISTS agreements_commitment_meeting_date_insert",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES, "sqlite": SQLITE}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}.get(vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0007_data_version_watches_leaders_and_groupings")]

    operations = [
        migrations.AddField(
            model_name="commitment",
            name="meeting_date",
            field=models.DateField(
                editable=False,
                help_text="The meeting's date, kept equal to it by database triggers (migration 0008), "
                "so that lists of commitments filter and sort by date with an index of their own.",
                null=True,
                verbose_name="date agreed",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveIndex(model_name="commitment", name="commitment_topic_status_idx"),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["meeting_date", "id"], name="commitment_date_idx"),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["topic", "meeting_date", "id"], name="commitment_topic_date_idx"),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(
                fields=["topic", "status", "meeting_date", "id"], name="commit_topic_status_date_idx"
            ),
        ),
    ]
