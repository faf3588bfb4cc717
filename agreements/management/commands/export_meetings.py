"""`manage.py export_meetings [--country XX ...] [--topic SLUG ...] [--since DATE] [-o FILE]`.

Writes meetings and agreements in the import format (bilateral-meetings/3), deterministically:
importing the output into an empty database and exporting again gives the same bytes. The
agreements are those to which every given country is a party, signed or adopted on or after
`--since`, and any agreement an exported commitment names.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from agreements.exporter import agreements_to_export, dumps, export_document, meetings_to_export
from agreements.models import Country, Topic


class Command(BaseCommand):
    help = (
        "Export meetings, their leaders, commitments and sources, and agreements, "
        "as bilateral-meetings/3 JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--country",
            action="append",
            default=[],
            metavar="XX",
            help="Only meetings this country took part in, and agreements it is a party to "
            "(repeatable: all must take part).",
        )
        parser.add_argument(
            "--topic",
            action="append",
            default=[],
            metavar="SLUG",
            help="Only commitments on this topic, and the meetings that made them (repeatable: any of).",
        )
        parser.add_argument(
            "--since", metavar="YYYY-MM-DD", help="Only meetings and agreements on or after this date."
        )
        parser.add_argument("-o", "--output", metavar="FILE", help="Write here instead of standard output.")

    def handle(self, *args, country, topic, since, output, **options):
        codes = [code.upper() for code in country]
        unknown = sorted(
            set(codes) - set(Country.objects.filter(code__in=codes).values_list("code", flat=True))
        )
        if unknown:
            raise CommandError(f"unknown country code: {', '.join(unknown)}")
        missing = sorted(
            set(topic) - set(Topic.objects.filter(slug__in=topic).values_list("slug", flat=True))
        )
        if missing:
            raise CommandError(f"unknown topic: {', '.join(missing)}")
        if since is not None:
            try:
                since = datetime.date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since: not a date in the form YYYY-MM-DD: {since!r}") from None

        text = dumps(
            export_document(
                meetings_to_export(codes, topic, since),
                topics=topic,
                agreements=agreements_to_export(codes, since),
            )
        )
        if output:
            with open(output, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
