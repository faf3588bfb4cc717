"""Scorecards from one index range: what a follow-through scorecard counts, on the rows it
already reads by scope.

`Commitment.fulfilled_on`, while a commitment is fulfilled, is the day of the first entry for all
parties that found it so (a change, not a review). The database keeps it beside the status and
the day of the last review (migration 0025), and refuses any other value.

The party rows of commitments (migration 0015) and their pair rows (0011) now carry the day of
the last review, the target date and the day of fulfilment besides the topic, status and date,
copied by the same triggers. An index on each, led by the scope (a country, a pair, a topic on the
commitments themselves) and the status, holds every column a scorecard counts, so that a
scorecard reads one index range and never the commitments' rows.

SQLite's triggers are kept aside while the tables change, as in migration 0020.
"""

from importlib import import_module

from django.db import migrations, models

agreements_migration = import_module("agreements.migrations.0020_agreements")
keep_sqlite_triggers = agreements_migration.keep_sqlite_triggers
restore_sqlite_triggers = agreements_migration.restore_sqlite_triggers
reviews = import_module("agreements.migrations.0025_party_entries_and_reviews")
pair_rows = import_module("agreements.migrations.0011_pair_rows")
party_rows = import_module("agreements.migrations.0015_commitment_party_rows")
COUNTED = reviews.COUNTED

COMMITMENTS = "agreements_commitment"
HISTORY = "agreements_statuschange"
PARTIES = "agreements_commitment_parties"
PARTY_ROWS = "agreements_countrycommitment"
PAIR_ROWS = "agreements_commitmentpair"
REFUSED = (
    "A commitment's status, the day it was last reviewed and the day it was fulfilled are those of its "
    "history: add a dated, sourced entry to change them."
)
QUOTED_REFUSAL = REFUSED.replace("'", "''")
status, reviewed_on = reviews.status, reviews.reviewed_on


def fulfilled_on(key):
    return (
        f"CASE WHEN {status(key)} = 'fulfilled' THEN (SELECT min(h.date) FROM {HISTORY} h "
        f"WHERE h.commitment_id = {key} AND h.party_id IS NULL AND h.status = 'fulfilled' AND NOT h.review) END"
    )


def differs(vendor, key, new=""):
    row = f"{new}." if new else ""
    distinct = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return (
        f"({row}status <> {status(key)} OR {row}reviewed_on {distinct} {reviewed_on(key)} "
        f"OR {row}fulfilled_on {distinct} {fulfilled_on(key)})"
    )


def follow(vendor, key):
    return (
        f"UPDATE {COMMITMENTS} SET status = {status(key)}, reviewed_on = {reviewed_on(key)}, "
        f"fulfilled_on = {fulfilled_on(key)} WHERE id = {key} AND {differs(vendor, key)}"
    )


# The commitment's columns its party and pair rows carry, and the update that copies them.
COPIED = ["topic_id", "status", "meeting_date", "reviewed_on", "target_date", "fulfilled_on"]
WATCHED = "meeting_id, topic_id, status, meeting_date, reviewed_on, target_date, fulfilled_on"


def changed(rows):
    assignments = ", ".join(f"{column} = NEW.{column}" for column in COPIED)
    return f"UPDATE {rows} SET {assignments} WHERE commitment_id = NEW.id"


def party_added(row):
    return (
        f"INSERT INTO {PARTY_ROWS} (commitment_id, country_id, {', '.join(COPIED)}) "
        f"SELECT {row}.commitment_id, {row}.country_id, {', '.join('c.' + c for c in COPIED)} "
        f"FROM {COMMITMENTS} c WHERE c.id = {row}.commitment_id"
    )


def pair_added(row):
    return (
        f"INSERT INTO {PAIR_ROWS} (commitment_id, country_a_id, country_b_id, {', '.join(COPIED)}) "
        f"SELECT {row}.commitment_id, {pair_rows.pair_of('o.country_id', f'{row}.country_id')}, "
        f"{', '.join('c.' + c for c in COPIED)} FROM {PARTIES} o JOIN {COMMITMENTS} c ON c.id = o.commitment_id "
        f"WHERE o.commitment_id = {row}.commitment_id AND o.country_id <> {row}.country_id"
    )


SQLITE_REPLACED = [
    f"{HISTORY}_status_insert",
    f"{HISTORY}_status_delete",
    f"{HISTORY}_status_update",
    f"{COMMITMENTS}_status_guard",
    f"{PARTIES}_party_insert",
    f"{COMMITMENTS}_party_update",
    f"{PARTIES}_pairs_insert",
    f"{COMMITMENTS}_pairs_update",
]
SQLITE = [
    f"CREATE TRIGGER {HISTORY}_status_insert AFTER INSERT ON {HISTORY} "
    f"BEGIN {follow('sqlite', 'NEW.commitment_id')}; END",
    f"CREATE TRIGGER {HISTORY}_status_delete AFTER DELETE ON {HISTORY} "
    f"WHEN {COUNTED.format(commitments=COMMITMENTS, key='OLD.commitment_id')} "
    f"BEGIN {follow('sqlite', 'OLD.commitment_id')}; END",
    f"CREATE TRIGGER {HISTORY}_status_update AFTER UPDATE ON {HISTORY} "
    f"BEGIN {follow('sqlite', 'OLD.commitment_id')}; {follow('sqlite', 'NEW.commitment_id')}; END",
    f"CREATE TRIGGER {COMMITMENTS}_status_guard BEFORE UPDATE OF status, reviewed_on, fulfilled_on "
    f"ON {COMMITMENTS} WHEN {differs('sqlite', 'NEW.id', new='NEW')} "
    f"BEGIN SELECT RAISE(ABORT, '{QUOTED_REFUSAL}'); END",
    f"CREATE TRIGGER {PARTIES}_party_insert AFTER INSERT ON {PARTIES} BEGIN {party_added('NEW')}; END",
    f"CREATE TRIGGER {COMMITMENTS}_party_update AFTER UPDATE OF {WATCHED} ON {COMMITMENTS} "
    f"BEGIN {changed(PARTY_ROWS)}; END",
    f"CREATE TRIGGER {PARTIES}_pairs_insert AFTER INSERT ON {PARTIES} BEGIN {pair_added('NEW')}; END",
    f"CREATE TRIGGER {COMMITMENTS}_pairs_update AFTER UPDATE OF {WATCHED} ON {COMMITMENTS} "
    f"BEGIN {changed(PAIR_ROWS)}; END",
]
POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION {HISTORY}_status() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN {reviews.lock('OLD.commitment_id')}; {follow('postgresql', 'OLD.commitment_id')}; END IF;
        IF TG_OP <> 'DELETE' THEN {reviews.lock('NEW.commitment_id')}; {follow('postgresql', 'NEW.commitment_id')}; END IF;
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
    f"CREATE TRIGGER {COMMITMENTS}_status BEFORE UPDATE OF status, reviewed_on, fulfilled_on ON {COMMITMENTS} "
    f"FOR EACH ROW EXECUTE FUNCTION {COMMITMENTS}_status()",
    f"""
    CREATE OR REPLACE FUNCTION {PARTIES}_party() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN {party_rows.removed('OLD')}; RETURN NULL; END IF;
        {party_added('NEW')};
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE OR REPLACE FUNCTION {PARTIES}_pairs() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN {pair_rows.removed_party('OLD')}; RETURN OLD; END IF;
        {pair_added('NEW')};
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
]
for rows, name in ((PARTY_ROWS, "party"), (PAIR_ROWS, "pairs")):
    POSTGRESQL += [
        f"CREATE OR REPLACE FUNCTION {COMMITMENTS}_{name}() RETURNS trigger AS $$ "
        f"BEGIN {changed(rows)}; RETURN NULL; END; $$ LANGUAGE plpgsql",
        f"DROP TRIGGER {COMMITMENTS}_{name} ON {COMMITMENTS}",
        f"CREATE TRIGGER {COMMITMENTS}_{name} AFTER UPDATE OF {WATCHED} ON {COMMITMENTS} "
        f"FOR EACH ROW EXECUTE FUNCTION {COMMITMENTS}_{name}()",
    ]


NEW_COLUMNS = ", ".join(f"{column} = c.{column}" for column in ("reviewed_on", "target_date", "fulfilled_on"))
FILL = [
    f"UPDATE {COMMITMENTS} SET fulfilled_on = {fulfilled_on(COMMITMENTS + '.id')} WHERE status = 'fulfilled'",
    *(
        f"UPDATE {rows} SET {NEW_COLUMNS} FROM {COMMITMENTS} c WHERE c.id = {rows}.commitment_id"
        for rows in (PARTY_ROWS, PAIR_ROWS)
    ),
]


def forwards(apps, schema_editor):
    run, vendor = schema_editor.execute, schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in SQLITE_REPLACED:
            run(f"DROP TRIGGER IF EXISTS {name}", params=None)
    for statement in FILL:  # no trigger watches the new columns yet
        run(statement, params=None)
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}[vendor]:
        run(statement, params=None)


def backwards(apps, schema_editor):
    run, vendor = schema_editor.execute, schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in SQLITE_REPLACED:
            run(f"DROP TRIGGER IF EXISTS {name}", params=None)
        previous = [
            *reviews.SQLITE,
            *(s for s in party_rows.sqlite_statements() if "_party_delete" not in s.split(" AFTER ")[0]),
            *(s for s in pair_rows.sqlite_statements() if f"{PARTIES}_pairs_insert" in s.split(" AFTER ")[0]),
            *(s for s in pair_rows.sqlite_statements() if f"{COMMITMENTS}_pairs_update" in s.split(" AFTER ")[0]),
        ]
        for statement in previous:
            run(statement, params=None)
        return
    for statement in reviews.POSTGRESQL:
        run(statement, params=None)
    for table, name in ((PARTIES, "party"), (COMMITMENTS, "party"), (PARTIES, "pairs"), (COMMITMENTS, "pairs")):
        run(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}", params=None)
        run(f"DROP FUNCTION IF EXISTS {table}_{name}()", params=None)
    for statement in party_rows.postgresql_statements():
        run(statement, params=None)
    for statement in pair_rows.postgresql_statements():
        if PARTIES in statement or f"{COMMITMENTS}_pairs" in statement:
            run(statement, params=None)


def row_fields():
    return [
        ("reviewed_on", models.DateField(null=True)),
        ("target_date", models.DateField(null=True)),
        ("fulfilled_on", models.DateField(null=True)),
    ]


class Migration(migrations.Migration):
    dependencies = [("agreements", "0025_party_entries_and_reviews")]

    operations = [
        migrations.RunPython(keep_sqlite_triggers, restore_sqlite_triggers),
        migrations.AddField(
            model_name="commitment",
            name="fulfilled_on",
            field=models.DateField(
                editable=False,
                help_text="While it is fulfilled, the day of the first entry for all parties that found it "
                "so: kept by the database (migration 0026).",
                null=True,
                verbose_name="fulfilled on",
            ),
        ),
        *(
            migrations.AddField(model_name=model, name=name, field=field)
            for model in ("countrycommitment", "commitmentpair")
            for name, field in row_fields()
        ),
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(
                fields=["topic", "status", "reviewed_on", "target_date", "fulfilled_on", "meeting_date"],
                name="commitment_follow_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="countrycommitment",
            index=models.Index(
                fields=["country", "status", "reviewed_on", "target_date", "fulfilled_on", "meeting_date"],
                name="country_commitment_follow_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="commitmentpair",
            index=models.Index(
                fields=[
                    "country_a",
                    "country_b",
                    "status",
                    "reviewed_on",
                    "target_date",
                    "fulfilled_on",
                    "meeting_date",
                ],
                name="commitment_pair_follow_idx",
            ),
        ),
        migrations.RunPython(restore_sqlite_triggers, keep_sqlite_triggers),
        migrations.RunPython(forwards, backwards),
    ]
