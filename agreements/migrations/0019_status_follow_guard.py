"""SQLite's flush again: deleting a commitment's history must not change its status once the
summaries that count it by pair are gone, even if its pair rows went first. The guard of
migration 0016 looked for those summaries through the pair rows; it now looks through the
commitment's parties, which the pair summaries are counted from."""

from importlib import import_module

from django.db import migrations

status_from_history = import_module("agreements.migrations.0016_status_from_history")
HISTORY, COMMITMENTS, follow = (
    status_from_history.HISTORY,
    status_from_history.COMMITMENTS,
    status_from_history.follow,
)

COUNTED = (
    "EXISTS (SELECT 1 FROM agreements_commitmenttally t JOIN {commitments} c ON c.id = {key} "
    "WHERE t.topic_id = c.topic_id AND t.status = c.status AND t.commitments > 0) "
    "AND NOT EXISTS (SELECT 1 FROM {commitments} c "
    "JOIN agreements_commitment_parties x ON x.commitment_id = c.id "
    "JOIN agreements_commitment_parties y ON y.commitment_id = c.id AND x.country_id < y.country_id "
    "WHERE c.id = {key} AND NOT EXISTS (SELECT 1 FROM agreements_pairtopictally t "
    "WHERE t.country_a_id = x.country_id AND t.country_b_id = y.country_id "
    "AND t.topic_id = c.topic_id AND t.status = c.status AND t.commitments > 0))"
)


def trigger(counted):
    return (
        f"CREATE TRIGGER {HISTORY}_status_delete AFTER DELETE ON {HISTORY} "
        f"WHEN {counted.format(commitments=COMMITMENTS, key='OLD.commitment_id')} "
        f"BEGIN {follow('OLD.commitment_id')}; END"
    )


def replace_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL's flush truncates: no trigger fires
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {HISTORY}_status_delete", params=None)
    schema_editor.execute(trigger(COUNTED), params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0018_country_other_names")]

    operations = [migrations.RunPython(replace_guard, migrations.RunPython.noop)]
