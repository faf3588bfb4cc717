"""Full-text indexes for the `q` word search (see `agreements.search`), so that a search reads
an index instead of every meeting and commitment.

PostgreSQL: GIN indexes on the same `to_tsvector('simple', ...)` expressions the search uses.
SQLite: FTS5 tables holding each meeting's and commitment's searched text under its id, kept
equal to the rows by triggers, whoever writes. Leaders' names are searched in their own small
table and are not indexed.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

# table: (searched columns, index name); the same lists as agreements.search.INDEXED
INDEXED = {
    "agreements_meeting": (("title", "summary", "city", "venue"), "meeting_search_idx"),
    "agreements_commitment": (("summary", "detail"), "commitment_search_idx"),
}
MODELS = {"agreements_meeting": "Meeting", "agreements_commitment": "Commitment"}
# unicode61 splits words at anything but letters and digits (an underscore too) and folds case;
# accents are kept, as PostgreSQL's `simple` configuration keeps them.
TOKENIZE = "unicode61 remove_diacritics 0"


def sqlite_statements(table, columns):
    fts = f"{table}_fts"
    names = ", ".join(columns)
    new = ", ".join(f"NEW.{column}" for column in columns)
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, tokenize = '{TOKENIZE}')",
        f"INSERT INTO {fts} (rowid, {names}) SELECT id, {names} FROM {table}",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts} (rowid, {names}) VALUES (NEW.id, {new}); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = OLD.id; "
        f"INSERT INTO {fts} (rowid, {names}) VALUES (NEW.id, {new}); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = OLD.id; END",
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, (columns, index_name) in INDEXED.items():
        if vendor == "postgresql":
            model = apps.get_model("agreements", MODELS[table])
            index = GinIndex(SearchVector(*columns, config="simple"), name=index_name)
            schema_editor.add_index(model, index)
        elif vendor == "sqlite":
            for statement in sqlite_statements(table, columns):
                schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, (_columns, index_name) in INDEXED.items():
        if vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {index_name}", params=None)
        elif vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{event}", params=None)
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}_fts", params=None)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0008_commitment_meeting_date")]

    operations = [migrations.RunPython(forwards, backwards)]
