"""PostgreSQL: a write asks for a new data version when its transaction commits, instead of
replacing the token at once (0006). Replacing it at once locked the one version row until the
writer's transaction ended, so every writer waited for every other; now each statement that
writes a watched table adds a row to `agreements_dataversion_pending` (inserts never wait for one
another), and a deferred trigger replaces the token once as the transaction commits, holding the
version row only for that moment.

Until then the writer's own transaction sees its pending rows, so the version it reads changes
with every write it makes (`agreements.caching.data_version`); other transactions see the token
of the committed record only. SQLite lets one writer in at a time and keeps its triggers (0006).
"""

from django.db import migrations

FORWARDS = [
    "CREATE TABLE agreements_dataversion_pending (id bigserial PRIMARY KEY)",
    """
    CREATE OR REPLACE FUNCTION agreements_new_data_version() RETURNS trigger AS $$
    BEGIN
        INSERT INTO agreements_dataversion_pending DEFAULT VALUES;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION agreements_new_data_version_at_commit() RETURNS trigger AS $$
    BEGIN
        -- The first of the transaction's pending rows to fire takes them all (a transaction sees
        -- no other's uncommitted rows): one new token a transaction, however many statements.
        DELETE FROM agreements_dataversion_pending;
        IF FOUND THEN
            UPDATE agreements_dataversion SET token = md5(random()::text || clock_timestamp()::text);
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    "CREATE CONSTRAINT TRIGGER agreements_dataversion_pending_at_commit "
    "AFTER INSERT ON agreements_dataversion_pending DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION agreements_new_data_version_at_commit()",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS agreements_dataversion_pending_at_commit ON agreements_dataversion_pending",
    "DROP FUNCTION IF EXISTS agreements_new_data_version_at_commit()",
    """
    CREATE OR REPLACE FUNCTION agreements_new_data_version() RETURNS trigger AS $$
    BEGIN
        UPDATE agreements_dataversion SET token = md5(random()::text || clock_timestamp()::text);
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TABLE IF EXISTS agreements_dataversion_pending",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0029_leader_citations")]

    operations = [migrations.RunPython(forwards, backwards)]
