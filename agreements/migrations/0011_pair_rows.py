"""Pair rows: one row for each pair of a meeting's countries and of a commitment's parties,
carrying what a pair's lists sort and filter by (date and kind; topic, status and date), so a pair's
meetings or commitments are one index range, newest first (see `agreements.models.Pair`).

Kept by triggers, whoever writes, with the same timing as the summaries' (migration 0010): a
link row adds the pairs it makes with the rows of its meeting or commitment present at that
moment and deletes those it made; a meeting's new date or kind and a commitment's new topic,
status or date are copied to its pairs.
"""

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models



MEETINGS = "agreements_meeting"
COMMITMENTS = "agreements_commitment"
MEETING_COUNTRIES = "agreements_meeting_countries"
PARTIES = "agreements_commitment_parties"


def pair_of(other, row):
    return (
        f"CASE WHEN {other} < {row} THEN {other} ELSE {row} END, "
        f"CASE WHEN {other} < {row} THEN {row} ELSE {other} END"
    )


def added_meeting_country(row):
    return (
        "INSERT INTO agreements_meetingpair (meeting_id, country_a_id, country_b_id, date, kind) "
        f"SELECT {row}.meeting_id, {pair_of('o.country_id', f'{row}.country_id')}, m.date, m.kind "
        f"FROM {MEETING_COUNTRIES} o JOIN {MEETINGS} m ON m.id = o.meeting_id "
        f"WHERE o.meeting_id = {row}.meeting_id AND o.country_id <> {row}.country_id"
    )


def removed_meeting_country(row):
    return (
        f"DELETE FROM agreements_meetingpair WHERE meeting_id = {row}.meeting_id "
        f"AND (country_a_id = {row}.country_id OR country_b_id = {row}.country_id)"
    )


def added_party(row):
    return (
        "INSERT INTO agreements_commitmentpair "
        "(commitment_id, country_a_id, country_b_id, topic_id, status, meeting_date) "
        f"SELECT {row}.commitment_id, {pair_of('o.country_id', f'{row}.country_id')}, c.topic_id, c.status, "
        f"c.meeting_date FROM {PARTIES} o JOIN {COMMITMENTS} c ON c.id = o.commitment_id "
        f"WHERE o.commitment_id = {row}.commitment_id AND o.country_id <> {row}.country_id"
    )


def removed_party(row):
    return (
        f"DELETE FROM agreements_commitmentpair WHERE commitment_id = {row}.commitment_id "
        f"AND (country_a_id = {row}.country_id OR country_b_id = {row}.country_id)"
    )


MEETING_MOVED = "UPDATE agreements_meetingpair SET date = NEW.date, kind = NEW.kind WHERE meeting_id = NEW.id"
COMMITMENT_CHANGED = (
    "UPDATE agreements_commitmentpair SET topic_id = NEW.topic_id, status = NEW.status, "
    "meeting_date = NEW.meeting_date WHERE commitment_id = NEW.id"
)
# table: (added, removed) for link tables; (columns, statement) for the records
LINKS = {MEETING_COUNTRIES: (added_meeting_country, removed_meeting_country), PARTIES: (added_party, removed_party)}
RECORDS = {
    MEETINGS: ("date, kind", MEETING_MOVED),
    # meeting_id too: on PostgreSQL a trigger sets meeting_date when only meeting_id is updated
    COMMITMENTS: ("meeting_id, topic_id, status, meeting_date", COMMITMENT_CHANGED),
}


def sqlite_statements():
    statements = []
    for table, (added, removed) in LINKS.items():
        statements += [
            f"CREATE TRIGGER {table}_pairs_insert AFTER INSERT ON {table} BEGIN {added('NEW')}; END",
            f"CREATE TRIGGER {table}_pairs_delete AFTER DELETE ON {table} BEGIN {removed('OLD')}; END",
        ]
    for table, (columns, statement) in RECORDS.items():
        statements.append(f"CREATE TRIGGER {table}_pairs_update AFTER UPDATE OF {columns} ON {table} BEGIN {statement}; END")
    return statements


def postgresql_statements():
    statements = []
    for table, (added, removed) in LINKS.items():
        statements += [
            f"""
            CREATE FUNCTION {table}_pairs() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN {removed('OLD')}; RETURN OLD; END IF;
                {added('NEW')};
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """,
            f"CREATE TRIGGER {table}_pairs BEFORE INSERT OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_pairs()",
        ]
    for table, (columns, statement) in RECORDS.items():
        statements += [
            f"""
            CREATE FUNCTION {table}_pairs() RETURNS trigger AS $$
            BEGIN {statement}; RETURN NULL; END;
            $$ LANGUAGE plpgsql
            """,
            f"CREATE TRIGGER {table}_pairs AFTER UPDATE OF {columns} ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_pairs()",
        ]
    return statements


FILL = [
    "INSERT INTO agreements_meetingpair (meeting_id, country_a_id, country_b_id, date, kind) "
    f"SELECT x.meeting_id, x.country_id, y.country_id, m.date, m.kind FROM {MEETING_COUNTRIES} x "
    f"JOIN {MEETING_COUNTRIES} y ON y.meeting_id = x.meeting_id AND x.country_id < y.country_id "
    f"JOIN {MEETINGS} m ON m.id = x.meeting_id",
    "INSERT INTO agreements_commitmentpair (commitment_id, country_a_id, country_b_id, topic_id, status, meeting_date) "
    f"SELECT x.commitment_id, x.country_id, y.country_id, c.topic_id, c.status, c.meeting_date FROM {PARTIES} x "
    f"JOIN {PARTIES} y ON y.commitment_id = x.commitment_id AND x.country_id < y.country_id "
    f"JOIN {COMMITMENTS} c ON c.id = x.commitment_id",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    triggers = {"postgresql": postgresql_statements, "sqlite": sqlite_statements}[vendor]()
    for statement in [*triggers, *FILL]:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in [*LINKS, *RECORDS]:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_pairs ON {table}", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_pairs()", params=None)
        else:
            for event in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_pairs_{event}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0010_summaries'),
    ]

    operations = [
        migrations.CreateModel(
            name='CommitmentPair',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(max_length=20)),
                ('meeting_date', models.DateField(null=True)),
                ('commitment', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='pairs', to='agreements.commitment')),
                ('country_a', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
                ('country_b', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
                ('topic', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.topic')),
            ],
            options={
                'ordering': ['country_a', 'country_b', '-meeting_date', '-commitment'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
                'indexes': [models.Index(fields=['country_a', 'country_b', 'meeting_date', 'commitment'], name='commitment_pair_date_idx'), models.Index(fields=['country_a', 'country_b', 'topic', 'meeting_date', 'commitment'], name='commitment_pair_topic_idx')],
                'constraints': [models.UniqueConstraint(fields=('commitment', 'country_a', 'country_b'), name='commitment_pair_unique')],
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='MeetingPair',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField()),
                ('kind', models.CharField(max_length=20)),
                ('country_a', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
                ('country_b', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
                ('meeting', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='pairs', to='agreements.meeting')),
            ],
            options={
                'ordering': ['country_a', 'country_b', '-date', '-meeting'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
                'indexes': [models.Index(fields=['country_a', 'country_b', 'date', 'meeting'], name='meeting_pair_date_idx')],
                'constraints': [models.UniqueConstraint(fields=('meeting', 'country_a', 'country_b'), name='meeting_pair_unique')],
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
