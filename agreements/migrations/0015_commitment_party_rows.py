"""Party rows of commitments: one row for each party of a commitment, carrying its topic, status
and date, so a country's commitments are one index range, newest first (as migration 0012 does
for meetings).

Kept by triggers, whoever writes: a party row added to or removed from a commitment adds or
removes its row; a commitment's new topic, status or date (its meeting moved: migration 0008)
is copied to its rows. Each row depends on its link row and commitment alone, so AFTER row
triggers serve on both databases.
"""

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models

PARTIES = "agreements_commitment_parties"
ROWS = "agreements_countrycommitment"
COMMITMENTS = "agreements_commitment"
COPIED = "c.topic_id, c.status, c.meeting_date"


def added(row):
    return (
        f"INSERT INTO {ROWS} (commitment_id, country_id, topic_id, status, meeting_date) "
        f"SELECT {row}.commitment_id, {row}.country_id, {COPIED} FROM {COMMITMENTS} c WHERE c.id = {row}.commitment_id"
    )


def removed(row):
    return f"DELETE FROM {ROWS} WHERE commitment_id = {row}.commitment_id AND country_id = {row}.country_id"


CHANGED = (
    f"UPDATE {ROWS} SET topic_id = NEW.topic_id, status = NEW.status, meeting_date = NEW.meeting_date "
    "WHERE commitment_id = NEW.id"
)
# meeting_id too: on PostgreSQL a trigger sets meeting_date when only meeting_id is updated
WATCHED = "meeting_id, topic_id, status, meeting_date"


def sqlite_statements():
    return [
        f"CREATE TRIGGER {PARTIES}_party_insert AFTER INSERT ON {PARTIES} BEGIN {added('NEW')}; END",
        f"CREATE TRIGGER {PARTIES}_party_delete AFTER DELETE ON {PARTIES} BEGIN {removed('OLD')}; END",
        f"CREATE TRIGGER {COMMITMENTS}_party_update AFTER UPDATE OF {WATCHED} ON {COMMITMENTS} BEGIN {CHANGED}; END",
    ]


def postgresql_statements():
    return [
        f"""
        CREATE FUNCTION {PARTIES}_party() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN {removed('OLD')}; RETURN NULL; END IF;
            {added('NEW')};
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """,
        f"CREATE TRIGGER {PARTIES}_party AFTER INSERT OR DELETE ON {PARTIES} FOR EACH ROW EXECUTE FUNCTION {PARTIES}_party()",
        f"CREATE FUNCTION {COMMITMENTS}_party() RETURNS trigger AS $$ BEGIN {CHANGED}; RETURN NULL; END; $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {COMMITMENTS}_party AFTER UPDATE OF {WATCHED} ON {COMMITMENTS} FOR EACH ROW EXECUTE FUNCTION {COMMITMENTS}_party()",
    ]


FILL = (
    f"INSERT INTO {ROWS} (commitment_id, country_id, topic_id, status, meeting_date) "
    f"SELECT x.commitment_id, x.country_id, {COPIED} FROM {PARTIES} x JOIN {COMMITMENTS} c ON c.id = x.commitment_id"
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    triggers = {"postgresql": postgresql_statements, "sqlite": sqlite_statements}[vendor]()
    for statement in [*triggers, FILL]:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    for table in (PARTIES, COMMITMENTS):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_party ON {table}", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_party()", params=None)
        else:
            for event in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_party_{event}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0014_meeting_date_order'),
    ]

    operations = [
        migrations.CreateModel(
            name='CountryCommitment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(max_length=20)),
                ('meeting_date', models.DateField(null=True)),
                ('commitment', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.commitment')),
                ('country', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
                ('topic', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.topic')),
            ],
            options={
                'ordering': ['country', '-meeting_date', '-commitment'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
                'indexes': [models.Index(fields=['country', 'meeting_date', 'commitment'], name='country_commitment_date_idx'), models.Index(fields=['country', 'topic', 'meeting_date', 'commitment'], name='country_commitment_topic_idx')],
                'constraints': [models.UniqueConstraint(fields=('commitment', 'country'), name='country_commitment_unique')],
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
