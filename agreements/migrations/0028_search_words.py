"""The word search finds what a row is about as well as what it says, with or without accents.

Each meeting is also searched by the names of its countries and leaders, each commitment by its
topic's name and its parties' names: a country by its name, official name, other names ("UK",
"Britain"), and its alpha-2 and alpha-3 codes. Accents are ignored on both databases ("Elysee"
finds "Élysée").

SQLite: the FTS5 tables of migration 0009 are made again with a `names` column and a tokenizer
that removes diacritics; triggers keep `names` equal to the record whoever writes: a meeting's
countries or leaders added or removed, a commitment's topic or parties changed, a country, leader
or topic renamed.

PostgreSQL: each row keeps its names in a `search_names` column, kept by the same triggers, and
its stored `search_document` (migration 0013) is generated from its text and `search_names` with
the `search_words` text search configuration: `simple` after `unaccent`. Like `search_document`,
`search_names` is not in Django's model state: the ORM never reads or writes it.
"""

from importlib import import_module

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

full_text_search = import_module("agreements.migrations.0009_full_text_search")

MEETINGS, COMMITMENTS = "agreements_meeting", "agreements_commitment"
MEETING_COUNTRIES, MEETING_LEADERS = "agreements_meeting_countries", "agreements_meeting_leaders"
PARTIES = "agreements_commitment_parties"
COUNTRY_WORDS = "c.name || ' ' || c.code || ' ' || c.alpha3 || ' ' || c.official_name || ' ' || c.other_names"
TOKENIZE = "unicode61 remove_diacritics 2"
OLD_COLUMNS = {MEETINGS: ("title", "summary", "city", "venue"), COMMITMENTS: ("summary", "detail")}
# the searched columns of each table; agreements.search.INDEXED names the same
COLUMNS = {MEETINGS: (*OLD_COLUMNS[MEETINGS], "names"), COMMITMENTS: (*OLD_COLUMNS[COMMITMENTS], "names")}


def meeting_names(meeting, join):
    """SQL: the names a meeting (the SQL expression `meeting`) is searched by."""
    return (
        f"(SELECT coalesce({join}(words, ' '), '') FROM ("
        f"SELECT {COUNTRY_WORDS} AS words FROM {MEETING_COUNTRIES} mc "
        f"JOIN agreements_country c ON c.code = mc.country_id WHERE mc.meeting_id = {meeting} "
        f"UNION ALL SELECT l.name || ' ' || l.native_name FROM {MEETING_LEADERS} ml "
        f"JOIN agreements_leader l ON l.id = ml.leader_id WHERE ml.meeting_id = {meeting}) named)"
    )


def commitment_names(commitment, topic, join):
    """SQL: the names a commitment is searched by: its topic's and its parties'."""
    return (
        f"(coalesce((SELECT t.name FROM agreements_topic t WHERE t.slug = {topic}), '') || ' ' || "
        f"(SELECT coalesce({join}({COUNTRY_WORDS}, ' '), '') FROM {PARTIES} p "
        f"JOIN agreements_country c ON c.code = p.country_id WHERE p.commitment_id = {commitment}))"
    )


# SQLite --------------------------------------------------------------------------------------


def sqlite_names(table, row):
    """SQL: the names of the row `row` (NEW, or the table's name) of a meeting or commitment."""
    if table == MEETINGS:
        return meeting_names(f"{row}.id", "group_concat")
    return commitment_names(f"{row}.id", f"{row}.topic_id", "group_concat")


def sqlite_statements():
    meeting_fts, commitment_fts = f"{MEETINGS}_fts", f"{COMMITMENTS}_fts"
    statements = []
    for table, watched in (
        (MEETINGS, OLD_COLUMNS[MEETINGS]),
        (COMMITMENTS, (*OLD_COLUMNS[COMMITMENTS], "topic_id")),
    ):
        fts, own, columns = f"{table}_fts", ", ".join(OLD_COLUMNS[table]), ", ".join(COLUMNS[table])
        new = ", ".join(f"NEW.{column}" for column in OLD_COLUMNS[table])
        statements += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5({columns}, tokenize = '{TOKENIZE}')",
            f"INSERT INTO {fts} (rowid, {columns}) "
            f"SELECT id, {own}, {sqlite_names(table, table)} FROM {table}",
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts} (rowid, {columns}) VALUES (NEW.id, {new}, {sqlite_names(table, 'NEW')}); END",
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {', '.join(watched)} ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = OLD.id; "
            f"INSERT INTO {fts} (rowid, {columns}) VALUES (NEW.id, {new}, {sqlite_names(table, 'NEW')}); END",
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} "
            f"BEGIN DELETE FROM {fts} WHERE rowid = OLD.id; END",
        ]
    renamed_meetings = (
        f"UPDATE {meeting_fts} SET names = {meeting_names(f'{meeting_fts}.rowid', 'group_concat')} "
        "WHERE rowid IN"
    )
    renamed_commitments = (
        f"UPDATE {commitment_fts} SET names = "
        f"(SELECT {commitment_names('cm.id', 'cm.topic_id', 'group_concat')} FROM {COMMITMENTS} cm "
        f"WHERE cm.id = {commitment_fts}.rowid) WHERE rowid IN"
    )
    for table, key, refresh in (
        (MEETING_COUNTRIES, "meeting_id", renamed_meetings),
        (MEETING_LEADERS, "meeting_id", renamed_meetings),
        (PARTIES, "commitment_id", renamed_commitments),
    ):
        for event, row in (("insert", "NEW"), ("delete", "OLD")):
            statements.append(
                f"CREATE TRIGGER {table}_search_{event} AFTER {event.upper()} ON {table} "
                f"BEGIN {refresh} ({row}.{key}); END"
            )
    statements += [
        "CREATE TRIGGER agreements_country_search_update AFTER UPDATE OF name, alpha3, official_name, "
        "other_names ON agreements_country BEGIN "
        f"{renamed_meetings} (SELECT meeting_id FROM {MEETING_COUNTRIES} WHERE country_id = NEW.code); "
        f"{renamed_commitments} (SELECT commitment_id FROM {PARTIES} WHERE country_id = NEW.code); END",
        "CREATE TRIGGER agreements_leader_search_update "
        "AFTER UPDATE OF name, native_name ON agreements_leader "
        f"BEGIN {renamed_meetings} (SELECT meeting_id FROM {MEETING_LEADERS} WHERE leader_id = NEW.id); END",
        "CREATE TRIGGER agreements_topic_search_update AFTER UPDATE OF name ON agreements_topic "
        f"BEGIN {renamed_commitments} (SELECT id FROM {COMMITMENTS} WHERE topic_id = NEW.slug); END",
    ]
    return statements


SQLITE_TRIGGERS = [
    f"{table}_search_{event}"
    for table in (MEETING_COUNTRIES, MEETING_LEADERS, PARTIES)
    for event in ("insert", "delete")
] + [f"agreements_{model}_search_update" for model in ("country", "leader", "topic")]


def drop_sqlite_tables(schema_editor):
    for table in (MEETINGS, COMMITMENTS):
        for event in ("insert", "update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{event}", params=None)
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}_fts", params=None)


# PostgreSQL ----------------------------------------------------------------------------------


def document(columns, config):
    text = " || ' ' || ".join(f"coalesce({column}, '')" for column in columns)
    return f"to_tsvector('{config}'::regconfig, {text})"


def postgresql_statements():
    statements = [
        "CREATE TEXT SEARCH CONFIGURATION search_words (COPY = simple)",
        "ALTER TEXT SEARCH CONFIGURATION search_words "
        "ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part "
        "WITH unaccent, simple",
        f"CREATE FUNCTION {MEETINGS}_names(meeting bigint) RETURNS text "
        f"AS $$ SELECT {meeting_names('meeting', 'string_agg')} $$ LANGUAGE sql STABLE",
        f"CREATE FUNCTION {COMMITMENTS}_names(commitment bigint, topic varchar) RETURNS text "
        f"AS $$ SELECT {commitment_names('commitment', 'topic', 'string_agg')} $$ LANGUAGE sql STABLE",
    ]
    for table, index in ((MEETINGS, "meeting_document_idx"), (COMMITMENTS, "commitment_document_idx")):
        statements += [
            f"ALTER TABLE {table} DROP COLUMN search_document",
            f"ALTER TABLE {table} ADD COLUMN search_names text NOT NULL DEFAULT ''",
            f"ALTER TABLE {table} ADD COLUMN search_document tsvector GENERATED ALWAYS AS "
            f"({document((*OLD_COLUMNS[table], 'search_names'), 'search_words')}) STORED",
            f"CREATE INDEX {index} ON {table} USING gin (search_document)",
        ]
    statements += [
        f"UPDATE {MEETINGS} SET search_names = {MEETINGS}_names(id)",
        f"UPDATE {COMMITMENTS} SET search_names = {COMMITMENTS}_names(id, topic_id)",
        # a commitment's own names, as it is written (its parties are added after it)
        f"""CREATE FUNCTION {COMMITMENTS}_search_names() RETURNS trigger AS $$
        BEGIN NEW.search_names := {COMMITMENTS}_names(NEW.id, NEW.topic_id); RETURN NEW; END;
        $$ LANGUAGE plpgsql""",
        f"CREATE TRIGGER {COMMITMENTS}_search_names BEFORE INSERT OR UPDATE OF topic_id ON {COMMITMENTS} "
        f"FOR EACH ROW EXECUTE FUNCTION {COMMITMENTS}_search_names()",
    ]
    renamed_meetings = f"UPDATE {MEETINGS} SET search_names = {MEETINGS}_names(id) WHERE id IN"
    renamed_commitments = (
        f"UPDATE {COMMITMENTS} SET search_names = {COMMITMENTS}_names(id, topic_id) WHERE id IN"
    )
    for table, key, refresh in (
        (MEETING_COUNTRIES, "meeting_id", renamed_meetings),
        (MEETING_LEADERS, "meeting_id", renamed_meetings),
        (PARTIES, "commitment_id", renamed_commitments),
    ):
        statements += [
            f"""CREATE FUNCTION {table}_search() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN {refresh} (OLD.{key}); ELSE {refresh} (NEW.{key}); END IF;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql""",
            f"CREATE TRIGGER {table}_search AFTER INSERT OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_search()",
        ]
    for model, columns, body in (
        (
            "country",
            "name, alpha3, official_name, other_names",
            f"{renamed_meetings} (SELECT meeting_id FROM {MEETING_COUNTRIES} WHERE country_id = NEW.code); "
            f"{renamed_commitments} (SELECT commitment_id FROM {PARTIES} WHERE country_id = NEW.code)",
        ),
        (
            "leader",
            "name, native_name",
            f"{renamed_meetings} (SELECT meeting_id FROM {MEETING_LEADERS} WHERE leader_id = NEW.id)",
        ),
        ("topic", "name", f"{renamed_commitments} (SELECT id FROM {COMMITMENTS} WHERE topic_id = NEW.slug)"),
    ):
        statements += [
            f"CREATE FUNCTION agreements_{model}_search() RETURNS trigger AS $$ "
            f"BEGIN {body}; RETURN NULL; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER agreements_{model}_search AFTER UPDATE OF {columns} ON agreements_{model} "
            f"FOR EACH ROW EXECUTE FUNCTION agreements_{model}_search()",
        ]
    return statements


def postgresql_backwards():
    statements = []
    for table in (MEETING_COUNTRIES, MEETING_LEADERS, PARTIES):
        statements.append(f"DROP FUNCTION IF EXISTS {table}_search() CASCADE")
    for model in ("country", "leader", "topic"):
        statements.append(f"DROP FUNCTION IF EXISTS agreements_{model}_search() CASCADE")
    statements.append(f"DROP FUNCTION IF EXISTS {COMMITMENTS}_search_names() CASCADE")
    for table, index in ((MEETINGS, "meeting_document_idx"), (COMMITMENTS, "commitment_document_idx")):
        statements += [
            f"ALTER TABLE {table} DROP COLUMN search_document",
            f"ALTER TABLE {table} DROP COLUMN search_names",
            f"ALTER TABLE {table} ADD COLUMN search_document tsvector GENERATED ALWAYS AS "
            f"({document(OLD_COLUMNS[table], 'simple')}) STORED",
            f"CREATE INDEX {index} ON {table} USING gin (search_document)",
        ]
    statements += [
        f"DROP FUNCTION IF EXISTS {MEETINGS}_names(bigint)",
        f"DROP FUNCTION IF EXISTS {COMMITMENTS}_names(bigint, varchar)",
        "DROP TEXT SEARCH CONFIGURATION IF EXISTS search_words",
    ]
    return statements


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = postgresql_statements()
    elif vendor == "sqlite":
        drop_sqlite_tables(schema_editor)
        statements = sqlite_statements()
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in postgresql_backwards():
            schema_editor.execute(statement, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
        drop_sqlite_tables(schema_editor)
        for table, columns in OLD_COLUMNS.items():
            for statement in full_text_search.sqlite_statements(table, columns):
                schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0027_corrections")]

    operations = [UnaccentExtension(), migrations.RunPython(forwards, backwards)]
