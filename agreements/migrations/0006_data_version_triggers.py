"""Indexes on the many-to-many tables in the direction the filters use them, and the data
version: a one-row table whose token triggers replace on every write to the tables that cached
aggregates read (see `agreements.models.Snapshot`). The table has no model: it is no record
of the editors' and stays out of the admin and of dumps.

SQLite has row triggers only; PostgreSQL gets one statement trigger per table.
"""

from django.db import migrations

WATCHED = [
    "agreements_meeting",
    "agreements_meeting_countries",
    "agreements_meeting_leaders",
    "agreements_commitment",
    "agreements_commitment_parties",
    "agreements_country",
    "agreements_topic",
]

INDEXES = [
    ("meeting_countries_country_idx", "agreements_meeting_countries", "country_id, meeting_id"),
    ("meeting_leaders_leader_idx", "agreements_meeting_leaders", "leader_id, meeting_id"),
    ("commitment_parties_country_idx", "agreements_commitment_parties", "country_id, commitment_id"),
]

POSTGRES_FUNCTION = """
CREATE FUNCTION agreements_new_data_version() RETURNS trigger AS $$
BEGIN
    UPDATE agreements_dataversion SET token = md5(random()::text || clock_timestamp()::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def forwards(apps, schema_editor):
    execute = schema_editor.execute
    execute(
        "CREATE TABLE agreements_dataversion (id integer PRIMARY KEY, token varchar(32) NOT NULL)",
        params=None,
    )
    execute("INSERT INTO agreements_dataversion (id, token) VALUES (1, 'initial')", params=None)
    for name, table, columns in INDEXES:
        execute(f"CREATE INDEX {name} ON {table} ({columns})", params=None)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        execute(POSTGRES_FUNCTION, params=None)
        for table in WATCHED:
            execute(
                f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION agreements_new_data_version()",
                params=None,
            )
    elif vendor == "sqlite":
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                execute(
                    f"CREATE TRIGGER {table}_data_version_{event.lower()} AFTER {event} ON {table} "
                    "BEGIN UPDATE agreements_dataversion SET token = lower(hex(randomblob(16))); END",
                    params=None,
                )


def backwards(apps, schema_editor):
    execute = schema_editor.execute
    vendor = schema_editor.connection.vendor
    for table in WATCHED:
        if vendor == "postgresql":
            execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}", params=None)
        elif vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS {table}_data_version_{event}", params=None)
    if vendor == "postgresql":
        execute("DROP FUNCTION IF EXISTS agreements_new_data_version()", params=None)
    for name, _table, _columns in INDEXES:
        execute(f"DROP INDEX IF EXISTS {name}", params=None)
    execute("DROP TABLE agreements_dataversion", params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0005_scale_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
