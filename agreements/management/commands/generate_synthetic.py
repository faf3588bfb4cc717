"""`manage.py generate_synthetic --meetings N [--seed S]`: a large, synthetic record for benchmarks.

The data sits on top of the real reference data (countries, topics) and is marked as synthetic
everywhere a reader could meet it: titles say "Synthetic", leaders are "Synthetic leader JP-3",
cities "Synthetic city JP-2", and every source lives on `https://synthetic.example/`. None of it
is a fact about the world.

The same seed and size give the same rows. Pair frequencies are skewed (a few countries meet
often, most rarely), meetings grow more frequent over the years, each meeting has several
commitments (five on average) with parties, citations and, once work has begun, a dated,
sourced status history (with reviews that found no change for a fifth of the open ones, and a
party ahead of the others for some); leaders hold successive terms. Rows are written with bulk operations,
in batches, one transaction per batch.
"""

import datetime
import random

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from tqdm import tqdm

from agreements.models import (
    PARTNERSHIP_UPGRADE,
    Commitment,
    CommitmentCitation,
    Country,
    Leader,
    Meeting,
    MeetingCitation,
    MeetingKind,
    Source,
    Status,
    StatusChange,
    TargetPrecision,
    Topic,
)

SYNTHETIC_HOST = "https://synthetic.example"
SLUG_PREFIX = "synthetic-"
FIRST_DAY = datetime.date(1995, 1, 1)
LAST_DAY = datetime.date(2026, 6, 30)
ACTIVE_COUNTRIES = 100
BATCH = 2000
KIND_WEIGHTS = {
    MeetingKind.OFFICIAL_VISIT: 25,
    MeetingKind.SUMMIT: 15,
    MeetingKind.SIDELINE_TALKS: 25,
    MeetingKind.PHONE_CALL: 25,
    MeetingKind.VIDEO_CALL: 7,
    MeetingKind.ENCOUNTER: 3,
}
IN_PERSON = {
    MeetingKind.OFFICIAL_VISIT,
    MeetingKind.SUMMIT,
    MeetingKind.SIDELINE_TALKS,
    MeetingKind.ENCOUNTER,
}
STATUS_WEIGHTS = {Status.ANNOUNCED: 45, Status.IN_PROGRESS: 30, Status.FULFILLED: 15, Status.LAPSED: 10}
COMMITMENTS_PER_MEETING = {1: 6, 2: 8, 3: 12, 4: 16, 5: 18, 6: 14, 7: 11, 8: 8, 9: 7}
LEVELS = ["", "partnership", "strategic partnership", "comprehensive partnership", "special partnership"]
SEED_CODES = ("JP", "IT", "GB", "US", "FR", "DE", "CA", "EU")


class Command(BaseCommand):
    help = "Add N synthetic meetings (about five commitments each) for benchmarks. Never on real data."

    def add_arguments(self, parser):
        parser.add_argument("--meetings", type=int, required=True, help="How many meetings to add.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")

    def handle(self, *args, meetings, seed, **options):
        if meetings < 1:
            raise CommandError("--meetings must be at least 1.")
        if Meeting.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            raise CommandError("This database already holds synthetic meetings; generate into a fresh one.")
        generator = Generator(random.Random(seed), self.stdout)
        totals = generator.run(meetings)
        self.stdout.write(", ".join(f"{count} {name}" for name, count in totals.items()))


def weighted(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Generator:
    def __init__(self, rng, stdout):
        self.rng = rng
        self.stdout = stdout
        self.totals = dict.fromkeys(
            ["meetings", "commitments", "leaders", "sources", "status changes", "parties"], 0
        )

    # Reference: countries with skewed weights, leaders with successive terms -----------------

    def pick_countries(self):
        everyone = list(Country.objects.order_by("code"))
        by_code = {country.code: country for country in everyone}
        first = [by_code[code] for code in SEED_CODES if code in by_code]
        others = [country for country in everyone if country not in first]
        self.rng.shuffle(others)
        self.countries = (first + others)[:ACTIVE_COUNTRIES]
        # Zipf-like: the first countries meet far more often than the last.
        self.weights = [1 / (rank + 1) ** 0.9 for rank in range(len(self.countries))]

    def make_leaders(self):
        leaders = []
        for country in self.countries:
            start = datetime.date(1990, 1, 1) + datetime.timedelta(days=self.rng.randrange(0, 1500))
            n = 1
            while start <= LAST_DAY:
                end = start + datetime.timedelta(days=self.rng.randrange(2 * 365, 9 * 365))
                leaders.append(
                    Leader(
                        name=f"Synthetic leader {country.code}-{n}",
                        slug=f"synthetic-leader-{country.code.lower()}-{n}",
                        country=country,
                        title=f"Head of government of {country.name} (synthetic)",
                        took_office=start,
                        left_office=end if end <= LAST_DAY else None,
                        created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
                    )
                )
                start, n = end, n + 1
        Leader.objects.bulk_create(leaders, batch_size=BATCH)
        self.totals["leaders"] = len(leaders)
        self.terms = {}
        for leader in Leader.objects.filter(slug__startswith="synthetic-leader-").order_by("took_office"):
            self.terms.setdefault(leader.country_id, []).append(leader)

    def leader_on(self, country, day):
        for leader in self.terms.get(country.code, ()):
            if leader.took_office <= day and (leader.left_office is None or day < leader.left_office):
                return leader
        return None

    def make_dates(self, count):
        """Meeting days, more of them in recent years, in order."""
        span = (LAST_DAY - FIRST_DAY).days
        days = [
            FIRST_DAY + datetime.timedelta(days=int(span * self.rng.random() ** 0.6)) for _ in range(count)
        ]
        return sorted(days)

    # The record ------------------------------------------------------------------------------

    def run(self, count):
        self.pick_countries()
        self.topics = list(Topic.objects.order_by("position", "name"))
        # Skewed too; partnership upgrades are rare, as they are between real countries.
        self.topic_weights = [
            0.02 if topic.slug == PARTNERSHIP_UPGRADE else 1 / (rank + 1) ** 0.7
            for rank, topic in enumerate(self.topics)
        ]
        with transaction.atomic():
            self.make_leaders()
        dates = self.make_dates(count)
        with tqdm(total=count, unit="meeting", file=self.stdout, desc="Synthetic meetings") as bar:
            for first in range(0, count, BATCH):
                with transaction.atomic():
                    self.write_batch(first, dates[first : first + BATCH])
                bar.update(len(dates[first : first + BATCH]))
        # Fresh statistics, so the query planner knows the tables' new sizes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return self.totals

    def write_batch(self, first, dates):
        rng = self.rng
        meetings, sources, plans = [], [], []
        for offset, day in enumerate(dates):
            n = first + offset + 1
            size = 3 if rng.random() < 0.08 else 2
            parties = []
            while len(parties) < size:
                country = rng.choices(self.countries, weights=self.weights)[0]
                if country not in parties:
                    parties.append(country)
            kind = weighted(rng, KIND_WEIGHTS)
            host = rng.choice(parties) if kind in IN_PERSON and rng.random() < 0.85 else None
            city = f"Synthetic city {host.code}-{rng.randrange(1, 4)}" if host else ""
            names = "–".join(country.name for country in sorted(parties, key=lambda c: c.code))
            subjects = rng.sample(self.topics, 2)
            stamp = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
            meetings.append(
                Meeting(
                    slug=f"{SLUG_PREFIX}{n:07d}-" + "-".join(sorted(c.code.lower() for c in parties)),
                    kind=kind,
                    date=day,
                    end_date=day + datetime.timedelta(days=rng.randrange(1, 4))
                    if kind == MeetingKind.OFFICIAL_VISIT and rng.random() < 0.5
                    else None,
                    city=city,
                    venue=f"Synthetic hall {rng.randrange(1, 20)}" if host and rng.random() < 0.4 else "",
                    host=host,
                    title=f"Synthetic {MeetingKind(kind).label.lower()} {n}: {names}",
                    summary=(
                        f"Synthetic record {n}, generated for benchmarks; not a real meeting. "
                        f"Talks on {subjects[0].name.lower()} and {subjects[1].name.lower()}."
                    ),
                    created_at=stamp,
                )
            )
            sources.append(
                Source(
                    url=f"{SYNTHETIC_HOST}/meetings/{n}",
                    publisher="Synthetic Wire",
                    title=f"Synthetic report {n}",
                    published=day,
                    created_at=stamp,
                )
            )
            plans.append((n, day, parties, stamp))
        Meeting.objects.bulk_create(meetings, batch_size=BATCH)
        Source.objects.bulk_create(sources, batch_size=BATCH)

        through_countries = Meeting.countries.through
        through_leaders = Meeting.leaders.through
        countries_rows, leader_rows, citations, commitments, commitment_plans = [], [], [], [], []
        for meeting, source, (n, day, parties, stamp) in zip(meetings, sources, plans, strict=True):
            for country in parties:
                countries_rows.append(through_countries(meeting_id=meeting.pk, country_id=country.code))
                leader = self.leader_on(country, day)
                if leader:
                    leader_rows.append(through_leaders(meeting_id=meeting.pk, leader_id=leader.pk))
            citations.append(MeetingCitation(meeting=meeting, source=source))
            how_many = weighted(rng, COMMITMENTS_PER_MEETING)
            for j in range(1, how_many + 1):
                topic = rng.choices(self.topics, weights=self.topic_weights)[0]
                status = weighted(rng, STATUS_WEIGHTS)
                fields = {}
                if topic.slug == PARTNERSHIP_UPGRADE:
                    step = rng.randrange(0, len(LEVELS) - 1)
                    fields.update(level_from=LEVELS[step], level_to=LEVELS[step + 1])
                if rng.random() < 0.3:
                    fields.update(
                        target_date=datetime.date(day.year + rng.randrange(1, 11), 12, 31),
                        target_precision=TargetPrecision.YEAR,
                    )
                commitments.append(
                    Commitment(
                        meeting=meeting,
                        topic=topic,
                        summary=f"Synthetic commitment {n}.{j} on {topic.name.lower()}",
                        detail="Synthetic detail, generated for benchmarks; not a real commitment.",
                        status=status,
                        created_at=stamp,
                        **fields,
                    )
                )
                commitment_plans.append((n, j, day, parties, source, status, stamp))
        through_countries.objects.bulk_create(countries_rows, batch_size=BATCH)
        through_leaders.objects.bulk_create(leader_rows, batch_size=BATCH)
        MeetingCitation.objects.bulk_create(citations, batch_size=BATCH)
        Commitment.objects.bulk_create(commitments, batch_size=BATCH)

        through_parties = Commitment.parties.through
        party_rows, commitment_citations, history_sources, history = [], [], [], []
        for commitment, (n, j, day, parties, source, status, stamp) in zip(
            commitments, commitment_plans, strict=True
        ):
            for country in parties:
                party_rows.append(through_parties(commitment_id=commitment.pk, country_id=country.code))
            commitment_citations.append(CommitmentCitation(commitment=commitment, source=source))
            history.append(  # as complete_from_meetings() gives every new commitment
                StatusChange(
                    commitment=commitment, date=day, status=Status.ANNOUNCED, source=source, recorded_at=stamp
                )
            )
            steps = {
                Status.ANNOUNCED: [],
                Status.IN_PROGRESS: [Status.IN_PROGRESS],
                Status.FULFILLED: [Status.IN_PROGRESS, Status.FULFILLED],
                Status.LAPSED: [Status.LAPSED],
            }[status]
            when, entries = day, []  # (the source's key and title, date, status, party, review, note)
            for k, step in enumerate(steps, start=1):
                when = min(when + datetime.timedelta(days=rng.randrange(30, 720)), LAST_DAY)
                entries.append((k, f"status report {n}.{j}.{k}", when, step, None, False, "status change"))
            # Some open commitments were reviewed since, and one party of some moved ahead of
            # the others: without drawing from `rng`, so the rest of the data stays as it was.
            later = when + datetime.timedelta(days=30 + (n * 7 + j * 13) % 700)
            if status in (Status.ANNOUNCED, Status.IN_PROGRESS) and (n + j) % 5 == 0 and later <= LAST_DAY:
                entries.append(("review", f"review report {n}.{j}", later, status, None, True, "review"))
            if status == Status.ANNOUNCED and len(parties) > 1 and (n + j) % 25 == 1 and later <= LAST_DAY:
                entries.append(
                    ("party", f"party report {n}.{j}", later, Status.IN_PROGRESS, parties[0], False, "party")
                )
            for key, title, date, step, party, review, note in entries:
                history_source = Source(
                    url=f"{SYNTHETIC_HOST}/status/{n}/{j}/{key}",
                    publisher="Synthetic Wire",
                    title=f"Synthetic {title}",
                    published=date,
                    created_at=stamp,
                )
                history_sources.append(history_source)
                history.append(
                    StatusChange(
                        commitment=commitment,
                        date=date,
                        status=step,
                        party=party,
                        review=review,
                        note=f"Synthetic {note}.",
                        source=history_source,
                        recorded_at=stamp,
                    )
                )
        through_parties.objects.bulk_create(party_rows, batch_size=BATCH)
        CommitmentCitation.objects.bulk_create(commitment_citations, batch_size=BATCH)
        Source.objects.bulk_create(history_sources, batch_size=BATCH)
        for change in history:
            change.source_id = change.source.pk
        StatusChange.objects.bulk_create(history, batch_size=BATCH)

        self.totals["meetings"] += len(meetings)
        self.totals["commitments"] += len(commitments)
        self.totals["sources"] += len(sources) + len(history_sources)
        self.totals["status changes"] += len(history)
        self.totals["parties"] += len(party_rows)
