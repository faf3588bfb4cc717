"""Sources for a leader's office and term, which Editors may view, add and change; the leader pages
show them, so writes to them change the data version (see 0006)."""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

TABLE = "agreements_leadercitation"
EVENTS = ("insert", "update", "delete")


def watch(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {TABLE} FOR EACH STATEMENT EXECUTE FUNCTION agreements_new_data_version()",
            params=None,
        )
    elif vendor == "sqlite":
        for event in EVENTS:
            schema_editor.execute(
                f"CREATE TRIGGER {TABLE}_data_version_{event} AFTER {event.upper()} ON {TABLE} "
                "BEGIN UPDATE agreements_dataversion SET token = lower(hex(randomblob(16))); END",
                params=None,
            )


def let_editors_cite_sources_for_terms(apps, schema_editor):
    app_config = apps.get_app_config("agreements")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    codenames = [f"{action}_leadercitation" for action in ("view", "add", "change")]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="agreements", codename__in=codenames)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0028_search_words'),
    ]

    operations = [
        migrations.CreateModel(
            name='LeaderCitation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('excerpt', models.CharField(blank=True, help_text='A short quotation, 25 words at most.', max_length=300)),
                ('leader', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='citations', to='agreements.leader')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='agreements.source')),
            ],
            options={
                'ordering': ['id'],
                'constraints': [models.UniqueConstraint(fields=('leader', 'source'), name='leader_cites_source_once')],
            },
        ),
        # The table's triggers go with it when it is dropped.
        migrations.RunPython(watch, migrations.RunPython.noop),
        migrations.RunPython(let_editors_cite_sources_for_terms, migrations.RunPython.noop),
    ]
