"""An agreement's status, as migration 0021 keeps it, with three corrections:

- On one day, events take effect in the order of `agreements.models.EVENT_ORDER` (signature or
  adoption, entry into force, termination, supersession), then in the order recorded: a text
  signed and in force on the same day is in force, whichever was typed first.
- A new agreement is "signed" whatever its insert says, as it has no events yet: its events,
  written after it (as a fixture or a backup loads them), then give its status.
- On PostgreSQL, an event's trigger locks its agreement's row before reading the events, so two
  editors adding events to one agreement at once leave the status of all of them.

And SQLite's data version follows countries again: migration 0018 rebuilt that table, which drops
its triggers (PostgreSQL keeps them).
"""

from django.db import migrations, models

AGREEMENTS = "agreements_agreement"
EVENTS = "agreements_agreementevent"
REFUSED = "An agreement's status is that of its latest event: add a dated, sourced event to change it."
EVENT_STATUS = {
    "signature": "signed",
    "adoption": "signed",
    "entry-into-force": "in-force",
    "termination": "terminated",
    "supersession": "superseded",
}
EVENT_ORDER = {"signature": 1, "adoption": 1, "entry-into-force": 2, "termination": 3, "supersession": 4}


def derived(key, order=EVENT_ORDER):
    cases = " ".join(f"WHEN '{kind}' THEN '{status}'" for kind, status in EVENT_STATUS.items())
    ranks = " ".join(f"WHEN '{kind}' THEN {rank}" for kind, rank in order.items())
    kinds = ", ".join(f"'{kind}'" for kind in EVENT_STATUS)
    day_order = f"CASE e.kind {ranks} END DESC, " if order else ""
    return (
        f"COALESCE((SELECT CASE e.kind {cases} END FROM {EVENTS} e WHERE e.agreement_id = {key} "
        f"AND e.kind IN ({kinds}) ORDER BY e.date DESC, {day_order}e.id DESC LIMIT 1), 'signed')"
    )


def follow(key, order=EVENT_ORDER):
    return (
        f"UPDATE {AGREEMENTS} SET status = {derived(key, order)} "
        f"WHERE id = {key} AND status <> {derived(key, order)}"
    )


def lock(key):
    return f"PERFORM 1 FROM {AGREEMENTS} WHERE id = {key} FOR UPDATE"


def quoted(message):
    return message.replace("'", "''")


def sqlite(order):
    return [
        f"CREATE TRIGGER {EVENTS}_status_insert AFTER INSERT ON {EVENTS} "
        f"BEGIN {follow('NEW.agreement_id', order)}; END",
        f"CREATE TRIGGER {EVENTS}_status_delete AFTER DELETE ON {EVENTS} "
        f"BEGIN {follow('OLD.agreement_id', order)}; END",
        f"CREATE TRIGGER {EVENTS}_status_update AFTER UPDATE ON {EVENTS} "
        f"BEGIN {follow('OLD.agreement_id', order)}; {follow('NEW.agreement_id', order)}; END",
        f"CREATE TRIGGER {AGREEMENTS}_status_guard BEFORE UPDATE OF status ON {AGREEMENTS} "
        f"WHEN NEW.status <> {derived('NEW.id', order)} BEGIN SELECT RAISE(ABORT, '{quoted(REFUSED)}'); END",
    ]


SQLITE_TRIGGERS = [
    f"{EVENTS}_status_insert",
    f"{EVENTS}_status_delete",
    f"{EVENTS}_status_update",
    f"{AGREEMENTS}_status_guard",
]
SQLITE_NEW_IS_SIGNED = (
    f"CREATE TRIGGER {AGREEMENTS}_status_new AFTER INSERT ON {AGREEMENTS} WHEN NEW.status <> 'signed' "
    f"BEGIN UPDATE {AGREEMENTS} SET status = 'signed' WHERE id = NEW.id; END"
)


def postgresql(order, locked):
    first = f"IF TG_OP <> 'INSERT' THEN {lock('OLD.agreement_id')}; END IF;" if locked else ""
    return [
        f"""
        CREATE OR REPLACE FUNCTION {EVENTS}_status() RETURNS trigger AS $$
        BEGIN
            {first}
            IF TG_OP <> 'DELETE' THEN {lock('NEW.agreement_id') + ';' if locked else ''}
                {follow('NEW.agreement_id', order)}; END IF;
            IF TG_OP <> 'INSERT' THEN {follow('OLD.agreement_id', order)}; END IF;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """,
        f"""
        CREATE OR REPLACE FUNCTION {AGREEMENTS}_status() RETURNS trigger AS $$
        BEGIN
            IF NEW.status IS DISTINCT FROM {derived('NEW.id', order)} THEN
                RAISE EXCEPTION '{quoted(REFUSED)}' USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """,
    ]


POSTGRESQL_NEW_IS_SIGNED = [
    f"""
    CREATE FUNCTION {AGREEMENTS}_status_new() RETURNS trigger AS $$
    BEGIN
        NEW.status := 'signed';
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"CREATE TRIGGER {AGREEMENTS}_status_new BEFORE INSERT ON {AGREEMENTS} "
    f"FOR EACH ROW EXECUTE FUNCTION {AGREEMENTS}_status_new()",
]
COUNTRIES = "agreements_country"
WRITES = ("insert", "update", "delete")


def forwards(apps, schema_editor):
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for statement in [*postgresql(EVENT_ORDER, locked=True), *POSTGRESQL_NEW_IS_SIGNED]:
            run(statement, params=None)
        return
    for name in SQLITE_TRIGGERS:
        run(f"DROP TRIGGER IF EXISTS {name}", params=None)
    for statement in [*sqlite(EVENT_ORDER), SQLITE_NEW_IS_SIGNED]:
        run(statement, params=None)
    for write in WRITES:
        run(
            f"CREATE TRIGGER IF NOT EXISTS {COUNTRIES}_data_version_{write} AFTER {write.upper()} "
            f"ON {COUNTRIES} BEGIN UPDATE agreements_dataversion SET token = lower(hex(randomblob(16))); END",
            params=None,
        )


def backwards(apps, schema_editor):
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        run(f"DROP TRIGGER IF EXISTS {AGREEMENTS}_status_new ON {AGREEMENTS}", params=None)
        run(f"DROP FUNCTION IF EXISTS {AGREEMENTS}_status_new()", params=None)
        for statement in postgresql({}, locked=False):
            run(statement, params=None)
        return
    for name in [*SQLITE_TRIGGERS, f"{AGREEMENTS}_status_new"]:
        run(f"DROP TRIGGER IF EXISTS {name}", params=None)
    for statement in sqlite({}):
        run(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0022_commitment_links")]

    operations = [
        migrations.AlterField(
            model_name="agreement",
            name="title_is_translation",
            field=models.BooleanField(
                default=False,
                help_text="Ticked when no official English title was found: the title is our "
                "translation or a description.",
                verbose_name="title is ours",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
