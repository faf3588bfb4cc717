"""Summaries the database keeps: counts of meetings and commitments by year, kind, topic and
status, by country, leader and pair (see "Summaries" in `agreements.models`).

Triggers change them in the same statement as the write, whoever writes: a meeting or
commitment added, deleted or changed, a country, leader or party added to or removed from one.
Rows of the link tables are inserted and deleted, never updated: an update of one is refused.

A link row's trigger counts the pairs it makes with the other rows of its meeting or commitment
present at that moment. SQLite fires row triggers as each row is written, so AFTER triggers see
the rows before it; PostgreSQL fires AFTER row triggers at the end of the statement, so the link
tables' triggers there run BEFORE each row, which sees the rows already written by the statement.
"""

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models



MEETINGS = "agreements_meeting"
COMMITMENTS = "agreements_commitment"
MEETING_COUNTRIES = "agreements_meeting_countries"
MEETING_LEADERS = "agreements_meeting_leaders"
PARTIES = "agreements_commitment_parties"


def year(vendor, day):
    if vendor == "postgresql":
        return f"COALESCE(CAST(EXTRACT(YEAR FROM {day}) AS integer), 0)"
    return f"COALESCE(CAST(strftime('%Y', {day}) AS integer), 0)"


def change(table, keys, counter, sign, source="", others=()):
    """Add `sign` to `counter` of the rows of `table` whose `keys` (column: expression) are those
    of `source` ("FROM ... WHERE ...", or none for the one row of the expressions).

    An increment inserts missing keys (with `others`, the table's other counters, at 0); a
    decrement only changes rows already there, so that emptying the tables one after another
    (Django's `flush`) leaves no row behind, whichever table goes first.
    """
    columns, expressions = list(keys), list(keys.values())
    if sign > 0:
        values = [*expressions, "1", *("0" for _ in others)]
        rows = f"SELECT {', '.join(values)} {source}" if source else f"VALUES ({', '.join(values)})"
        return (
            f"INSERT INTO {table} ({', '.join([*columns, counter, *others])}) {rows} "
            f"ON CONFLICT ({', '.join(columns)}) DO UPDATE SET {counter} = {table}.{counter} + 1"
        )
    if source:
        where = f"({', '.join(columns)}) IN (SELECT {', '.join(expressions)} {source})"
    else:
        where = " AND ".join(f"{column} = {expression}" for column, expression in keys.items())
    return f"UPDATE {table} SET {counter} = {counter} - 1 WHERE {where}"


def pair_of(other, row):
    """The codes of `other` and `row`, in alphabetical order, as the pair's two key columns."""
    return {
        "country_a_id": f"CASE WHEN {other} < {row} THEN {other} ELSE {row} END",
        "country_b_id": f"CASE WHEN {other} < {row} THEN {row} ELSE {other} END",
    }


def meeting_changes(vendor, row, sign):
    keys = {"year": year(vendor, f"{row}.date"), "kind": f"{row}.kind"}
    return [change("agreements_meetingtally", keys, "meetings", sign)]


def commitment_changes(vendor, row, sign):
    keys = {
        "year": year(vendor, f"{row}.meeting_date"),
        "topic_id": f"{row}.topic_id",
        "status": f"{row}.status",
    }
    pair_keys = {
        "country_a_id": "x.country_id",
        "country_b_id": "y.country_id",
        "topic_id": f"{row}.topic_id",
        "status": f"{row}.status",
    }
    pairs = (
        f"FROM {PARTIES} x JOIN {PARTIES} y ON y.commitment_id = x.commitment_id "
        f"WHERE x.commitment_id = {row}.id AND x.country_id < y.country_id"
    )
    return [
        change("agreements_commitmenttally", keys, "commitments", sign),
        change("agreements_pairtopictally", pair_keys, "commitments", sign, pairs),
    ]


def meeting_country_changes(vendor, row, sign):
    others = (
        f"FROM {MEETING_COUNTRIES} o WHERE o.meeting_id = {row}.meeting_id AND o.country_id <> {row}.country_id"
    )
    pair = pair_of("o.country_id", f"{row}.country_id")
    country = {"country_id": f"{row}.country_id"}
    return [
        change("agreements_pairtally", pair, "meetings", sign, others, others=["commitments"]),
        change("agreements_countrytally", country, "meetings", sign, others=["commitments"]),
    ]


def meeting_leader_changes(vendor, row, sign):
    return [change("agreements_leadertally", {"leader_id": f"{row}.leader_id"}, "meetings", sign)]


def party_changes(vendor, row, sign):
    others = (
        f"FROM {PARTIES} o JOIN {COMMITMENTS} c ON c.id = o.commitment_id "
        f"WHERE o.commitment_id = {row}.commitment_id AND o.country_id <> {row}.country_id"
    )
    pair = pair_of("o.country_id", f"{row}.country_id")
    country = {"country_id": f"{row}.country_id"}
    return [
        change("agreements_pairtally", pair, "commitments", sign, others, others=["meetings"]),
        change(
            "agreements_pairtopictally", {**pair, "topic_id": "c.topic_id", "status": "c.status"}, "commitments", sign, others
        ),
        change("agreements_countrytally", country, "commitments", sign, others=["meetings"]),
    ]


# table: (the changes a row makes, the columns whose update moves it, or None for link tables)
TRIGGERS = {
    MEETINGS: (meeting_changes, "date, kind"),
    COMMITMENTS: (commitment_changes, "meeting_id, meeting_date, topic_id, status"),
    MEETING_COUNTRIES: (meeting_country_changes, None),
    MEETING_LEADERS: (meeting_leader_changes, None),
    PARTIES: (party_changes, None),
}
LINK_UPDATE_REFUSED = "Rows of a link table are inserted and deleted, not updated."


def sqlite_statements():
    statements = []
    for table, (changes, columns) in TRIGGERS.items():
        for event, parts in (("insert", [("NEW", 1)]), ("delete", [("OLD", -1)])):
            body = "; ".join(sql for row, sign in parts for sql in changes("sqlite", row, sign))
            statements.append(
                f"CREATE TRIGGER {table}_tally_{event} AFTER {event.upper()} ON {table} BEGIN {body}; END"
            )
        if columns:
            body = "; ".join(
                [*changes("sqlite", "OLD", -1), *changes("sqlite", "NEW", 1)],
            )
            statements.append(
                f"CREATE TRIGGER {table}_tally_update AFTER UPDATE OF {columns} ON {table} BEGIN {body}; END"
            )
        else:
            statements.append(
                f"CREATE TRIGGER {table}_tally_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{LINK_UPDATE_REFUSED}'); END"
            )
    return statements


def postgresql_statements():
    statements = []
    for table, (changes, columns) in TRIGGERS.items():
        old = "; ".join(changes("postgresql", "OLD", -1))
        new = "; ".join(changes("postgresql", "NEW", 1))
        if columns:
            when, events, returned = "AFTER", f"INSERT OR DELETE OR UPDATE OF {columns}", "NULL"
            refuse = ""
        else:
            when, events, returned = "BEFORE", "INSERT OR DELETE OR UPDATE", "NEW"
            refuse = f"IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION '{LINK_UPDATE_REFUSED}' USING ERRCODE = 'integrity_constraint_violation'; END IF;"
        statements += [
            f"""
            CREATE FUNCTION {table}_tally() RETURNS trigger AS $$
            BEGIN
                {refuse}
                IF TG_OP IN ('DELETE', 'UPDATE') THEN {old}; END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN {new}; END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN {returned};
            END;
            $$ LANGUAGE plpgsql
            """,
            f"CREATE TRIGGER {table}_tally {when} {events} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_tally()",
        ]
    return statements


def recount_statements(vendor):
    """Every summary counted afresh from the record."""
    pairs = (
        "SELECT a, b, SUM(m), SUM(c) FROM ("
        f"SELECT x.country_id AS a, y.country_id AS b, 1 AS m, 0 AS c FROM {MEETING_COUNTRIES} x "
        f"JOIN {MEETING_COUNTRIES} y ON y.meeting_id = x.meeting_id AND x.country_id < y.country_id "
        "UNION ALL "
        f"SELECT x.country_id, y.country_id, 0, 1 FROM {PARTIES} x "
        f"JOIN {PARTIES} y ON y.commitment_id = x.commitment_id AND x.country_id < y.country_id"
        ") AS links GROUP BY a, b"
    )
    return [
        *(
            f"DELETE FROM agreements_{name}"
            for name in ("meetingtally", "commitmenttally", "countrytally", "leadertally", "pairtally")
        ),
        "DELETE FROM agreements_pairtopictally",
        "INSERT INTO agreements_meetingtally (year, kind, meetings) "
        f"SELECT {year(vendor, 'date')}, kind, COUNT(*) FROM {MEETINGS} GROUP BY 1, 2",
        "INSERT INTO agreements_commitmenttally (year, topic_id, status, commitments) "
        f"SELECT {year(vendor, 'meeting_date')}, topic_id, status, COUNT(*) FROM {COMMITMENTS} GROUP BY 1, 2, 3",
        "INSERT INTO agreements_countrytally (country_id, meetings, commitments) SELECT code, "
        f"(SELECT COUNT(*) FROM {MEETING_COUNTRIES} WHERE country_id = code), "
        f"(SELECT COUNT(*) FROM {PARTIES} WHERE country_id = code) FROM agreements_country",
        "INSERT INTO agreements_leadertally (leader_id, meetings) SELECT id, "
        f"(SELECT COUNT(*) FROM {MEETING_LEADERS} WHERE leader_id = agreements_leader.id) FROM agreements_leader",
        f"INSERT INTO agreements_pairtally (country_a_id, country_b_id, meetings, commitments) {pairs}",
        "INSERT INTO agreements_pairtopictally (country_a_id, country_b_id, topic_id, status, commitments) "
        f"SELECT x.country_id, y.country_id, c.topic_id, c.status, COUNT(*) FROM {PARTIES} x "
        f"JOIN {PARTIES} y ON y.commitment_id = x.commitment_id AND x.country_id < y.country_id "
        f"JOIN {COMMITMENTS} c ON c.id = x.commitment_id GROUP BY 1, 2, 3, 4",
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    triggers = {"postgresql": postgresql_statements, "sqlite": sqlite_statements}[vendor]()
    for statement in [*triggers, *recount_statements(vendor)]:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TRIGGERS:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_tally ON {table}", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_tally()", params=None)
        else:
            for event in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_tally_{event}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0009_full_text_search'),
    ]

    operations = [
        migrations.CreateModel(
            name='CountryTally',
            fields=[
                ('country', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='tally', serialize=False, to='agreements.country')),
                ('meetings', models.IntegerField()),
                ('commitments', models.IntegerField()),
            ],
            options={
                'ordering': ['country'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='LeaderTally',
            fields=[
                ('leader', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='tally', serialize=False, to='agreements.leader')),
                ('meetings', models.IntegerField()),
            ],
            options={
                'ordering': ['leader'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='MeetingTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('kind', models.CharField(max_length=20)),
                ('meetings', models.IntegerField()),
            ],
            options={
                'ordering': ['-year', 'kind'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
                'constraints': [models.UniqueConstraint(fields=('year', 'kind'), name='meeting_tally_unique')],
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='CommitmentTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('status', models.CharField(max_length=20)),
                ('commitments', models.IntegerField()),
                ('topic', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.topic')),
            ],
            options={
                'ordering': ['-year', 'topic', 'status'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
                'constraints': [models.UniqueConstraint(fields=('year', 'topic', 'status'), name='commitment_tally_unique')],
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='PairTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('meetings', models.IntegerField()),
                ('commitments', models.IntegerField()),
                ('country_a', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
                ('country_b', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
            ],
            options={
                'ordering': ['country_a', 'country_b'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
                'indexes': [models.Index(fields=['-meetings', '-commitments'], name='pair_tally_busiest_idx')],
                'constraints': [models.UniqueConstraint(fields=('country_a', 'country_b'), name='pair_tally_unique')],
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='PairTopicTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(max_length=20)),
                ('commitments', models.IntegerField()),
                ('country_a', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
                ('country_b', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.country')),
                ('topic', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='agreements.topic')),
            ],
            options={
                'ordering': ['country_a', 'country_b', 'topic', 'status'],
                'abstract': False,
                'default_manager_name': 'not_dumped',
                'constraints': [models.UniqueConstraint(fields=('country_a', 'country_b', 'topic', 'status'), name='pair_topic_tally_unique')],
            },
            managers=[
                ('not_dumped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
