"""`manage.py import_meetings FILE [FILE ...] [--dry-run]`: bulk additions from JSON files
(bilateral-meetings/3, or /2 or /1).

All or nothing: every problem in the files is reported (each naming the record and field) and
nothing is written, or everything is written in one transaction. See docs/import-format.md.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from agreements.importer import ImportFailed, import_files

PROGRESS_MINIMUM = 200


def progress_bar(stream):
    """A progress wrapper on `stream` for large files, silent when it is not a terminal."""
    interactive = hasattr(stream, "isatty") and stream.isatty()

    def wrap(items, description):
        return tqdm(
            items,
            desc=description,
            unit="meeting",
            file=stream,
            leave=False,
            disable=not interactive or len(items) < PROGRESS_MINIMUM,
        )

    return wrap


class Command(BaseCommand):
    help = (
        "Import meetings, their leaders, commitments and sources, and agreements, from bilateral-meetings/3 "
        "(or /2, /1) JSON files."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="+", metavar="FILE", help='JSON files to import; "-" for standard input.'
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the files and report what would be created or updated, writing nothing.",
        )

    def handle(self, *args, files, dry_run, **options):
        contents = [(name, self.read(name)) for name in files]
        try:
            report = import_files(contents, dry_run=dry_run, progress=progress_bar(sys.stderr))
        except ImportFailed as failure:
            for line in failure.lines(with_document=len(files) > 1):
                self.stderr.write(line)
            raise CommandError(str(failure)) from None

        verbosity = options["verbosity"]
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        if dry_run or verbosity >= 2:
            for line in report.change_lines():
                self.stdout.write(f"  {line}")
        if verbosity >= 1:
            for line in report.summary_lines():
                self.stdout.write(line)

    def read(self, name):
        if name == "-":
            return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        try:
            with open(name, "rb") as handle:
                return handle.read()
        except OSError as error:
            raise CommandError(f"{name}: cannot read the file ({error.strerror})") from None
