"""Sources for a leader's office and term; the leader pages show them, so writes to them change the
data version (see 0006)."""

import django.db.models.deletion
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
    ]
