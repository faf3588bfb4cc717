"""The data version also changes on writes to leaders, groupings and diplomatic ties: the leader
list, the country and pair pages show them through cached aggregates (see 0006)."""

from django.db import migrations

WATCHED = [
    "agreements_leader",
    "agreements_grouping",
    "agreements_grouping_members",
    "agreements_diplomatictie",
]
EVENTS = ("insert", "update", "delete")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in WATCHED:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION agreements_new_data_version()",
                params=None,
            )
        elif vendor == "sqlite":
            for event in EVENTS:
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_data_version_{event} AFTER {event.upper()} ON {table} "
                    "BEGIN UPDATE agreements_dataversion SET token = lower(hex(randomblob(16))); END",
                    params=None,
                )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in WATCHED:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}", params=None)
        elif vendor == "sqlite":
            for event in EVENTS:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_data_version_{event}", params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0006_data_version_triggers")]

    operations = [migrations.RunPython(forwards, backwards)]
