"""A commitment's thread: links from a later commitment to earlier ones (reaffirms, extends,
supersedes, fulfils), and the agreement that fulfils a commitment.

The database refuses a link to a commitment agreed on the same day or later (so a thread never
loops back), and keeps `Commitment.superseded` equal to whether a later commitment supersedes
it, refusing any other value, as migration 0016 does for the status. Links change the data
version (0006); Editors may view, add and change them. SQLite's triggers are kept aside while
the commitments' table is rebuilt, as in migration 0020.
"""

from importlib import import_module

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

agreements_migration = import_module("agreements.migrations.0020_agreements")
keep_sqlite_triggers = agreements_migration.keep_sqlite_triggers
restore_sqlite_triggers = agreements_migration.restore_sqlite_triggers

LINKS = "agreements_commitmentlink"
COMMITMENTS = "agreements_commitment"
OUT_OF_ORDER = "A commitment links only to one agreed before it."
REFUSED = "Whether a commitment is superseded follows its links: link a later commitment to change it."


def superseded(key):
    return f"EXISTS (SELECT 1 FROM {LINKS} l WHERE l.earlier_id = {key} AND l.kind = 'supersedes')"


def follow(key):
    return (
        f"UPDATE {COMMITMENTS} SET superseded = {superseded(key)} "
        f"WHERE id = {key} AND superseded <> {superseded(key)}"
    )


def out_of_order(new):
    return (
        f"(SELECT meeting_date FROM {COMMITMENTS} WHERE id = {new}.earlier_id) >= "
        f"(SELECT meeting_date FROM {COMMITMENTS} WHERE id = {new}.commitment_id)"
    )


SQLITE = [
    *(
        f"CREATE TRIGGER {LINKS}_order_{event} BEFORE {event.upper()} ON {LINKS} "
        f"WHEN {out_of_order('NEW')} BEGIN SELECT RAISE(ABORT, '{OUT_OF_ORDER}'); END"
        for event in ("insert", "update")
    ),
    f"CREATE TRIGGER {LINKS}_superseded_insert AFTER INSERT ON {LINKS} BEGIN {follow('NEW.earlier_id')}; END",
    f"CREATE TRIGGER {LINKS}_superseded_delete AFTER DELETE ON {LINKS} BEGIN {follow('OLD.earlier_id')}; END",
    f"CREATE TRIGGER {LINKS}_superseded_update AFTER UPDATE ON {LINKS} "
    f"BEGIN {follow('OLD.earlier_id')}; {follow('NEW.earlier_id')}; END",
    f"CREATE TRIGGER {COMMITMENTS}_superseded_guard BEFORE UPDATE OF superseded ON {COMMITMENTS} "
    f"WHEN NEW.superseded <> {superseded('NEW.id')} BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    *(
        f"CREATE TRIGGER {LINKS}_data_version_{event} AFTER {event.upper()} ON {LINKS} "
        "BEGIN UPDATE agreements_dataversion SET token = lower(hex(randomblob(16))); END"
        for event in ("insert", "update", "delete")
    ),
]

POSTGRESQL = [
    f"""
    CREATE FUNCTION {LINKS}_order() RETURNS trigger AS $$
    BEGIN
        IF {out_of_order('NEW')} THEN
            RAISE EXCEPTION '{OUT_OF_ORDER}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"CREATE TRIGGER {LINKS}_order BEFORE INSERT OR UPDATE ON {LINKS} FOR EACH ROW EXECUTE FUNCTION {LINKS}_order()",
    f"""
    CREATE FUNCTION {LINKS}_superseded() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN {follow('OLD.earlier_id')}; END IF;
        IF TG_OP <> 'DELETE' THEN {follow('NEW.earlier_id')}; END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"CREATE TRIGGER {LINKS}_superseded AFTER INSERT OR UPDATE OR DELETE ON {LINKS} "
    f"FOR EACH ROW EXECUTE FUNCTION {LINKS}_superseded()",
    f"""
    CREATE FUNCTION {COMMITMENTS}_superseded() RETURNS trigger AS $$
    BEGIN
        IF NEW.superseded IS DISTINCT FROM {superseded('NEW.id')} THEN
            RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    f"CREATE TRIGGER {COMMITMENTS}_superseded BEFORE UPDATE OF superseded ON {COMMITMENTS} "
    f"FOR EACH ROW EXECUTE FUNCTION {COMMITMENTS}_superseded()",
    f"CREATE TRIGGER {LINKS}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {LINKS} "
    "FOR EACH STATEMENT EXECUTE FUNCTION agreements_new_data_version()",
]


def create_triggers(apps, schema_editor):
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {COMMITMENTS}_superseded ON {COMMITMENTS}", params=None)
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {COMMITMENTS}_superseded()", params=None)
        for name in ("order", "superseded", "data_version"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {LINKS}_{name} ON {LINKS}", params=None)
        for name in ("order", "superseded"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {LINKS}_{name}()", params=None)
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {COMMITMENTS}_superseded_guard", params=None)
        for name in (
            "order_insert", "order_update", "superseded_insert", "superseded_delete", "superseded_update",
            "data_version_insert", "data_version_update", "data_version_delete",
        ):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {LINKS}_{name}", params=None)


def let_editors_edit_links(apps, schema_editor):
    app_config = apps.get_app_config("agreements")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    codenames = [f"{action}_commitmentlink" for action in ("view", "add", "change")]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="agreements", codename__in=codenames)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0021_agreement_status_from_events'),
    ]

    operations = [
        migrations.RunPython(keep_sqlite_triggers, restore_sqlite_triggers),
        migrations.AddField(
            model_name='commitment',
            name='fulfilled_by',
            field=models.ForeignKey(blank=True, help_text='The agreement that fulfils it, if one does (a negotiation opened, then its text signed).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='fulfils', to='agreements.agreement'),
        ),
        migrations.AddField(
            model_name='commitment',
            name='superseded',
            field=models.BooleanField(db_default=False, default=False, editable=False, help_text='Whether a later commitment supersedes it, kept by the database (migration 0022).'),
        ),
        migrations.CreateModel(
            name='CommitmentLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('reaffirms', 'Reaffirms'), ('extends', 'Extends'), ('supersedes', 'Supersedes'), ('fulfils', 'Fulfils')], max_length=12)),
                ('note', models.CharField(blank=True, max_length=300)),
                ('commitment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links', to='agreements.commitment')),
                ('earlier', models.ForeignKey(help_text='A commitment agreed before this one.', on_delete=django.db.models.deletion.CASCADE, related_name='later_links', to='agreements.commitment')),
            ],
            options={
                'ordering': ['id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['reaffirms', 'extends', 'supersedes', 'fulfils'])), name='commitment_link_kind_known'), models.CheckConstraint(condition=models.Q(('commitment', models.F('earlier')), _negated=True), name='commitment_link_not_to_itself', violation_error_message='A commitment cannot be linked to itself.'), models.UniqueConstraint(fields=('commitment', 'earlier'), name='commitment_link_once')],
            },
        ),
        migrations.RunPython(restore_sqlite_triggers, keep_sqlite_triggers),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(let_editors_edit_links, migrations.RunPython.noop),
    ]
