"""A commitment's status is that of its latest history entry (by date, then by entry), or
"announced" while it has none: the database keeps it so and refuses any other.

Triggers, whoever writes: an entry added, changed or removed sets its commitment's status; an
update that sets a status its history does not give is refused, with a message saying how to
change it. A new commitment is written "announced" by the model (`Commitment.save`); a fixture
or a dump gives each commitment the status its history, loaded after it, then confirms.
"""

from django.db import migrations, models

COMMITMENTS = "agreements_commitment"
HISTORY = "agreements_statuschange"
REFUSED = (
    "A commitment's status is that of its latest history entry: add a dated, sourced entry to change it."
)


def derived(key):
    return (
        f"COALESCE((SELECT h.status FROM {HISTORY} h WHERE h.commitment_id = {key} "
        "ORDER BY h.date DESC, h.id DESC LIMIT 1), 'announced')"
    )


def follow(key):
    return f"UPDATE {COMMITMENTS} SET status = {derived(key)} WHERE id = {key} AND status <> {derived(key)}"


# SQLite's flush empties table after table in no fixed order: once the summaries that count a
# commitment are gone, deleting its history must not change its status, or their triggers would
# count it again. In a database in step, the summaries always hold every commitment.
COUNTED = (
    "EXISTS (SELECT 1 FROM agreements_commitmenttally t JOIN {commitments} c ON c.id = {key} "
    "WHERE t.topic_id = c.topic_id AND t.status = c.status AND t.commitments > 0) "
    "AND NOT EXISTS (SELECT 1 FROM agreements_commitmentpair p WHERE p.commitment_id = {key} AND NOT EXISTS "
    "(SELECT 1 FROM agreements_pairtopictally t WHERE t.country_a_id = p.country_a_id "
    "AND t.country_b_id = p.country_b_id AND t.topic_id = p.topic_id AND t.status = p.status "
    "AND t.commitments > 0))"
)

SQLITE = [
    f"CREATE TRIGGER {HISTORY}_status_insert AFTER INSERT ON {HISTORY} BEGIN {follow('NEW.commitment_id')}; END",
    f"CREATE TRIGGER {HISTORY}_status_delete AFTER DELETE ON {HISTORY} "
    f"WHEN {COUNTED.format(commitments=COMMITMENTS, key='OLD.commitment_id')} "
    f"BEGIN {follow('OLD.commitment_id')}; END",
    f"CREATE TRIGGER {HISTORY}_status_update AFTER UPDATE ON {HISTORY} "
    f"BEGIN {follow('OLD.commitment_id')}; {follow('NEW.commitment_id')}; END",
    f"CREATE TRIGGER {COMMITMENTS}_status_guard BEFORE UPDATE OF status ON {COMMITMENTS} "
    f"WHEN NEW.status <> {derived('NEW.id')} BEGIN SELECT RAISE(ABORT, '{REFUSED.replace(chr(39), chr(39) * 2)}'); END",
]

POSTGRESQL = [
    f"""
    CREATE FUNCTION {HISTORY}_status() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN {follow('OLD.commitment_id')}; END IF;
        IF TG_OP <> 'DELETE' THEN {follow('NEW.commitment_id')}; END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"CREATE TRIGGER {HISTORY}_status AFTER INSERT OR UPDATE OR DELETE ON {HISTORY} "
    f"FOR EACH ROW EXECUTE FUNCTION {HISTORY}_status()",
    f"""
    CREATE FUNCTION {COMMITMENTS}_status() RETURNS trigger AS $$
    BEGIN
        IF NEW.status IS DISTINCT FROM {derived('NEW.id')} THEN
            RAISE EXCEPTION '{REFUSED.replace(chr(39), chr(39) * 2)}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"CREATE TRIGGER {COMMITMENTS}_status BEFORE UPDATE OF status ON {COMMITMENTS} "
    f"FOR EACH ROW EXECUTE FUNCTION {COMMITMENTS}_status()",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    # Records from before this rule: their status becomes what their history says.
    schema_editor.execute(f"UPDATE {COMMITMENTS} SET status = {derived(COMMITMENTS + '.id')} "
                          f"WHERE status <> {derived(COMMITMENTS + '.id')}", params=None)
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}[vendor]:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in (HISTORY, COMMITMENTS):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_status ON {table}", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_status()", params=None)
    else:
        for name in ("status_insert", "status_delete", "status_update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {HISTORY}_{name}", params=None)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {COMMITMENTS}_status_guard", params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0015_commitment_party_rows")]

    operations = [
        migrations.AlterField(
            model_name='commitment',
            name='status',
            field=models.CharField(choices=[('announced', 'Announced'), ('in-progress', 'In progress'), ('fulfilled', 'Fulfilled'), ('lapsed', 'Lapsed')], default='announced', editable=False, help_text='That of its latest status history entry: add a dated, sourced entry to change it.', max_length=20),
        ),
        migrations.RunPython(forwards, backwards),
    ]
