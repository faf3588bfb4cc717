"""Reference data that an empty database needs: countries, topics, groupings.

Countries come from pycountry (all of ISO 3166-1), plus the European Union,
which ISO reserves the code EU for. The migration is idempotent: it updates
rows that exist and adds the ones that are missing.
"""

import pycountry
from django.db import migrations

EUROPEAN_UNION = {"code": "EU", "alpha3": "", "name": "European Union", "official_name": "European Union"}

TOPICS = [
    ("critical-minerals", "Critical minerals",
     "Supply chains, stockpiles, processing and recycling of critical minerals and rare earths."),
    ("space", "Space", "Cooperation in space: agencies, satellites, exploration and the bodies that steer it."),
    ("partnership-upgrade", "Partnership upgrade",
     "A change in the named level of the relationship, such as from a strategic partnership "
     "to a special strategic partnership."),
    ("defence-security", "Defence and security",
     "Defence equipment, exercises, port calls, security dialogues and agreements such as ACSA."),
    ("economic-security", "Economic security",
     "Resilience against economic coercion, export controls and supply-chain risk."),
    ("energy", "Energy", "Energy supply, LNG, power generation and the energy transition."),
    ("trade-investment", "Trade and investment", "Trade, two-way investment and economic partnership."),
    ("technology", "Technology", "Research and industrial cooperation: AI, semiconductors, robotics and more."),
    ("culture", "Culture", "Culture, anniversaries, exchanges between people, tourism and sport."),
    ("other", "Other", "Commitments that fit no other topic: action plans, visits, dialogues."),
]

GROUPINGS = [
    {
        "slug": "g7",
        "name": "G7",
        "description": "The Group of Seven. The European Union takes part in its summits but is not a member.",
        "members": ["CA", "FR", "DE", "IT", "JP", "GB", "US"],
        "source_url": "http://international.gc.ca/world-monde/international_relations-relations_internationales/g7/index.aspx?lang=eng",
    },
    {
        "slug": "g20",
        "name": "G20",
        "description": "The Group of Twenty: nineteen countries and the European Union. "
        "The African Union, a member since 2023, is not a country and is not recorded here.",
        "members": ["AR", "AU", "BR", "CA", "CN", "FR", "DE", "IN", "ID", "IT", "JP", "KR", "MX", "RU",
                    "SA", "ZA", "TR", "GB", "US", "EU"],
        "source_url": "https://metro.co.uk/2022/11/15/what-is-the-g20-and-which-countries-are-members-17760349/",
    },
]


def iso_countries():
    for country in pycountry.countries:
        yield {
            "code": country.alpha_2,
            "alpha3": country.alpha_3,
            "name": getattr(country, "common_name", None) or country.name,
            "official_name": getattr(country, "official_name", None) or "",
        }
    yield dict(EUROPEAN_UNION)


def load_reference_data(apps, schema_editor):
    Country = apps.get_model("agreements", "Country")
    Topic = apps.get_model("agreements", "Topic")
    Grouping = apps.get_model("agreements", "Grouping")
    for fields in iso_countries():
        Country.objects.update_or_create(code=fields.pop("code"), defaults=fields)
    for position, (slug, name, description) in enumerate(TOPICS, start=1):
        Topic.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    for fields in GROUPINGS:
        fields = dict(fields)
        members = fields.pop("members")
        grouping, _ = Grouping.objects.update_or_create(slug=fields.pop("slug"), defaults=fields)
        grouping.members.set(members)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]

    operations = [migrations.RunPython(load_reference_data, migrations.RunPython.noop)]
