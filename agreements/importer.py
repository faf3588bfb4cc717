"""Reading meeting files (format `bilateral-meetings/1`) into the record.

One code path for the `import_meetings` command and the admin's import page:

1. parse: `read_document()` turns bytes into a `Document` (malformed JSON is reported with its
   line and column);
2. check: `import_documents()` checks the structure against the JSON Schema in
   `agreements/schemas/`, then everything the database would refuse or the schema cannot say
   (known countries and topics, date order, excerpt length, history sources, duplicates),
   collecting every problem with its path (`meetings[3].countries[1]: unknown country code "XX"`);
   any problem raises `ImportFailed` listing them all, and nothing is written;
3. match and plan: meetings are matched by slug, or by date, countries and city when the file
   gives no slug; leaders by name and country; sources by URL; commitments within a meeting by
   topic and summary; status changes within a commitment by date and status. Only records whose
   fields differ are updated, so a second import of the same file changes nothing. A new
   commitment whose file gives no history is recorded as announced on its meeting's day, citing
   the meeting's first source (`Commitment.objects.complete_from_meetings()`);
4. write: one transaction, bulk operations. A dry run stops before writing.

What a file says about a meeting or a commitment is its whole record: an optional field left out
is cleared, and its countries, leaders, parties and sources become the file's. Leaders and sources
are shared by many meetings: a field left out keeps the value already recorded. The import never
deletes a meeting, a commitment or a status change.
"""

import datetime
import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from jsonschema import Draft202012Validator

from .models import (
    Citation,
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
    Topic,
)

FORMAT = "bilateral-meetings/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "bilateral-meetings-1.schema.json"
CHUNK_SIZE = 500
BATCH_SIZE = 1000
MAX_PROBLEMS = 200  # problems checked and shown; past them, checking stops

DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
URL_PATTERN = "^[Hh][Tt][Tt][Pp][Ss]?://"
TARGET_PATTERN = "^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$"
PATTERN_MESSAGES = {
    DATE_PATTERN: "not a date in the form YYYY-MM-DD",
    "^[A-Za-z]{2}$": "not a two-letter country code",
    "^[-A-Za-z0-9_]+$": "not a slug (letters, digits, hyphens and underscores)",
    URL_PATTERN: "not an http or https URL",
    TARGET_PATTERN: 'not a year ("2035") or a date ("2035-06-30")',
}
MIN_ITEMS_MESSAGES = {
    "countries": "give at least two countries",
    "sources": "cite at least one source",
    "parties": "give at least one party, or leave it out for the meeting's countries",
}
JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
SCHEMA_TYPES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}

MODEL_LABELS = ("meetings", "leaders", "sources", "commitments", "status changes")


# Results and failures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (`meetings[3].countries[1]`) and what."""

    path: str
    message: str
    document: str = ""
    meeting: str = ""  # the date and title of the meeting at the path, so editors need not count

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message

    def naming_its_meeting(self, documents):
        """This problem with the date and title of the meeting its path is in, where the file gives them."""
        found = re.match(r"meetings\[(\d+)\]", self.path)
        data = documents.get(self.document)
        meetings = data.get("meetings") if isinstance(data, dict) else None
        if not found or not isinstance(meetings, list) or int(found[1]) >= len(meetings):
            return self
        meeting = meetings[int(found[1])]
        if not isinstance(meeting, dict):
            return self
        named = [meeting.get(key) for key in ("date", "title")]
        named = [value if len(value) <= 80 else f"{value[:79]}…" for value in named if isinstance(value, str)]
        return replace(self, meeting=" ".join(named)) if named else self

    def describe(self, with_document=False):
        """The problem as shown to editors: `meetings[3].title (2026-02-10 Macron and Merz meet): …`."""
        text = f"{self.path} ({self.meeting}): {self.message}" if self.meeting else str(self)
        return f"{self.document}: {text}" if with_document and self.document else text


class ImportFailed(Exception):
    """The file cannot be imported; `problems` lists what is wrong with it: everything, or the
    first MAX_PROBLEMS when checking stopped there (`stopped`)."""

    def __init__(self, problems, stopped=False):
        problems = list(dict.fromkeys(problems))
        self.stopped = stopped or len(problems) > MAX_PROBLEMS
        self.problems = problems[:MAX_PROBLEMS]
        count = len(self.problems)
        found = f"{count} problem{'' if count == 1 else 's'}"
        found = f"at least {found}" if self.stopped else found
        super().__init__(f"{found} found; nothing was imported.")

    def lines(self, with_document=None):
        if with_document is None:
            with_document = len({problem.document for problem in self.problems}) > 1
        lines = [problem.describe(with_document) for problem in self.problems]
        if self.stopped:
            lines.append(
                f"Checking stopped after {MAX_PROBLEMS} problems: correct these and check the file again."
            )
        return lines


@dataclass
class Document:
    """A parsed file: its name (for messages) and its JSON data."""

    name: str
    data: object


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, action):
        setattr(self, action, getattr(self, action) + 1)


@dataclass
class Change:
    """A meeting the import creates or updates, for the report."""

    action: str  # "created" or "updated"
    slug: str
    title: str
    fields: list = field(default_factory=list)


@dataclass
class Report:
    dry_run: bool
    tallies: dict = field(default_factory=lambda: {label: Tally() for label in MODEL_LABELS})
    changes: list = field(default_factory=list)
    # what an import wrote, for the admin's history: {model: ([created], [changed])}
    written: dict = field(default_factory=lambda: defaultdict(lambda: ([], [])))

    @property
    def changed(self):
        return any(tally.created or tally.updated for tally in self.tallies.values())

    def summary_lines(self):
        created, updated = (
            ("would be created", "would be updated") if self.dry_run else ("created", "updated")
        )
        width = max(len(label) for label in self.tallies)
        return [
            f"{label + ':':<{width + 1}} {tally.created} {created}, {tally.updated} {updated}, "
            f"{tally.unchanged} unchanged"
            for label, tally in self.tallies.items()
        ]

    def summary_text(self):
        """The summary on one line, for a message."""
        return "; ".join(" ".join(line.split()) for line in self.summary_lines())

    def change_lines(self):
        lines = []
        for change in self.changes:
            verb = {"created": "create", "updated": "update"}[change.action]
            if not self.dry_run:
                verb = change.action
            line = f"{verb} {change.slug} ({change.title})"
            if change.fields:
                line += ": " + ", ".join(change.fields)
            lines.append(line)
        return lines


# Step 1: parse -------------------------------------------------------------------------------


def read_document(raw, name="-"):
    """Parse the bytes (or text) of one file; malformed JSON raises `ImportFailed` with line and column."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFailed(
                [Problem("", f"not UTF-8 text (byte {error.start} cannot be read)", name)]
            ) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ImportFailed(
            [Problem(f"line {error.lineno}, column {error.colno}", f"malformed JSON: {error.msg}", name)]
        ) from None
    except RecursionError:
        raise ImportFailed([Problem("", "malformed JSON: nested too deeply", name)]) from None
    except ValueError as error:  # e.g. an integer longer than Python reads
        raise ImportFailed([Problem("", f"malformed JSON: {error}", name)]) from None
    problems = [
        Problem(path, "text with an unpaired surrogate escape (\\ud800-\\udfff)", name)
        for path in _unencodable_paths(data)
    ]
    if problems:
        raise ImportFailed(problems)
    return Document(name, data)


def _unencodable_paths(value, path=""):
    """Paths of strings (keys or values) that cannot be written as UTF-8: lone surrogates."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                yield (where or "(document)").encode("utf-8", "backslashreplace").decode("utf-8")
        elif isinstance(item, dict):
            for key, child in item.items():
                stack.append((_join(where, key), key))
                stack.append((_join(where, key), child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{index}]", child) for index, child in enumerate(item))


# Step 2: check the structure (JSON Schema) -----------------------------------------------------


@cache
def schema():
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validators():
    """One validator for the envelope, one for each meeting (so progress can be shown per meeting)."""
    full = schema()
    envelope = {**full, "properties": {**full["properties"], "meetings": {"type": "array"}}}
    meeting = {"$ref": "#/$defs/meeting", "$defs": full["$defs"]}
    Draft202012Validator.check_schema(full)
    return Draft202012Validator(envelope), Draft202012Validator(meeting)


def _join(path, key):
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _path(prefix, parts):
    path = prefix
    for part in parts:
        path = _join(path, part)
    return path


def _natural_order(path):
    """Sort key for paths: meetings[2] before meetings[10]."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def _quote(value):
    return json.dumps(value, ensure_ascii=False)


def _schema_problems(error, prefix, document):
    """Turn a jsonschema error into field-level problems worded for people."""
    path = _path(prefix, error.absolute_path)
    name = next((part for part in reversed(error.absolute_path) if isinstance(part, str)), "")
    validator, value, instance = error.validator, error.validator_value, error.instance

    if validator == "required":
        return [
            Problem(_join(path, key), "required field missing", document)
            for key in value
            if key not in instance
        ]
    if validator in ("additionalProperties", "unevaluatedProperties"):
        allowed = set(error.schema.get("properties", {}))
        if validator == "unevaluatedProperties":  # a citation: the source's fields come through $ref
            allowed |= set(schema()["$defs"]["sourceDetails"]["properties"])
        return [
            Problem(_join(path, key), "unknown field", document) for key in instance if key not in allowed
        ]
    if validator == "type":
        types = [value] if isinstance(value, str) else value
        expected = " or ".join(SCHEMA_TYPES[kind] for kind in types)
        got = JSON_TYPES.get(type(instance), "a number")
        message = f"expected {expected}, got {got}"
    elif validator == "const" and name == "format":
        message = f'unsupported format {_quote(instance)}; this version reads "{FORMAT}"'
    elif validator == "enum":
        known = ", ".join(item for item in value if item is not None)
        message = f"unknown {name} {_quote(instance)} (expected one of: {known})"
    elif validator == "pattern":
        message = f"{PATTERN_MESSAGES.get(value, 'not in the expected form')}: {_quote(instance)}"
    elif validator in ("minimum", "maximum"):
        message = f"{PATTERN_MESSAGES[TARGET_PATTERN]}: {_quote(instance)}"
    elif validator == "minItems":
        message = MIN_ITEMS_MESSAGES.get(name, f"give at least {value}")
    elif validator == "minLength":
        message = "must not be empty"
    elif validator == "maxLength":
        message = f"longer than {value} characters ({len(instance)})"
    else:
        message = error.message
    return [Problem(path, message, document)]


def structure_problems(validator, instance, path, document):
    """The structural problems in `instance` (the document, or one meeting at `path`), up to
    one more than MAX_PROBLEMS."""
    problems = []
    for error in itertools.islice(validator.iter_errors(instance), MAX_PROBLEMS + 1):
        problems.extend(_schema_problems(error, path, document))
    return problems


# Step 2 (continued): read and check the meaning ------------------------------------------------


@dataclass
class LeaderIn:
    path: str
    document: str
    name: str
    country: str
    values: dict = field(default_factory=dict)  # title, native_name, took_office, left_office
    paths: dict = field(default_factory=dict)  # where each value was given
    dates: dict = field(default_factory=dict)  # the date of the meeting that gave it


@dataclass
class CitationIn:
    path: str
    url: str
    excerpt: str


@dataclass
class HistoryIn:
    path: str
    date: datetime.date
    status: str
    note: str
    url: str


@dataclass
class CommitmentIn:
    path: str
    topic: str
    summary: str
    values: dict
    parties: list
    citations: list
    history: list


@dataclass
class MeetingIn:
    path: str
    document: str
    slug: str
    values: dict
    countries: list
    leaders: list  # (name, country) keys
    citations: list
    commitments: list

    @property
    def natural_key(self):
        return _natural_key(self.values["date"], self.countries, self.values["city"])


def _natural_key(date, codes, city):
    return (date, frozenset(codes), city.casefold())


def _text(data, key):
    """The stripped string at `key`; "" when absent, null or of the wrong type (the schema reports that)."""
    value = data.get(key) if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _optional_text(data, key):
    """Like `_text`, but None when the file does not say (absent, null or empty)."""
    return _text(data, key) or None


_url_validator = URLValidator(schemes=["http", "https"])


class _Reader:
    """Reads documents into `MeetingIn` records, collecting every problem."""

    def __init__(self, documents, progress=None):
        self.documents = documents
        self.progress = progress
        self.problems = []
        self.country_codes = set(Country.objects.values_list("code", flat=True))
        self.topics = set(Topic.objects.values_list("slug", flat=True))
        self.meetings = []
        self.leaders = {}  # (name, country) -> LeaderIn (merged)
        self.sources = {}  # url -> {"path": first path, field: (value, path)}
        self.history_urls = []  # (path, url, document)
        self.document = ""
        self.stopped = False  # checking stopped after MAX_PROBLEMS problems

    def problem(self, path, message):
        self.problems.append(Problem(path, message, self.document))

    def read(self):
        """Check each document's structure, then each meeting's structure and meaning."""
        envelope, meeting_validator = _validators()
        for document in self.documents:
            self.document = document.name
            self.problems.extend(structure_problems(envelope, document.data, "", document.name))
            meetings = document.data.get("meetings") if isinstance(document.data, dict) else None
            meetings = meetings if isinstance(meetings, list) else []
            for index, meeting in enumerate(
                self.progress(meetings, "Checking") if self.progress else meetings
            ):
                if len(self.problems) > MAX_PROBLEMS:
                    self.stopped = True
                    return self
                path = f"meetings[{index}]"
                self.problems.extend(structure_problems(meeting_validator, meeting, path, document.name))
                if isinstance(meeting, dict):
                    self.read_meeting(path, meeting)
        return self

    # values --------------------------------------------------------------------------------

    def date(self, data, key, path):
        value = data.get(key)
        if not isinstance(value, str) or not re.match(DATE_PATTERN, value):
            return None  # absent, null, or reported by the schema
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.problem(_join(path, key), f"not a real date: {_quote(value)}")
            return None

    def required_text(self, data, key, path):
        """A required string, stripped; only spaces is a problem (an empty one the schema reports)."""
        value = data.get(key)
        text = _text(data, key)
        if isinstance(value, str) and value and not text:
            self.problem(_join(path, key), "must not be empty")
        return text

    def country(self, value, path):
        """An upper-case known code, or None (with a problem when the code is unknown)."""
        if not isinstance(value, str) or not re.fullmatch("[A-Za-z]{2}", value):
            return None
        code = value.upper()
        if code not in self.country_codes:
            self.problem(path, f"unknown country code {_quote(value)}")
            return None
        return code

    def countries(self, values, path):
        codes, seen = [], {}
        for index, value in enumerate(values if isinstance(values, list) else []):
            item_path = _join(path, index)
            code = self.country(value, item_path)
            if code is None:
                continue
            if code in seen:
                self.problem(item_path, f'"{code}" is listed twice (also at {seen[code]})')
                continue
            seen[code] = item_path
            codes.append(code)
        return codes

    def url(self, value, path):
        if not isinstance(value, str) or not re.match(URL_PATTERN, value):
            return None
        url = value.strip()
        try:
            _url_validator(url)
        except ValidationError:
            self.problem(path, f"not a valid URL: {_quote(value)}")
            return None
        return url

    # sources -------------------------------------------------------------------------------

    def source_details(self, data, path):
        """Record what this occurrence says about a source; conflicting details are problems."""
        url = self.url(data.get("url"), _join(path, "url"))
        if url is None:
            return None
        known = self.sources.setdefault(url, {"path": path})
        for key in ("publisher", "title"):
            self.merge(known, key, _optional_text(data, key), path)
        self.merge(known, "published", self.date(data, "published", path), path)
        return url

    def merge(self, known, key, value, path):
        if value is None:
            return
        if key not in known:
            known[key] = (value, path)
            return
        previous, previous_path = known[key]
        if previous != value:
            self.problem(
                _join(path, key),
                f"{_quote(str(value))} differs from {_quote(str(previous))} given at {previous_path} "
                "for the same source",
            )

    def citations(self, values, path):
        citations, seen = [], {}
        for index, data in enumerate(values if isinstance(values, list) else []):
            item_path = _join(path, index)
            if not isinstance(data, dict):
                continue
            url = self.source_details(data, item_path)
            excerpt = _text(data, "excerpt")
            if problem := Citation.excerpt_problem(excerpt):
                self.problem(_join(item_path, "excerpt"), problem)
            if url is None:
                continue
            if url in seen:
                self.problem(_join(item_path, "url"), f"{_quote(url)} is cited twice (also at {seen[url]})")
                continue
            seen[url] = item_path
            citations.append(CitationIn(item_path, url, excerpt))
        return citations

    # leaders -------------------------------------------------------------------------------

    def leader(self, data, path, meeting_date):
        """Record a leader; where meetings disagree (a new office), the latest meeting's values win."""
        name = self.required_text(data, "name", path)
        country = self.country(data.get("country"), _join(path, "country"))
        values = {
            "title": self.required_text(data, "title", path) or None,
            "native_name": _optional_text(data, "native_name"),
            "took_office": self.date(data, "took_office", path),
            "left_office": self.date(data, "left_office", path),
        }
        if values["took_office"] and values["left_office"] and values["left_office"] < values["took_office"]:
            self.problem(
                _join(path, "left_office"),
                f"{values['left_office']} is before took_office {values['took_office']}",
            )
        if not name or country is None:
            return None
        key = (name, country)
        known = self.leaders.get(key)
        if known is None:
            known = self.leaders[key] = LeaderIn(path, self.document, name, country)
        meeting_date = meeting_date or datetime.date.min
        for field_name, value in values.items():
            if value is not None and meeting_date >= known.dates.get(field_name, datetime.date.min):
                known.values[field_name] = value
                known.paths[field_name] = path
                known.dates[field_name] = meeting_date
        return key

    # meetings ------------------------------------------------------------------------------

    def read_meeting(self, path, data):
        values = {
            "date": self.date(data, "date", path),
            "end_date": self.date(data, "end_date", path),
            "kind": _text(data, "kind"),
            "title": self.required_text(data, "title", path),
            "city": _text(data, "city"),
            "venue": _text(data, "venue"),
            "summary": _text(data, "summary"),
            "host_id": None,
        }
        if values["date"] and values["end_date"] and values["end_date"] < values["date"]:
            self.problem(
                _join(path, "end_date"), f"{values['end_date']} is before the start date {values['date']}"
            )
        listed = data.get("countries") if isinstance(data.get("countries"), list) else []
        countries = self.countries(listed, _join(path, "countries"))
        distinct = {value.upper() for value in listed if isinstance(value, str)}
        if len(listed) >= 2 and len(distinct) < 2:
            self.problem(_join(path, "countries"), "give at least two different countries")
        if data.get("host") is not None:
            host = self.country(data["host"], _join(path, "host"))
            if host is not None and Meeting.host_problem(host, countries):
                self.problem(_join(path, "host"), f'"{host}" is not one of the meeting\'s countries')
            values["host_id"] = host

        leaders, seen = [], {}
        leader_list = data.get("leaders")
        for index, leader in enumerate(leader_list if isinstance(leader_list, list) else []):
            if not isinstance(leader, dict):
                continue
            leader_path = _join(_join(path, "leaders"), index)
            key = self.leader(leader, leader_path, values["date"])
            if key is None:
                continue
            if key in seen:
                self.problem(leader_path, f"{_quote(key[0])} is listed twice (also at {seen[key]})")
                continue
            seen[key] = leader_path
            if len(countries) == len(listed) and Meeting.leaders_outside([key], countries):
                self.problem(
                    _join(leader_path, "country"), f'"{key[1]}" is not one of the meeting\'s countries'
                )
            leaders.append(key)

        citations = self.citations(data.get("sources"), _join(path, "sources"))
        commitments, seen = [], {}
        commitment_list = data.get("commitments")
        for index, commitment in enumerate(commitment_list if isinstance(commitment_list, list) else []):
            if not isinstance(commitment, dict):
                continue
            commitment_path = _join(_join(path, "commitments"), index)
            record = self.read_commitment(commitment_path, commitment, countries, values["date"])
            if record is None:
                continue
            key = (record.topic, record.summary)
            if key in seen:
                self.problem(
                    _join(commitment_path, "summary"),
                    f"the same topic and summary as {seen[key]}: a meeting records a commitment once",
                )
                continue
            seen[key] = commitment_path
            commitments.append(record)

        slug = data.get("slug") if isinstance(data.get("slug"), str) else ""
        if re.fullmatch("[-A-Za-z0-9_]+", slug or "") is None:
            slug = ""
        if values["date"] is None or len(countries) < 2 or not values["kind"] or not values["title"]:
            return
        if values["kind"] not in MeetingKind.values:
            return
        self.meetings.append(
            MeetingIn(path, self.document, slug, values, countries, leaders, citations, commitments)
        )

    def read_commitment(self, path, data, meeting_countries, meeting_date):
        topic = self.required_text(data, "topic", path)
        if topic and topic not in self.topics:
            known = ", ".join(sorted(self.topics))
            self.problem(_join(path, "topic"), f"unknown topic {_quote(topic)} (expected one of: {known})")
            topic = ""
        summary = self.required_text(data, "summary", path)
        status = data.get("status") or Status.ANNOUNCED
        values = {
            "detail": _text(data, "detail"),
            "target_date": None,
            "target_precision": "",
            "level_from": _text(data, "level_from"),
            "level_to": _text(data, "level_to"),
        }
        target = data.get("target")
        if isinstance(target, float) and target.is_integer():  # 2035.0 is a JSON Schema integer
            target = int(target)
        readable = isinstance(target, (str, int)) and not isinstance(target, bool)
        if readable and re.match(TARGET_PATTERN, str(target)):
            try:
                values["target_date"], values["target_precision"] = Commitment.parse_target(target)
            except ValueError:
                self.problem(_join(path, "target"), f"not a real date: {_quote(target)}")
        for key, problem in Commitment.level_problems(
            topic, values["level_from"], values["level_to"]
        ).items():
            self.problem(_join(path, key), problem)

        if data.get("parties") is None:
            parties = list(meeting_countries)
        else:
            parties = self.countries(data.get("parties"), _join(path, "parties"))
        citations = self.citations(data.get("sources"), _join(path, "sources"))
        history, seen, history_readable = [], {}, True
        history_list = data.get("history")
        for index, entry in enumerate(history_list if isinstance(history_list, list) else []):
            if not isinstance(entry, dict):
                continue
            entry_path = _join(_join(path, "history"), index)
            record = self.read_history(entry_path, entry)
            if record is None:
                continue
            problem = StatusChange.date_problem(record.date, meeting_date)
            if problem:
                self.problem(_join(entry_path, "date"), problem[0].lower() + problem[1:])
                history_readable = False
                continue
            key = (record.date, record.status)
            if key in seen:
                self.problem(entry_path, f"the same date and status as {seen[key]}")
                continue
            seen[key] = entry_path
            history.append(record)
        if history and status in Status.values:
            latest = max(reversed(history), key=lambda entry: entry.date)  # on one day, the last listed
            if latest.status != status:
                self.problem(
                    _join(path, "status"),
                    f"{_quote(status)} disagrees with the latest history entry "
                    f"({latest.date.isoformat()}: {_quote(latest.status)})",
                )
        elif history_readable and status in Status.values and status != Status.ANNOUNCED:
            self.problem(
                _join(path, "status"),
                f"{_quote(status)} is what a history entry says: give the dated, sourced entry that shows it",
            )

        if not topic or not summary or status not in Status.values:
            return None
        return CommitmentIn(path, topic, summary, values, parties, citations, history)

    def read_history(self, path, data):
        date = self.date(data, "date", path)
        status = data.get("status")
        source = data.get("source")
        source_path = _join(path, "source")
        if isinstance(source, dict):
            url = self.source_details(source, source_path)
        else:
            url = self.url(source, source_path)
            if url is not None:
                self.history_urls.append((source_path, url, self.document))
        if date is None or status not in Status.values or url is None:
            return None
        return HistoryIn(path, date, status, _text(data, "note"), url)


# Steps 3 and 4: match, plan, write -----------------------------------------------------------


def _chunks(values, size=CHUNK_SIZE):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _filter_in(queryset, field_name, values):
    """`queryset.filter(field__in=values)` in chunks, so long lists stay within database limits."""
    for chunk in _chunks(values):
        yield from queryset.filter(**{f"{field_name}__in": chunk})


def allocate_slugs(model, bases, reserved=()):
    """Unique slugs for new rows: the base, else base-2, base-3, ... (free in the database and here)."""
    used = set(reserved)
    result = [None] * len(bases)
    pending = [(index, base or "record") for index, base in enumerate(bases)]
    number = 1
    while pending:
        candidates = {}
        for index, base in pending:
            suffix = "" if number == 1 else f"-{number}"
            candidates[index] = base[: 200 - len(suffix)] + suffix
        taken = set(
            _filter_in(model.objects.values_list("slug", flat=True), "slug", set(candidates.values()))
        )
        still_pending = []
        for index, base in pending:
            candidate = candidates[index]
            if candidate in taken or candidate in used:
                still_pending.append((index, base))
            else:
                used.add(candidate)
                result[index] = candidate
        pending = still_pending
        number += 1
    return result


class _Plan:
    """What to create, update and delete; built from the checked records and the database."""

    MEETING_FIELDS = ["kind", "date", "end_date", "city", "venue", "host_id", "title", "summary"]
    # not the status: the history entries written after the commitment set it
    COMMITMENT_FIELDS = ["detail", "target_date", "target_precision", "level_from", "level_to"]
    LEADER_FIELDS = ["title", "native_name", "took_office", "left_office"]
    SOURCE_FIELDS = ["publisher", "title", "published"]

    def __init__(self, reader, dry_run):
        self.reader = reader
        self.report = Report(dry_run=dry_run)
        self.problems = []
        self.now = timezone.now()
        # model -> list of objects
        self.creates = defaultdict(list)
        self.updates = defaultdict(list)
        self.update_fields = {}
        # through rows to add: (through model, [callables building the row]); ids to delete
        self.row_adds = defaultdict(list)
        self.row_deletes = defaultdict(list)

    def tally(self, label, action):
        self.report.tallies[label].count(action)

    # leaders and sources ------------------------------------------------------------------

    def plan_leaders(self):
        leaders = self.reader.leaders
        names = {name for name, _ in leaders}
        existing = {
            (leader.name, leader.country_id): leader
            for leader in _filter_in(Leader.objects.all(), "name", names)
        }
        self.leaders = {}
        new = []
        for key, record in leaders.items():
            leader = existing.get(key)
            values = record.values
            if leader is None:
                leader = Leader(
                    name=record.name,
                    country_id=record.country,
                    title=values.get("title") or "",
                    native_name=values.get("native_name") or "",
                    took_office=values.get("took_office"),
                    left_office=values.get("left_office"),
                )
                new.append(leader)
                action = "created"
            else:
                changed = [
                    name
                    for name in self.LEADER_FIELDS
                    if values.get(name) not in (None, getattr(leader, name))
                ]
                for name in changed:
                    setattr(leader, name, values[name])
                if changed:
                    leader.updated_at = self.now
                    self.updates[Leader].append(leader)
                action = "updated" if changed else "unchanged"
            if leader.took_office and leader.left_office and leader.left_office < leader.took_office:
                self.problems.append(self.term_problem(record, leader))
            self.tally("leaders", action)
            self.leaders[key] = leader
        bases = [slugify(leader.name) or f"leader-{leader.country_id.lower()}" for leader in new]
        for leader, slug in zip(new, allocate_slugs(Leader, bases), strict=True):
            leader.slug = slug
        self.creates[Leader] = new
        self.update_fields[Leader] = [*self.LEADER_FIELDS, "updated_at"]

    @staticmethod
    def term_problem(record, leader):
        """A term ending before it starts, once the file's dates meet each other or the recorded ones."""
        name = "left_office" if "left_office" in record.paths else "took_office"
        message = f"{leader.left_office} is before took_office {leader.took_office}"
        if not {"left_office", "took_office"} <= set(record.paths):
            message += " (with the dates already recorded for this leader)"
        return Problem(_join(record.paths[name], name), message, record.document)

    def plan_sources(self):
        sources = self.reader.sources
        urls = set(sources) | {url for _, url, _ in self.reader.history_urls}
        self.sources = {source.url: source for source in _filter_in(Source.objects.all(), "url", urls)}
        for path, url, document in self.reader.history_urls:
            if url not in sources and url not in self.sources:
                self.problems.append(
                    Problem(
                        path, f"{_quote(url)} is not a source given in the file or already recorded", document
                    )
                )
        for url, details in sources.items():
            source = self.sources.get(url)
            values = {name: details[name][0] for name in self.SOURCE_FIELDS if name in details}
            if source is None:
                source = Source(
                    url=url,
                    publisher=values.get("publisher", ""),
                    title=values.get("title", ""),
                    published=values.get("published"),
                )
                self.creates[Source].append(source)
                self.sources[url] = source
                self.tally("sources", "created")
                continue
            changed = False
            for name, value in values.items():
                if getattr(source, name) != value:
                    setattr(source, name, value)
                    changed = True
            if changed:
                source.updated_at = self.now
                self.updates[Source].append(source)
            self.tally("sources", "updated" if changed else "unchanged")
        self.update_fields[Source] = [*self.SOURCE_FIELDS, "updated_at"]

    # meetings ------------------------------------------------------------------------------

    def match_meetings(self):
        """Pair each record with a recorded meeting (or None), reporting duplicates and ambiguities."""
        records = self.reader.meetings
        by_slug = {
            meeting.slug: meeting
            for meeting in _filter_in(Meeting.objects.all(), "slug", {r.slug for r in records if r.slug})
        }
        unslugged_dates = {record.values["date"] for record in records if not record.slug}
        candidates = list(_filter_in(Meeting.objects.all(), "date", unslugged_dates))
        candidate_countries = defaultdict(set)
        through = Meeting.countries.through
        for meeting_id, code in _filter_in(
            through.objects.values_list("meeting_id", "country_id"), "meeting_id", [m.pk for m in candidates]
        ):
            candidate_countries[meeting_id].add(code)
        by_key = defaultdict(list)
        for meeting in candidates:
            by_key[_natural_key(meeting.date, candidate_countries[meeting.pk], meeting.city)].append(meeting)

        # In the file: each slug once; a meeting without a slug must not share its natural key.
        slug_paths, key_records = {}, defaultdict(list)
        for record in records:
            key_records[record.natural_key].append(record)
            if record.slug:
                if record.slug in slug_paths:
                    self.problems.append(
                        Problem(
                            _join(record.path, "slug"),
                            f"{_quote(record.slug)} is also the slug of {slug_paths[record.slug]}",
                            record.document,
                        )
                    )
                slug_paths.setdefault(record.slug, record.path)
        for group in key_records.values():
            if len(group) > 1 and any(not record.slug for record in group):
                for record in group[1:]:
                    self.problems.append(
                        Problem(
                            record.path,
                            f"the same date, countries and city as {group[0].path}; give each a slug "
                            "to record them as separate meetings",
                            record.document,
                        )
                    )

        matched, claimed = [], {}
        for record in records:
            if record.slug:
                meeting = by_slug.get(record.slug)
            else:
                found = by_key.get(record.natural_key, [])
                if len(found) > 1:
                    slugs = ", ".join(sorted(meeting.slug for meeting in found))
                    self.problems.append(
                        Problem(
                            record.path,
                            f"matches {len(found)} recorded meetings ({slugs}); give the slug of one",
                            record.document,
                        )
                    )
                meeting = found[0] if len(found) == 1 else None
            if meeting is not None:
                if meeting.pk in claimed:
                    self.problems.append(
                        Problem(
                            record.path,
                            f"is the same recorded meeting ({meeting.slug}) as {claimed[meeting.pk]}",
                            record.document,
                        )
                    )
                claimed.setdefault(meeting.pk, record.path)
            matched.append((record, meeting))
        return matched

    def plan_meetings(self, matched):
        ids = [meeting.pk for _, meeting in matched if meeting is not None]
        countries_through = Meeting.countries.through
        leaders_through = Meeting.leaders.through
        rows = defaultdict(dict)  # meeting id -> {country code: row id}
        for row_id, meeting_id, code in _filter_in(
            countries_through.objects.values_list("id", "meeting_id", "country_id"), "meeting_id", ids
        ):
            rows[meeting_id][code] = row_id
        leader_rows = defaultdict(dict)
        for row_id, meeting_id, leader_id in _filter_in(
            leaders_through.objects.values_list("id", "meeting_id", "leader_id"), "meeting_id", ids
        ):
            leader_rows[meeting_id][leader_id] = row_id
        citations = defaultdict(dict)  # meeting id -> {source id: citation}
        for citation in _filter_in(MeetingCitation.objects.all(), "meeting_id", ids):
            citations[citation.meeting_id][citation.source_id] = citation
        self.existing_commitments = {}
        for commitment in _filter_in(Commitment.objects.all(), "meeting_id", ids):
            self.existing_commitments[(commitment.meeting_id, commitment.topic_id, commitment.summary)] = (
                commitment
            )

        new_meetings = [(record, Meeting()) for record, meeting in matched if meeting is None]
        reserved = {record.slug for record, _ in matched if record.slug}
        generated = allocate_slugs(
            Meeting,
            [
                Meeting.build_slug(r.values["date"], r.countries, r.values["city"], r.values["kind"])
                for r, _ in new_meetings
                if not r.slug
            ],
            reserved=reserved,
        )
        generated = iter(generated)
        for record, meeting in new_meetings:
            meeting.slug = record.slug or next(generated)

        self.meetings = []
        new_by_record = {id(record): meeting for record, meeting in new_meetings}
        for record, existing in matched:
            meeting = existing or new_by_record[id(record)]
            self.meetings.append((record, meeting))
            if existing is None:
                for name, value in record.values.items():
                    setattr(meeting, name, value)
                self.creates[Meeting].append(meeting)
                changed = []
            else:
                changed = [
                    name.removesuffix("_id")
                    for name in self.MEETING_FIELDS
                    if getattr(meeting, name) != record.values[name]
                ]
                for name in self.MEETING_FIELDS:
                    setattr(meeting, name, record.values[name])
            # Countries, leaders and sources: the file's sets.
            if self.diff_rows(
                countries_through,
                rows[meeting.pk] if existing else {},
                {code: code for code in record.countries},
                lambda code, meeting=meeting: countries_through(meeting_id=meeting.pk, country_id=code),
            ):
                changed.append("countries")
            desired_leaders = {}
            for key in record.leaders:
                leader = self.leaders[key]
                desired_leaders[leader.pk if leader.pk else id(leader)] = leader
            if self.diff_rows(
                leaders_through,
                leader_rows[meeting.pk] if existing else {},
                desired_leaders,
                lambda leader, meeting=meeting: leaders_through(meeting_id=meeting.pk, leader_id=leader.pk),
            ):
                changed.append("leaders")
            if self.diff_citations(
                MeetingCitation,
                citations[meeting.pk] if existing else {},
                record.citations,
                lambda source, excerpt, meeting=meeting: MeetingCitation(
                    meeting_id=meeting.pk, source_id=source.pk, excerpt=excerpt
                ),
            ):
                changed.append("sources")
            if existing is None:
                self.tally("meetings", "created")
                self.report.changes.append(Change("created", meeting.slug, meeting.title))
            elif changed:
                meeting.updated_at = self.now
                self.updates[Meeting].append(meeting)
                self.tally("meetings", "updated")
                self.report.changes.append(Change("updated", meeting.slug, meeting.title, changed))
            else:
                self.tally("meetings", "unchanged")
        self.update_fields[Meeting] = [*self.MEETING_FIELDS, "updated_at"]

    def diff_rows(self, through, existing, desired, build):
        """Plan deleting the rows (`existing`: key -> row id) not desired and adding the missing ones."""
        changed = False
        for key, row_id in existing.items():
            if key not in desired:
                self.row_deletes[through].append(row_id)
                changed = True
        for key, target in desired.items():
            if key not in existing:
                self.row_adds[through].append(lambda build=build, target=target: build(target))
                changed = True
        return changed

    def diff_citations(self, model, existing, records, build):
        """Like `diff_rows`, for citations (keyed by source, carrying an excerpt)."""
        changed = False
        desired = {}
        for record in records:
            source = self.sources[record.url]
            desired[source.pk if source.pk else id(source)] = (source, record.excerpt)
        for source_id, citation in existing.items():
            if source_id not in desired:
                self.row_deletes[model].append(citation.pk)
                changed = True
        for key, (source, excerpt) in desired.items():
            citation = existing.get(key)
            if citation is None:
                self.row_adds[model].append(lambda source=source, excerpt=excerpt: build(source, excerpt))
                changed = True
            elif citation.excerpt != excerpt:
                citation.excerpt = excerpt
                self.updates[model].append(citation)
                self.update_fields[model] = ["excerpt"]
                changed = True
        return changed

    # commitments ---------------------------------------------------------------------------

    def plan_commitments(self):
        pairs = []
        for record, meeting in self.meetings:
            for commitment_record in record.commitments:
                key = (meeting.pk, commitment_record.topic, commitment_record.summary)
                existing = self.existing_commitments.get(key) if meeting.pk else None
                pairs.append((commitment_record, meeting, existing))
        ids = [existing.pk for _, _, existing in pairs if existing is not None]
        parties_through = Commitment.parties.through
        party_rows = defaultdict(dict)
        for row_id, commitment_id, code in _filter_in(
            parties_through.objects.values_list("id", "commitment_id", "country_id"), "commitment_id", ids
        ):
            party_rows[commitment_id][code] = row_id
        citations = defaultdict(dict)
        for citation in _filter_in(CommitmentCitation.objects.all(), "commitment_id", ids):
            citations[citation.commitment_id][citation.source_id] = citation
        history = defaultdict(dict)
        for change in _filter_in(StatusChange.objects.all(), "commitment_id", ids):
            history[change.commitment_id][(change.date, change.status)] = change

        for record, meeting, existing in pairs:
            commitment = existing or Commitment(topic_id=record.topic, summary=record.summary)
            if existing is None:
                commitment.meeting = meeting
                for name, value in record.values.items():
                    setattr(commitment, name, value)
                self.creates[Commitment].append(commitment)
                changed = True
            else:
                changed = False
                for name in self.COMMITMENT_FIELDS:
                    if getattr(commitment, name) != record.values[name]:
                        setattr(commitment, name, record.values[name])
                        changed = True
            if self.diff_rows(
                parties_through,
                party_rows[commitment.pk] if existing else {},
                {code: code for code in record.parties},
                lambda code, commitment=commitment: parties_through(
                    commitment_id=commitment.pk, country_id=code
                ),
            ):
                changed = True
            if self.diff_citations(
                CommitmentCitation,
                citations[commitment.pk] if existing else {},
                record.citations,
                lambda source, excerpt, commitment=commitment: CommitmentCitation(
                    commitment_id=commitment.pk, source_id=source.pk, excerpt=excerpt
                ),
            ):
                changed = True
            if existing is None:
                self.tally("commitments", "created")
            elif changed:
                commitment.updated_at = self.now
                self.updates[Commitment].append(commitment)
                self.tally("commitments", "updated")
            else:
                self.tally("commitments", "unchanged")
            self.plan_history(commitment, history[commitment.pk] if existing else {}, record.history)
            if existing is None and not record.history:
                self.tally("status changes", "created")  # announced, by complete_from_meetings()
        self.update_fields[Commitment] = [*self.COMMITMENT_FIELDS, "updated_at"]

    def plan_history(self, commitment, existing, records):
        for record in records:
            source = self.sources[record.url]
            change = existing.get((record.date, record.status))
            if change is None:
                self.row_adds[StatusChange].append(
                    lambda record=record, source=source, commitment=commitment: StatusChange(
                        commitment_id=commitment.pk,
                        date=record.date,
                        status=record.status,
                        note=record.note,
                        source_id=source.pk,
                    )
                )
                self.tally("status changes", "created")
            elif change.note != record.note or change.source_id != source.pk:
                change.note = record.note
                change.source = source
                self.updates[StatusChange].append(change)
                self.update_fields[StatusChange] = ["note", "source"]
                self.tally("status changes", "updated")
            else:
                self.tally("status changes", "unchanged")

    # write ---------------------------------------------------------------------------------

    def write(self):
        """Apply the plan: parents before children, deletes of rows before their replacements."""
        self.save(Leader)
        self.save(Source)
        self.save(Meeting)
        meeting_rows = (Meeting.countries.through, Meeting.leaders.through, MeetingCitation)
        for model in meeting_rows:
            self.delete_rows(model)
        for model in meeting_rows:
            self.add_rows(model)
        self.save(MeetingCitation)
        for commitment in self.creates[Commitment]:
            commitment.meeting_id = commitment.meeting.pk
        self.save(Commitment)
        commitment_rows = (Commitment.parties.through, CommitmentCitation)
        for model in commitment_rows:
            self.delete_rows(model)
        for model in (*commitment_rows, StatusChange):
            self.add_rows(model)
        self.save(CommitmentCitation)
        self.save(StatusChange)
        created = [commitment.pk for commitment in self.creates[Commitment]]
        announced = Commitment.objects.filter(pk__in=created).complete_from_meetings()
        self.report.written[StatusChange][0].extend(announced)

    def save(self, model):
        if self.creates[model]:
            model.objects.bulk_create(self.creates[model], batch_size=BATCH_SIZE)
        if self.updates[model]:
            model.objects.bulk_update(self.updates[model], self.update_fields[model], batch_size=BATCH_SIZE)
        self.report.written[model][0].extend(self.creates[model])
        self.report.written[model][1].extend(self.updates[model])

    def delete_rows(self, model):
        for chunk in _chunks(self.row_deletes[model]):
            model.objects.filter(pk__in=chunk).delete()

    def add_rows(self, model):
        rows = [build() for build in self.row_adds[model]]
        if rows:
            model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            if not model._meta.auto_created:
                self.report.written[model][0].extend(rows)


def import_documents(documents, *, dry_run=False, progress=None, may_delete=None):
    """Check and import parsed documents as one; return a `Report`, or raise `ImportFailed`.

    `progress(iterable, description)`, if given, wraps the per-meeting loop (for a progress bar).
    `may_delete(model)`, if given, says whether rows of `model` may be deleted (an editor's
    permissions): an import that would delete others is refused.
    """
    try:
        with transaction.atomic():
            reader = _Reader(documents, progress).read()
            plan = _Plan(reader, dry_run)
            plan.plan_leaders()
            plan.plan_sources()
            matched = plan.match_meetings()
            problems = reader.problems + plan.problems
            if problems:
                order = {document.name: index for index, document in enumerate(documents)}
                data = {document.name: document.data for document in documents}
                raise ImportFailed(
                    [
                        problem.naming_its_meeting(data)
                        for problem in sorted(
                            problems, key=lambda p: (order.get(p.document, 0), _natural_order(p.path))
                        )
                    ],
                    stopped=reader.stopped,
                )
            plan.plan_meetings(matched)
            plan.plan_commitments()
            refused = [
                Problem(
                    "",
                    f"it removes {len(rows)} {model._meta.verbose_name_plural}, which you may not delete",
                )
                for model, rows in plan.row_deletes.items()
                if rows and may_delete and not model._meta.auto_created and not may_delete(model)
            ]
            if refused:
                raise ImportFailed(refused)
            if not dry_run:
                plan.write()
    except DatabaseError as error:
        # Checks above should make this unreachable; never show a traceback for a refused file.
        raise ImportFailed([Problem("", f"the database refused the import: {error}")]) from error
    return plan.report


def import_files(named_contents, *, dry_run=False, progress=None, may_delete=None):
    """Parse [(name, bytes)] and import them as one; malformed files are all reported together."""
    documents, problems = [], []
    for name, raw in named_contents:
        try:
            documents.append(read_document(raw, name))
        except ImportFailed as failure:
            problems.extend(failure.problems)
    if problems:
        raise ImportFailed(problems)
    return import_documents(documents, dry_run=dry_run, progress=progress, may_delete=may_delete)
