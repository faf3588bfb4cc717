"""Reference data arrives with `migrate`: an empty database is usable before any fixture."""

import pycountry
import pytest
from django.core.management import call_command

from agreements.models import Country, Grouping, Topic

pytestmark = pytest.mark.django_db

TOPICS = [
    "critical-minerals",
    "space",
    "partnership-upgrade",
    "defence-security",
    "economic-security",
    "energy",
    "trade-investment",
    "technology",
    "culture",
    "other",
]


def test_every_iso_country_and_the_european_union_is_a_party():
    assert Country.objects.count() == len(pycountry.countries) + 1
    assert Country.objects.get(code="EU").name == "European Union"
    japan = Country.objects.get(code="JP")
    assert (japan.alpha3, japan.name) == ("JPN", "Japan")


def test_country_names_read_naturally():
    assert Country.objects.get(code="KR").name == "South Korea"
    assert Country.objects.get(code="GB").name == "United Kingdom"


def test_topic_vocabulary_in_order():
    assert list(Topic.objects.values_list("slug", flat=True)) == TOPICS
    assert all(Topic.objects.values_list("description", flat=True))


def test_groupings_and_their_members():
    g7 = Grouping.objects.get(slug="g7")
    assert set(g7.members.values_list("code", flat=True)) == {"CA", "FR", "DE", "IT", "JP", "GB", "US"}
    g20 = Grouping.objects.get(slug="g20")
    assert g20.members.count() == 20
    assert g20.members.filter(code="EU").exists()
    assert all(Grouping.objects.values_list("source_url", flat=True))


def test_reference_data_is_found_by_its_code_or_slug():
    assert Country.objects.get_by_natural_key("IT").pk == "IT"
    assert Topic.objects.get_by_natural_key("space").pk == "space"
    assert Grouping.objects.get_by_natural_key("g7").pk == "g7"


def test_a_full_dump_with_natural_keys_loads_back(seed, tmp_path):
    dump = tmp_path / "dump.json"
    call_command(
        "dumpdata", "agreements", natural_foreign=True, natural_primary=True, output=str(dump), verbosity=0
    )
    before = dump.read_text()
    call_command("loaddata", str(dump), verbosity=0)
    again = tmp_path / "again.json"
    call_command(
        "dumpdata", "agreements", natural_foreign=True, natural_primary=True, output=str(again), verbosity=0
    )
    assert again.read_text() == before
    assert Country.objects.count() == len(pycountry.countries) + 1
