"""The indexes the benchmark's pages rely on exist, and the data version changes on every write."""

import pytest
from django.db import connection

from agreements.caching import data_version
from agreements.models import Topic

from .factories import make_commitment

pytestmark = pytest.mark.django_db

# table: indexes (by name) the list filters, sort orders and facet counts use; see bench/README.md
INDEXES = {
    "agreements_meeting": {"meeting_date_idx", "meeting_kind_date_idx"},
    "agreements_commitment": {
        "commitment_date_idx",
        "commitment_topic_date_idx",
        "commit_topic_status_date_idx",
        "commitment_status_topic_idx",
        "commitment_target_idx",
    },
    "agreements_meeting_countries": {"meeting_countries_country_idx"},
    "agreements_meeting_leaders": {"meeting_leaders_leader_idx"},
    "agreements_commitment_parties": {"commitment_parties_country_idx"},
    "agreements_meetingpair": {"meeting_pair_date_idx"},
    "agreements_commitmentpair": {"commitment_pair_date_idx", "commitment_pair_topic_idx"},
    "agreements_pairtally": {"pair_tally_busiest_idx"},
    "agreements_countrymeeting": {"country_meeting_date_idx"},
    "agreements_leadermeeting": {"leader_meeting_date_idx"},
    "agreements_countrycommitment": {"country_commitment_date_idx", "country_commitment_topic_idx"},
}


@pytest.mark.parametrize(("table", "names"), INDEXES.items())
def test_indexes_the_benchmark_relies_on_exist(table, names):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    assert names <= {name for name, info in constraints.items() if info["index"]}


def test_commitment_date_indexes_end_in_the_lists_order():
    """Each index serves a filter (topic, status) and then the lists' order, newest first."""
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "agreements_commitment")
    assert indexes["commitment_date_idx"]["columns"] == ["meeting_date", "id"]
    assert indexes["commitment_topic_date_idx"]["columns"] == ["topic_id", "meeting_date", "id"]
    assert indexes["commit_topic_status_date_idx"]["columns"] == ["topic_id", "status", "meeting_date", "id"]


def test_many_to_many_indexes_lead_with_the_country():
    with connection.cursor() as cursor:
        parties = connection.introspection.get_constraints(cursor, "agreements_commitment_parties")
        countries = connection.introspection.get_constraints(cursor, "agreements_meeting_countries")
    assert parties["commitment_parties_country_idx"]["columns"] == ["country_id", "commitment_id"]
    assert countries["meeting_countries_country_idx"]["columns"] == ["country_id", "meeting_id"]


def test_every_write_gives_a_new_data_version():
    tokens = [data_version()]
    commitment = make_commitment()
    tokens.append(data_version())
    commitment.parties.clear()
    tokens.append(data_version())
    Topic.objects.filter(slug="space").update(name="Outer space")
    tokens.append(data_version())
    assert all(tokens) and len(set(tokens)) == len(tokens)


def test_writes_to_leaders_groupings_and_ties_give_a_new_data_version():
    from agreements.models import DiplomaticTie, Grouping

    from .factories import country, make_leader, make_source

    tokens = [data_version()]
    make_leader(name="New Leader", slug="new-leader")
    tokens.append(data_version())
    Grouping.objects.get(slug="g7").members.remove(country("CA"))
    tokens.append(data_version())
    DiplomaticTie.objects.create(
        country_a=country("DE"),
        country_b=country("FR"),
        established="1950-01-01",
        description="x",
        source=make_source(),
    )
    tokens.append(data_version())
    assert all(tokens) and len(set(tokens)) == len(tokens)


def test_a_renamed_leader_is_listed_at_once(client):
    from agreements.models import Leader

    from .factories import make_leader, make_meeting

    leader = make_leader(name="First Leader", slug="first-leader")
    make_meeting(leaders=[leader])
    assert "First Leader" in client.get("/leaders/").content.decode()
    Leader.objects.filter(pk=leader.pk).update(name="Renamed Leader")
    assert "Renamed Leader" in client.get("/leaders/").content.decode()


# Kept by the database from the tables a page reads, so written only when those are.
DERIVED_TABLES = {
    "agreements_dataversion",
    "agreements_dataversion_pending",  # PostgreSQL: the writes waiting for their commit (0030)
    "agreements_commitmentpair",
    "agreements_commitmenttally",
    "agreements_countrycommitment",
    "agreements_countrymeeting",
    "agreements_countrytally",
    "agreements_leadermeeting",
    "agreements_leadertally",
    "agreements_meetingpair",
    "agreements_meetingtally",
    "agreements_pairtally",
    "agreements_pairtopictally",
}


def data_version_writes():
    """{table: {"INSERT", "UPDATE", "DELETE"} written} for the triggers that change the data version."""
    if connection.vendor == "postgresql":
        query = (
            "SELECT event_object_table, event_manipulation FROM information_schema.triggers "
            "WHERE trigger_name LIKE '%%data_version%%'"
        )
    else:
        query = (
            "SELECT tbl_name, upper(substr(name, length(tbl_name) + 15)) FROM sqlite_master "
            "WHERE type = 'trigger' AND name LIKE '%data_version_%'"
        )
    watched = {}
    with connection.cursor() as cursor:
        cursor.execute(query)
        for table, write in cursor.fetchall():
            watched.setdefault(table, set()).add(write)
    return watched


def test_every_table_a_page_reads_changes_the_data_version_on_every_write():
    tables = {
        table
        for table in connection.introspection.table_names()
        if table.startswith("agreements_") and "_fts" not in table  # SQLite's search index: derived
    }
    expected = {table: {"INSERT", "UPDATE", "DELETE"} for table in tables - DERIVED_TABLES}
    assert data_version_writes() == expected


def test_renaming_a_country_gives_a_new_data_version():
    from agreements.models import Country

    before = data_version()
    Country.objects.filter(code="JP").update(name="Nippon")
    assert data_version() != before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
@pytest.mark.django_db(transaction=True)
def test_writers_do_not_wait_for_each_other_on_the_data_version(reference_data_restored):
    """Two transactions writing different tables at once: the second commits while the first is
    still open (each asks for a new version as it commits), and each commit gives a new version."""
    import psycopg

    settings = connection.settings_dict
    dsn = f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    before, description = data_version(), Topic.objects.get(slug="space").description
    with psycopg.connect(dsn) as first, psycopg.connect(dsn) as second:
        first.execute("UPDATE agreements_topic SET description = 'First writer.' WHERE slug = 'space'")
        second.execute("SET lock_timeout = '2s'")
        second.execute("UPDATE agreements_country SET official_name = official_name WHERE code = 'FR'")
        second.commit()  # would wait for the first writer, then fail, if the version row were locked
        after_second = data_version()
        first.commit()
    assert len({before, after_second, data_version()}) == 3
    Topic.objects.filter(slug="space").update(description=description)  # reference data outlives the test
