"""An agreement's status is that of its latest event that changes it (signature or adoption:
signed; entry into force: in force; termination; supersession), by date, then by event, or
"signed" while it has none: the database keeps it so and refuses any other, as migration 0016
does for commitments (`agreements.models.EVENT_STATUS` is the same table in Python).

The data version (migrations 0006 and 0007) now also changes on writes to agreements and to
sources, citations and status history, which pages show too; and Editors may view, add and
change agreements and their events, signatories and texts, as every other record (0003).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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


def derived(key):
    cases = " ".join(f"WHEN '{kind}' THEN '{status}'" for kind, status in EVENT_STATUS.items())
    kinds = ", ".join(f"'{kind}'" for kind in EVENT_STATUS)
    return (
        f"COALESCE((SELECT CASE e.kind {cases} END FROM {EVENTS} e WHERE e.agreement_id = {key} "
        f"AND e.kind IN ({kinds}) ORDER BY e.date DESC, e.id DESC LIMIT 1), 'signed')"
    )


def follow(key):
    return f"UPDATE {AGREEMENTS} SET status = {derived(key)} WHERE id = {key} AND status <> {derived(key)}"


QUOTED_REFUSAL = REFUSED.replace("'", "''")

SQLITE = [
    f"CREATE TRIGGER {EVENTS}_status_insert AFTER INSERT ON {EVENTS} BEGIN {follow('NEW.agreement_id')}; END",
    f"CREATE TRIGGER {EVENTS}_status_delete AFTER DELETE ON {EVENTS} BEGIN {follow('OLD.agreement_id')}; END",
    f"CREATE TRIGGER {EVENTS}_status_update AFTER UPDATE ON {EVENTS} "
    f"BEGIN {follow('OLD.agreement_id')}; {follow('NEW.agreement_id')}; END",
    f"CREATE TRIGGER {AGREEMENTS}_status_guard BEFORE UPDATE OF status ON {AGREEMENTS} "
    f"WHEN NEW.status <> {derived('NEW.id')} BEGIN SELECT RAISE(ABORT, '{QUOTED_REFUSAL}'); END",
]

POSTGRESQL = [
    f"""
    CREATE FUNCTION {EVENTS}_status() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN {follow('OLD.agreement_id')}; END IF;
        IF TG_OP <> 'DELETE' THEN {follow('NEW.agreement_id')}; END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"CREATE TRIGGER {EVENTS}_status AFTER INSERT OR UPDATE OR DELETE ON {EVENTS} "
    f"FOR EACH ROW EXECUTE FUNCTION {EVENTS}_status()",
    f"""
    CREATE FUNCTION {AGREEMENTS}_status() RETURNS trigger AS $$
    BEGIN
        IF NEW.status IS DISTINCT FROM {derived('NEW.id')} THEN
            RAISE EXCEPTION '{QUOTED_REFUSAL}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"CREATE TRIGGER {AGREEMENTS}_status BEFORE UPDATE OF status ON {AGREEMENTS} "
    f"FOR EACH ROW EXECUTE FUNCTION {AGREEMENTS}_status()",
]

WATCHED = [
    "agreements_source",
    "agreements_meetingcitation",
    "agreements_commitmentcitation",
    "agreements_statuschange",
    AGREEMENTS,
    "agreements_agreement_parties",
    "agreements_agreement_supersedes",
    "agreements_agreement_amends",
    "agreements_agreementcitation",
    EVENTS,
    "agreements_signatory",
    "agreements_agreementtext",
]
WRITES = ("insert", "update", "delete")
EDITED = ["agreement", "agreementcitation", "agreementevent", "signatory", "agreementtext"]


def let_editors_edit_agreements(apps, schema_editor):
    app_config = apps.get_app_config("agreements")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    codenames = [f"{action}_{model}" for model in EDITED for action in ("view", "add", "change")]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="agreements", codename__in=codenames)
    )


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}[vendor]:
        schema_editor.execute(statement, params=None)
    for table in WATCHED:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION agreements_new_data_version()",
                params=None,
            )
        else:
            for write in WRITES:
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_data_version_{write} AFTER {write.upper()} ON {table} "
                    "BEGIN UPDATE agreements_dataversion SET token = lower(hex(randomblob(16))); END",
                    params=None,
                )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in (EVENTS, AGREEMENTS):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_status ON {table}", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_status()", params=None)
        for table in WATCHED:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}", params=None)
    else:
        for name in ("status_insert", "status_delete", "status_update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {EVENTS}_{name}", params=None)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {AGREEMENTS}_status_guard", params=None)
        for table in WATCHED:
            for write in WRITES:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_data_version_{write}", params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0020_agreements")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(let_editors_edit_agreements, migrations.RunPython.noop),
    ]
