"""Follow-through for each party, and when a commitment was last reviewed.

A history entry may concern one party (`party`); the commitment's status is now that of its
latest entry for all parties (by date, then by entry), and each party's, shown where they
differ, that of its latest entry for that party or for all. An entry may be a review that found
no change (`review`). `Commitment.reviewed_on`, the day of the latest entry of any kind, is kept
by the database beside the status, and an update that sets either to anything else is refused.
On PostgreSQL an entry's trigger locks its commitment's row before reading the history, so two
editors writing one commitment's history at once both count (as 0023 does for agreements).

SQLite's triggers are kept aside while the history's table is rebuilt, as in migration 0020.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

agreements_migration = import_module("agreements.migrations.0020_agreements")
keep_sqlite_triggers = agreements_migration.keep_sqlite_triggers
restore_sqlite_triggers = agreements_migration.restore_sqlite_triggers
COUNTED = import_module("agreements.migrations.0019_status_follow_guard").COUNTED
status_from_history = import_module("agreements.migrations.0016_status_from_history")

COMMITMENTS = "agreements_commitment"
HISTORY = "agreements_statuschange"
REFUSED = (
    "A commitment's status and the day it was last reviewed are those of its history: add a dated, "
    "sourced entry to change them."
)
QUOTED_REFUSAL = REFUSED.replace("'", "''")


def status(key):
    return (
        f"COALESCE((SELECT h.status FROM {HISTORY} h WHERE h.commitment_id = {key} AND h.party_id IS NULL "
        "ORDER BY h.date DESC, h.id DESC LIMIT 1), 'announced')"
    )


def reviewed_on(key):
    return f"(SELECT max(h.date) FROM {HISTORY} h WHERE h.commitment_id = {key})"


def differs(vendor, key, new=""):
    """Whether the commitment's row (or `new`, in a guard) differs from what its history gives."""
    row = f"{new}." if new else ""
    distinct = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return f"({row}status <> {status(key)} OR {row}reviewed_on {distinct} {reviewed_on(key)})"


def follow(vendor, key):
    return (
        f"UPDATE {COMMITMENTS} SET status = {status(key)}, reviewed_on = {reviewed_on(key)} "
        f"WHERE id = {key} AND {differs(vendor, key)}"
    )


def lock(key):
    return f"PERFORM 1 FROM {COMMITMENTS} WHERE id = {key} FOR UPDATE"


SQLITE_TRIGGERS = [
    f"{HISTORY}_status_insert",
    f"{HISTORY}_status_delete",
    f"{HISTORY}_status_update",
    f"{COMMITMENTS}_status_guard",
]
SQLITE = [
    f"CREATE TRIGGER {HISTORY}_status_insert AFTER INSERT ON {HISTORY} "
    f"BEGIN {follow('sqlite', 'NEW.commitment_id')}; END",
    f"CREATE TRIGGER {HISTORY}_status_delete AFTER DELETE ON {HISTORY} "
    f"WHEN {COUNTED.format(commitments=COMMITMENTS, key='OLD.commitment_id')} "
    f"BEGIN {follow('sqlite', 'OLD.commitment_id')}; END",
    f"CREATE TRIGGER {HISTORY}_status_update AFTER UPDATE ON {HISTORY} "
    f"BEGIN {follow('sqlite', 'OLD.commitment_id')}; {follow('sqlite', 'NEW.commitment_id')}; END",
    f"CREATE TRIGGER {COMMITMENTS}_status_guard BEFORE UPDATE OF status, reviewed_on ON {COMMITMENTS} "
    f"WHEN {differs('sqlite', 'NEW.id', new='NEW')} BEGIN SELECT RAISE(ABORT, '{QUOTED_REFUSAL}'); END",
]
POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION {HISTORY}_status() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN {lock('OLD.commitment_id')}; {follow('postgresql', 'OLD.commitment_id')}; END IF;
        IF TG_OP <> 'DELETE' THEN {lock('NEW.commitment_id')}; {follow('postgresql', 'NEW.commitment_id')}; END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE OR REPLACE FUNCTION {COMMITMENTS}_status() RETURNS trigger AS $$
    BEGIN
        IF {differs('postgresql', 'NEW.id', new='NEW')} THEN
            RAISE EXCEPTION '{QUOTED_REFUSAL}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"DROP TRIGGER {COMMITMENTS}_status ON {COMMITMENTS}",
    f"CREATE TRIGGER {COMMITMENTS}_status BEFORE UPDATE OF status, reviewed_on ON {COMMITMENTS} "
    f"FOR EACH ROW EXECUTE FUNCTION {COMMITMENTS}_status()",
]


def forwards(apps, schema_editor):
    run, vendor = schema_editor.execute, schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            run(f"DROP TRIGGER IF EXISTS {name}", params=None)
    run(
        f"UPDATE {COMMITMENTS} SET reviewed_on = {reviewed_on(COMMITMENTS + '.id')} "
        f"WHERE reviewed_on IS NULL",
        params=None,
    )
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}[vendor]:
        run(statement, params=None)


def backwards(apps, schema_editor):
    run, vendor = schema_editor.execute, schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            run(f"DROP TRIGGER IF EXISTS {name}", params=None)
        for statement in status_from_history.SQLITE:
            if "_status_delete" in statement.split(" AFTER ")[0]:
                continue  # 0019's, below
            run(statement, params=None)
        run(import_module("agreements.migrations.0019_status_follow_guard").trigger(COUNTED), params=None)
        return
    run(f"DROP TRIGGER IF EXISTS {COMMITMENTS}_status ON {COMMITMENTS}", params=None)
    run(f"DROP TRIGGER IF EXISTS {HISTORY}_status ON {HISTORY}", params=None)
    for name in (COMMITMENTS, HISTORY):
        run(f"DROP FUNCTION IF EXISTS {name}_status()", params=None)
    for statement in status_from_history.POSTGRESQL:
        run(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0024_language_codes")]

    operations = [
        migrations.RunPython(keep_sqlite_triggers, restore_sqlite_triggers),
        migrations.RemoveConstraint(
            model_name="statuschange",
            name="status_change_unique_per_day",
        ),
        migrations.AddField(
            model_name="commitment",
            name="reviewed_on",
            field=models.DateField(
                editable=False,
                help_text="The day of its latest history entry, a change or a review, for any party: kept by "
                "the database (migration 0025).",
                null=True,
                verbose_name="last reviewed",
            ),
        ),
        migrations.AddField(
            model_name="statuschange",
            name="party",
            field=models.ForeignKey(
                blank=True,
                help_text="The one party it concerns (Italy ratified; Japan has not yet). Empty: all of them, "
                "and the commitment's status is that of the latest such entry.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agreements.country",
            ),
        ),
        migrations.AddField(
            model_name="statuschange",
            name="review",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="A review that found no change: its status is the one in effect before it.",
                verbose_name="review, no change",
            ),
        ),
        migrations.AddConstraint(
            model_name="statuschange",
            constraint=models.UniqueConstraint(
                condition=models.Q(("party__isnull", True)),
                fields=("commitment", "date", "status"),
                name="status_change_unique_per_day",
                violation_error_message="The history has this status on this day already.",
            ),
        ),
        migrations.AddConstraint(
            model_name="statuschange",
            constraint=models.UniqueConstraint(
                condition=models.Q(("party__isnull", False)),
                fields=("commitment", "party", "date", "status"),
                name="status_change_party_unique_per_day",
                violation_error_message="The history has this status for this party on this day already.",
            ),
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(fields=["status", "reviewed_on"], name="commitment_reviewed_idx"),
        ),
        migrations.RunPython(restore_sqlite_triggers, keep_sqlite_triggers),
        migrations.RunPython(forwards, backwards),
    ]
