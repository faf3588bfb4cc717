"""Corrections: readers' reports of errors and the editors' decisions, which Editors may view and
change. The public log reads accepted ones, so a write that can change it gives a new data
version (0006): a report received as new does not; deciding one does.

The data version also keeps the moment the record last changed (`changed_at`), set by the
database whenever the token is replaced, so that "Record last updated" is one row's read. It
starts at the latest change the records' timestamps show.
"""

import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

CORRECTIONS = "agreements_correction"
NEW_TOKEN_SQLITE = "UPDATE agreements_dataversion SET token = lower(hex(randomblob(16)))"
TIMESTAMPED = ["agreements_meeting", "agreements_commitment", "agreements_agreement", "agreements_leader", "agreements_source"]


def create_triggers(apps, schema_editor):
    execute = schema_editor.execute
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        execute(
            f"CREATE TRIGGER {CORRECTIONS}_data_version_insert AFTER INSERT ON {CORRECTIONS} FOR EACH ROW "
            "WHEN (NEW.state <> 'new') EXECUTE FUNCTION agreements_new_data_version()",
            params=None,
        )
        execute(
            f"CREATE TRIGGER {CORRECTIONS}_data_version AFTER UPDATE OR DELETE OR TRUNCATE "
            f"ON {CORRECTIONS} FOR EACH STATEMENT EXECUTE FUNCTION agreements_new_data_version()",
            params=None,
        )
    elif vendor == "sqlite":
        execute(
            f"CREATE TRIGGER {CORRECTIONS}_data_version_insert AFTER INSERT ON {CORRECTIONS} "
            f"WHEN NEW.state <> 'new' BEGIN {NEW_TOKEN_SQLITE}; END",
            params=None,
        )
        for event in ("update", "delete"):
            execute(
                f"CREATE TRIGGER {CORRECTIONS}_data_version_{event} AFTER {event.upper()} ON {CORRECTIONS} "
                f"BEGIN {NEW_TOKEN_SQLITE}; END",
                params=None,
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    names = ["insert", ""] if vendor == "postgresql" else ["insert", "update", "delete"]
    for name in names:
        trigger = f"{CORRECTIONS}_data_version" + (f"_{name}" if name else "")
        on = f" ON {CORRECTIONS}" if vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}{on}", params=None)


def keep_changed_at(apps, schema_editor):
    execute = schema_editor.execute
    vendor = schema_editor.connection.vendor
    latest = " UNION ALL ".join(f"SELECT max(updated_at) AS at FROM {table}" for table in TIMESTAMPED)
    if vendor == "postgresql":
        execute(
            "ALTER TABLE agreements_dataversion ADD COLUMN changed_at timestamp with time zone "
            "NOT NULL DEFAULT now()",
            params=None,
        )
        execute(
            f"UPDATE agreements_dataversion SET changed_at = coalesce((SELECT max(at) FROM ({latest}) t), now())",
            params=None,
        )
        execute(
            "CREATE FUNCTION agreements_data_version_changed() RETURNS trigger AS $$ "
            "BEGIN NEW.changed_at = now(); RETURN NEW; END; $$ LANGUAGE plpgsql",
            params=None,
        )
        execute(
            "CREATE TRIGGER agreements_dataversion_changed_at BEFORE UPDATE OF token ON agreements_dataversion "
            "FOR EACH ROW EXECUTE FUNCTION agreements_data_version_changed()",
            params=None,
        )
    elif vendor == "sqlite":
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        execute(
            "ALTER TABLE agreements_dataversion ADD COLUMN changed_at text NOT NULL DEFAULT '1970-01-01 00:00:00'",
            params=None,
        )
        execute(
            f"UPDATE agreements_dataversion SET changed_at = coalesce((SELECT max(at) FROM ({latest})), {now})",
            params=None,
        )
        execute(
            "CREATE TRIGGER agreements_dataversion_changed_at AFTER UPDATE OF token ON agreements_dataversion "
            f"BEGIN UPDATE agreements_dataversion SET changed_at = {now} WHERE id = NEW.id; END",
            params=None,
        )


def drop_changed_at(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("DROP TRIGGER IF EXISTS agreements_dataversion_changed_at ON agreements_dataversion", params=None)
        execute("DROP FUNCTION IF EXISTS agreements_data_version_changed()", params=None)
    else:
        execute("DROP TRIGGER IF EXISTS agreements_dataversion_changed_at", params=None)
    execute("ALTER TABLE agreements_dataversion DROP COLUMN changed_at", params=None)


def let_editors_decide_corrections(apps, schema_editor):
    app_config = apps.get_app_config("agreements")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    codenames = [f"{action}_correction" for action in ("view", "change")]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="agreements", codename__in=codenames)
    )




class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0026_follow_through_rows'),
    ]

    operations = [
        migrations.CreateModel(
            name='Correction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('page', models.CharField(help_text="The path of the record's page.", max_length=200)),
                ('description', models.TextField(help_text='What the reader says is wrong.', max_length=2000)),
                ('source_url', models.URLField(blank=True, max_length=500, verbose_name='source')),
                ('email', models.EmailField(blank=True, help_text='For the editors only; never shown.', max_length=254, verbose_name="reporter's email")),
                ('client_hash', models.CharField(editable=False, help_text='A salted hash of the address.', max_length=64)),
                ('state', models.CharField(choices=[('new', 'New'), ('accepted', 'Accepted'), ('rejected', 'Rejected')], default='new', max_length=10)),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='received')),
                ('decided_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='decided')),
                ('public_note', models.TextField(blank=True, help_text="Shown in the public log when accepted: what was corrected. Never the reporter's email.", max_length=1000)),
            ],
            options={
                'ordering': ['-received_at', '-id'],
                'indexes': [models.Index(fields=['client_hash', 'received_at'], name='correction_client_idx'), models.Index(fields=['received_at'], name='correction_received_idx'), models.Index(fields=['state', '-decided_at', '-id'], name='correction_state_decided_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('state__in', ['new', 'accepted', 'rejected'])), name='correction_state_known'), models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('state', 'new')), models.Q(models.Q(('state', 'new'), _negated=True), ('decided_at__isnull', False)), _connector='OR'), name='correction_decided_when_not_new', violation_error_message='A decided correction has a day of decision; a new one has none.'), models.CheckConstraint(condition=models.Q(django.db.models.lookups.GreaterThan(django.db.models.functions.text.Length('description'), 0), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('description'), 2000)), name='correction_description_bounded'), models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('public_note'), 1000), name='correction_note_bounded')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(keep_changed_at, drop_changed_at),
        migrations.RunPython(let_editors_decide_corrections, migrations.RunPython.noop),
    ]
