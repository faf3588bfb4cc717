"""Other names a country is searched by in the admin: "uk", "turkey", "ivory coast".

pycountry (ISO 3166-1) gives each country's ISO name where we show its common one ("Korea,
Republic of" for South Korea); Unicode CLDR's short and variant names ("UK", "Turkey", "Ivory
Coast") are the maintained source for everyday English names, but no installable package carries
them (Babel drops them), so the ones in everyday use are listed here, each as CLDR gives it,
with former names still common in the press.
"""

import pycountry
from django.db import migrations, models

EVERYDAY_NAMES = {
    "AE": ["UAE"],
    "CD": ["DR Congo", "Congo-Kinshasa", "Zaire"],
    "CG": ["Congo-Brazzaville"],
    "CI": ["Ivory Coast"],
    "CV": ["Cape Verde"],
    "CZ": ["Czech Republic"],
    "GB": ["UK", "Britain", "Great Britain"],
    "KP": ["North Korea"],
    "KR": ["South Korea"],
    "LA": ["Laos"],
    "MK": ["Macedonia"],
    "MM": ["Burma"],
    "NL": ["Holland"],
    "SZ": ["Swaziland"],
    "TL": ["East Timor"],
    "TR": ["Turkey"],
    "US": ["USA", "US", "America"],
    "VA": ["Vatican"],
    "VN": ["Vietnam"],
}


def other_names(country):
    names = [country.name, *EVERYDAY_NAMES.get(country.alpha_2, [])]
    shown = {getattr(country, "common_name", None) or country.name, getattr(country, "official_name", "")}
    return ", ".join(name for name in dict.fromkeys(names) if name not in shown)


def add_other_names(apps, schema_editor):
    Country = apps.get_model("agreements", "Country")
    db = schema_editor.connection.alias
    for country in pycountry.countries:
        Country.objects.using(db).filter(code=country.alpha_2).update(other_names=other_names(country))


class Migration(migrations.Migration):
    dependencies = [("agreements", "0017_announced_entries")]

    operations = [
        migrations.AddField(
            model_name="country",
            name="other_names",
            field=models.CharField(
                blank=True,
                help_text="Names it is also known by, searched in the admin: UK, Britain.",
                max_length=200,
            ),
        ),
        migrations.RunPython(add_other_names, migrations.RunPython.noop),
    ]
