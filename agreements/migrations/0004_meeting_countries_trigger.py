"""On PostgreSQL, a deferred constraint trigger: at commit, every meeting has two or more countries.

A check constraint cannot count rows of another table, so this is a trigger that
runs at the end of the transaction (once the meeting's countries are saved). SQLite
has no deferred triggers; there the rule is enforced by the admin forms and the
importer.
"""

from django.db import migrations

CREATE = [
    """
CREATE FUNCTION agreements_meeting_has_two_countries() RETURNS trigger AS $$
DECLARE
    checked_meeting bigint;
BEGIN
    IF TG_TABLE_NAME = 'agreements_meeting' THEN
        checked_meeting := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        checked_meeting := OLD.meeting_id;
    ELSE
        checked_meeting := NEW.meeting_id;
    END IF;
    IF EXISTS (SELECT 1 FROM agreements_meeting WHERE id = checked_meeting)
       AND (SELECT count(*) FROM agreements_meeting_countries WHERE meeting_id = checked_meeting) < 2 THEN
        RAISE EXCEPTION 'meeting % must have at least two countries', checked_meeting
            USING ERRCODE = 'check_violation', CONSTRAINT = 'meeting_has_two_countries';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE CONSTRAINT TRIGGER meeting_has_two_countries
    AFTER INSERT ON agreements_meeting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION agreements_meeting_has_two_countries()
""",
    """
CREATE CONSTRAINT TRIGGER meeting_keeps_two_countries
    AFTER DELETE OR UPDATE ON agreements_meeting_countries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION agreements_meeting_has_two_countries()
""",
]

DROP = [
    "DROP TRIGGER IF EXISTS meeting_keeps_two_countries ON agreements_meeting_countries",
    "DROP TRIGGER IF EXISTS meeting_has_two_countries ON agreements_meeting",
    "DROP FUNCTION IF EXISTS agreements_meeting_has_two_countries()",
]


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0003_editors_group")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
