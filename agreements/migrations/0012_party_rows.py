"""Party rows: one row for each country and each leader of a meeting, carrying the meeting's date
and kind, so a country's or a leader's meetings are one index range, newest first.

Kept by triggers, whoever writes: a link row adds its party row and deletes it; a meeting's new
date or kind is copied to its party rows. Each row depends on its link row and meeting alone, so
AFTER row triggers serve on both databases.
"""

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models

MEETINGS = "agreements_meeting"
# link table: (party rows, party column, meeting columns copied)
LINKS = {
    "agreements_meeting_countries": ("agreements_countrymeeting", "country_id", ("date", "kind")),
    "agreements_meeting_leaders": ("agreements_leadermeeting", "leader_id", ("date", "kind")),
}


def added(row, rows, party, copied):
    columns = ", ".join(copied)
    return (
        f"INSERT INTO {rows} (meeting_id, {party}, {columns}) "
        f"SELECT {row}.meeting_id, {row}.{party}, {', '.join(f'm.{c}' for c in copied)} "
        f"FROM {MEETINGS} m WHERE m.id = {row}.meeting_id"
    )


def removed(row, rows, party):
    return f"DELETE FROM {rows} WHERE meeting_id = {row}.meeting_id AND {party} = {row}.{party}"


def moved(rows, copied):
    return f"UPDATE {rows} SET {', '.join(f'{c} = NEW.{c}' for c in copied)} WHERE meeting_id = NEW.id"


def sqlite_statements():
    statements = []
    for table, (rows, party, copied) in LINKS.items():
        statements += [
            f"CREATE TRIGGER {table}_party_insert AFTER INSERT ON {table} "
            f"BEGIN {added('NEW', rows, party, copied)}; END",
            f"CREATE TRIGGER {table}_party_delete AFTER DELETE ON {table} "
            f"BEGIN {removed('OLD', rows, party)}; END",
        ]
    moves = "; ".join(moved(rows, copied) for rows, _party, copied in LINKS.values())
    statements.append(f"CREATE TRIGGER {MEETINGS}_party_update AFTER UPDATE OF date, kind ON {MEETINGS} BEGIN {moves}; END")
    return statements


def postgresql_statements():
    statements = []
    for table, (rows, party, copied) in LINKS.items():
        statements += [
            f"""
            CREATE FUNCTION {table}_party() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN {removed('OLD', rows, party)}; RETURN NULL; END IF;
                {added('NEW', rows, party, copied)};
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """,
            f"CREATE TRIGGER {table}_party AFTER INSERT OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_party()",
        ]
    moves = "; ".join(moved(rows, copied) for rows, _party, copied in LINKS.values())
    statements += [
        f"CREATE FUNCTION {MEETINGS}_party() RETURNS trigger AS $$ BEGIN {moves}; RETURN NULL; END; $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {MEETINGS}_party AFTER UPDATE OF date, kind ON {MEETINGS} FOR EACH ROW EXECUTE FUNCTION {MEETINGS}_party()",
    ]
    return statements


def fill_statements():
    return [
        f"INSERT INTO {rows} (meeting_id, {party}, {', '.join(copied)}) "
        f"SELECT x.meeting_id, x.{party}, {', '.join(f'm.{c}' for c in copied)} "
        f"FROM {table} x JOIN {MEETINGS} m ON m.id = x.meeting_id"
        for table, (rows, party, copied) in LINKS.items()
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    triggers = {"postgresql": postgresql_statements, "sqlite": sqlite_statements}[vendor]()
    for statement in [*triggers, *fill_statements()]:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in [*LINKS, MEETINGS]:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_party ON {table}", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_party()", params=None)
        else:
            for event in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_party_{event}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0011_pair_rows'),
    ]

    operations = [
        migrations.CreateModel(
            name='CountryMeeting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField()),
                ('kind', models.CharField(max_length=20)),
                ('country', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
                ('meeting', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.meeting')),
            ],
            options={
                'ordering': ['country', '-date', '-meeting'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
                'indexes': [models.Index(fields=['country', 'date', 'meeting'], name='country_meeting_date_idx')],
                'constraints': [models.UniqueConstraint(fields=('meeting', 'country'), name='country_meeting_unique')],
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='LeaderMeeting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField()),
                ('kind', models.CharField(max_length=20)),
                ('leader', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.leader')),
                ('meeting', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.meeting')),
            ],
            options={
                'ordering': ['leader', '-date', '-meeting'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
                'indexes': [models.Index(fields=['leader', 'date', 'meeting'], name='leader_meeting_date_idx')],
                'constraints': [models.UniqueConstraint(fields=('meeting', 'leader'), name='leader_meeting_unique')],
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
