"""Reading meeting files (format `bilateral-meetings/3`, and still `/2` and `/1`) into the record.

One code path for the `import_meetings` command and the admin's import page:

1. parse: `read_document()` turns bytes into a `Document` (malformed JSON is reported with its
   line and column);
2. check: `import_documents()` checks the structure against the JSON Schema of the document's
   version in `agreements/schemas/`, then everything the database would refuse or the schema cannot say
   (known countries and topics, date order, excerpt length, history sources, reviews, links to
   earlier commitments, duplicates), collecting every problem with its path
   (`meetings[3].countries[1]: unknown country code "XX"`); any problem raises `ImportFailed`
   listing them all, and nothing is written;
3. match and plan: meetings are matched by slug, or by date, countries and city when the file
   gives no slug; leaders by name and country; sources by URL; commitments within a meeting by
   topic and summary; status changes within a commitment by date, status and party; a
   commitment's links by the earlier commitment; agreements by slug (built from date, parties and
   kind when the file gives none), their events by date, kind and party, their signatories by
   country and leader or name, their texts by URL. Only records whose
   fields differ are updated, so a second import of the same file changes nothing. A new
   commitment whose file gives no history is recorded as announced on its meeting's day, citing
   the meeting's first source (`Commitment.objects.complete_from_meetings()`); a new agreement
   whose file gives no events, as signed or adopted on its date (`Agreement.objects.complete()`);
4. write: one transaction, bulk operations. A dry run stops before writing.

What a file says about a meeting or a commitment is its whole record: an optional field left out
is cleared, and its countries, leaders, parties, sources and links become the file's; so for an
agreement, with its parties, sources, signatories, texts and the agreements it supersedes or
amends. Leaders and sources are shared by many meetings: a field left out keeps the value already
recorded (a source's kind and issuer go together). What an earlier version of the format cannot
say (a commitment's agreement, links, the agreement that fulfils it; whether an entry is a
review) stays as recorded. The import never deletes a meeting, a commitment, a status change, an
agreement or an agreement's event.
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
    Agreement,
    AgreementCitation,
    AgreementEvent,
    AgreementKind,
    AgreementStatus,
    AgreementText,
    Citation,
    Commitment,
    CommitmentCitation,
    CommitmentLink,
    Country,
    EventKind,
    Leader,
    LeaderCitation,
    LinkKind,
    Meeting,
    MeetingCitation,
    MeetingKind,
    Signatory,
    Source,
    SourceKind,
    Status,
    StatusChange,
    TextKind,
    Topic,
    validate_language_code,
)

FORMAT = "bilateral-meetings/3"  # what the exporter writes
# what the importer reads, newest first
FORMATS = ("bilateral-meetings/3", "bilateral-meetings/2", "bilateral-meetings/1")
SCHEMA_DIRECTORY = Path(__file__).resolve().parent / "schemas"
SCHEMA_PATH = SCHEMA_DIRECTORY / "bilateral-meetings-3.schema.json"
CHUNK_SIZE = 500
BATCH_SIZE = 1000
MAX_PROBLEMS = 200  # problems checked and shown; past them, checking stops
UNKNOWN_FIELD = "unknown field"

DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SLUG_PATTERN = "[-A-Za-z0-9_]+"
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
RECORD_PATH = re.compile(r"(meetings|agreements)\[(\d+)\]")
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
AGREEMENT_LABELS = ("agreements", "agreement events")  # reported when the files give agreements


# Results and failures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (`meetings[3].countries[1]`) and what."""

    path: str
    message: str
    document: str = ""
    meeting: str = (
        ""  # the date and title of the meeting (or agreement) at the path, so editors need not count
    )

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message

    def naming_its_meeting(self, documents):
        """This problem with the date and title of the meeting (or agreement) its path is in, where
        the file gives them."""
        found = RECORD_PATH.match(self.path)
        data = documents.get(self.document)
        records = data.get(found[1]) if found and isinstance(data, dict) else None
        if not found or not isinstance(records, list) or int(found[2]) >= len(records):
            return self
        meeting = records[int(found[2])]
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
    """A meeting (or an agreement) the import creates or updates, for the report."""

    action: str  # "created" or "updated"
    slug: str
    title: str
    fields: list = field(default_factory=list)
    record: str = "meeting"  # or "agreement"


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
            what = "" if change.record == "meeting" else f"{change.record} "
            line = f"{verb} {what}{change.slug} ({change.title})"
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


def version_number(version):
    """The number of a format version: 3 for `bilateral-meetings/3`."""
    return int(version.rsplit("/", 1)[-1])


@cache
def schema(version=FORMAT):
    """The JSON Schema of a format version (`bilateral-meetings/1`, `/2` or `/3`; by default the newest)."""
    return json.loads(
        (SCHEMA_DIRECTORY / f"bilateral-meetings-{version_number(version)}.schema.json").read_text(
            encoding="utf-8"
        )
    )


def _version(data):
    """The format a document says it is in, when this version reads it; otherwise the newest, whose
    schema then reports the format (a later version's fields are a superset of an earlier one's)."""
    found = data.get("format") if isinstance(data, dict) else None
    return found if found in FORMATS else FORMAT


@dataclass(frozen=True)
class _Validators:
    definitions: dict
    envelope: Draft202012Validator
    meeting: Draft202012Validator
    agreement: Draft202012Validator | None


@cache
def _validators(version=FORMAT):
    """For a format version: one validator for the envelope, one for each meeting (so progress can
    be shown per meeting) and one for each agreement."""
    full = schema(version)
    lists = {
        name: {"type": ["array", "null"]} for name in ("meetings", "agreements") if name in full["properties"]
    }
    lists["meetings"] = {"type": "array"}
    envelope = {**full, "properties": {**full["properties"], **lists}}
    Draft202012Validator.check_schema(full)

    def record(name):
        return Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": full["$defs"]})

    agreement = record("agreement") if "agreement" in full["$defs"] else None
    return _Validators(full["$defs"], Draft202012Validator(envelope), record("meeting"), agreement)


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


def _schema_problems(error, prefix, document, definitions):
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
            allowed |= set(definitions["sourceDetails"]["properties"])
        return [Problem(_join(path, key), UNKNOWN_FIELD, document) for key in instance if key not in allowed]
    if validator == "type":
        types = [value] if isinstance(value, str) else value
        expected = " or ".join(SCHEMA_TYPES[kind] for kind in types)
        got = JSON_TYPES.get(type(instance), "a number")
        message = f"expected {expected}, got {got}"
    elif validator == "const" and name == "format":
        *newer, oldest = [_quote(version) for version in FORMATS]
        message = f"unsupported format {_quote(instance)}; this version reads {', '.join(newer)} and {oldest}"
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


def structure_problems(validator, instance, path, document, definitions=None):
    """The structural problems in `instance` (the document, or one meeting or agreement at
    `path`), up to one more than MAX_PROBLEMS."""
    definitions = definitions if definitions is not None else schema()["$defs"]
    problems = []
    for error in itertools.islice(validator.iter_errors(instance), MAX_PROBLEMS + 1):
        problems.extend(_schema_problems(error, path, document, definitions))
    return problems


def naming_later_versions(problems, version, part, instance, path, document):
    """`problems` of `instance` (the document, a meeting or an agreement: `part`) read as `version`,
    with each unknown field that a later version adds saying which version that is."""
    unknown = {problem.path for problem in problems if problem.message == UNKNOWN_FIELD}
    added = {}
    for later in reversed(FORMATS):
        if not unknown or version_number(later) <= version_number(version):
            continue
        validators = _validators(later)
        validator = getattr(validators, part)
        if validator is None:
            continue
        still = {
            problem.path
            for problem in structure_problems(validator, instance, path, document, validators.definitions)
            if problem.message == UNKNOWN_FIELD
        }
        for known in unknown - still:
            added[known] = later
        unknown &= still
    return [
        replace(
            problem,
            message=f"{UNKNOWN_FIELD} in {version} (version {version_number(added[problem.path])} adds it)",
        )
        if problem.message == UNKNOWN_FIELD and problem.path in added
        else problem
        for problem in problems
    ]


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
    citations: dict = field(default_factory=dict)  # url -> CitationIn: sources for the office and term


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
    party: str | None = None  # the one party it concerns; None for all
    review: bool | None = None  # None when the version cannot say (/1, /2)

    @property
    def key(self):
        return (self.date, self.status, self.party)


@dataclass
class LinkIn:
    """A link to an earlier commitment, named by its natural key: meeting slug, topic, summary."""

    path: str
    kind: str
    meeting: str
    topic: str
    summary: str
    note: str

    @property
    def key(self):
        return (self.meeting, self.topic, self.summary)


@dataclass
class CommitmentIn:
    path: str
    topic: str
    summary: str
    values: dict
    parties: list
    citations: list
    history: list
    agreement: str | None = None  # a slug, "" for none; None when the version cannot say (/1)
    fulfilled_by: str | None = None  # likewise (/1, /2)
    links: list | None = None  # LinkIn; None when the version cannot say (/1, /2)


@dataclass
class EventIn:
    path: str
    date: datetime.date
    kind: str
    party: str | None
    note: str
    url: str

    @property
    def key(self):
        return (self.date, self.kind, self.party)


@dataclass
class SignatoryIn:
    path: str
    country: str
    leader: str | tuple  # a leader's slug, the (name, country) of one the file gives, or ""
    name: str
    office: str

    @property
    def key(self):
        return (self.country, "leader", self.leader) if self.leader else (self.country, "name", self.name)


@dataclass
class TextIn:
    path: str
    language: str
    kind: str
    url: str
    title: str


@dataclass
class AgreementIn:
    path: str
    document: str
    slug: str
    slug_given: bool
    values: dict
    parties: list
    meeting: str  # a meeting's slug, or ""
    supersedes: list  # (path, slug)
    amends: list  # (path, slug)
    citations: list
    events: list
    signatories: list
    texts: list


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


def _slug(data, key):
    """The slug at `key`, or "" when absent or not a slug (the schema reports that)."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) and re.fullmatch(SLUG_PATTERN, value) else ""


def _sentence(message):
    """A model's message as the end of a problem: "Give the language." -> "give the language."."""
    return message[:1].lower() + message[1:]


def _clean_problems(instance, **related):
    """What the model's own `clean()` says about `instance`, by field; `related` gives the objects
    its foreign keys point to (which may not be saved yet)."""
    for name, obj in related.items():
        model_field = instance._meta.get_field(name)
        setattr(instance, model_field.attname, obj.pk if obj.pk is not None else -1)
        model_field.set_cached_value(instance, obj)
    try:
        instance.clean()
    except ValidationError as error:
        return {
            name: [_sentence(message) for message in messages]
            for name, messages in error.message_dict.items()
        }
    return {}


_url_validator = URLValidator(schemes=["http", "https"])


def _validator_problems(validator, value):
    """What a model field's validator says about `value`, as problems' ends."""
    try:
        validator(value)
    except ValidationError as error:
        return [_sentence(message) for message in error.messages]
    return []


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
        self.agreements = []
        self.agreement_slugs = set()  # every slug the files give an agreement, readable or not
        self.agreement_references = []  # (path, slug, document): commitments naming an agreement
        self.constraint_messages = {}  # (model, values) -> messages
        self.document = ""
        self.version = FORMAT
        self.number = version_number(FORMAT)
        self.stopped = False  # checking stopped after MAX_PROBLEMS problems

    def problem(self, path, message):
        self.problems.append(Problem(path, message, self.document))

    def read(self):
        """Check each document's structure against its version's schema, then each meeting's and
        each agreement's structure and meaning."""
        for document in self.documents:
            self.document = document.name
            self.version = _version(document.data)
            self.number = version_number(self.version)
            self.structure("envelope", document.data, "")
            meetings = document.data.get("meetings") if isinstance(document.data, dict) else None
            meetings = meetings if isinstance(meetings, list) else []
            for index, meeting in enumerate(
                self.progress(meetings, "Checking") if self.progress else meetings
            ):
                if len(self.problems) > MAX_PROBLEMS:
                    self.stopped = True
                    return self
                path = f"meetings[{index}]"
                self.structure("meeting", meeting, path)
                if isinstance(meeting, dict):
                    self.read_meeting(path, meeting)
            if _validators(self.version).agreement is None:  # version 1: its envelope refuses agreements
                continue
            agreements = document.data.get("agreements") if isinstance(document.data, dict) else None
            for index, agreement in enumerate(agreements if isinstance(agreements, list) else []):
                if len(self.problems) > MAX_PROBLEMS:
                    self.stopped = True
                    return self
                path = f"agreements[{index}]"
                self.structure("agreement", agreement, path)
                if isinstance(agreement, dict):
                    self.read_agreement(path, agreement)
        return self

    def structure(self, part, instance, path):
        """Check `instance` (the document, a meeting or an agreement: `part`) against the schema of
        its document's version; a field only a later version has says which version adds it."""
        validators = _validators(self.version)
        problems = structure_problems(
            getattr(validators, part), instance, path, self.document, validators.definitions
        )
        self.problems.extend(
            naming_later_versions(problems, self.version, part, instance, path, self.document)
        )

    def constraint_problems(self, model, **values):
        """What `model`'s constraints on the given fields say about these values (the model's own
        validation, worded for the end of a problem); each set of values is checked once."""
        key = (model, tuple(sorted(values.items())))
        if key not in self.constraint_messages:
            given = {model._meta.get_field(name).name for name in values}
            exclude = {model_field.name for model_field in model._meta.concrete_fields} - given
            try:
                model(**values).validate_constraints(exclude=exclude)
            except ValidationError as error:
                self.constraint_messages[key] = [_sentence(message) for message in error.messages]
            else:
                self.constraint_messages[key] = []
        return self.constraint_messages[key]

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
        self.source_account(data, path, known)
        return url

    def source_account(self, data, path, known):
        """Whose account the source is: `kind` and `issuer` go together. Left out, a new source is a
        report and a recorded one keeps its account; the rule on the issuer is the model's."""
        kind, issuer = data.get("kind"), data.get("issuer")
        if kind is None and issuer is None:
            return
        if kind is not None and kind not in SourceKind.values:
            return  # the schema reports it
        if issuer is not None:
            issuer = self.country(issuer, _join(path, "issuer"))
            if issuer is None:
                return  # unknown or not a code: reported
        kind = kind or SourceKind.REPORT
        problems = self.constraint_problems(Source, kind=kind, issuer_id=issuer)
        for message in problems:
            self.problem(_join(path, "issuer"), message)
        if not problems:
            self.merge(known, "kind", kind, path)
            self.merge(known, "issuer", issuer or "", path)

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
                f"{_quote(str(value)) if value != '' else 'none'} differs from "
                f"{_quote(str(previous)) if previous != '' else 'none'} given at {previous_path} "
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
        citations = self.citations(data.get("sources"), _join(path, "sources"))
        if not name or country is None:
            return None
        key = (name, country)
        known = self.leaders.get(key)
        if known is None:
            known = self.leaders[key] = LeaderIn(path, self.document, name, country)
        for citation in citations:
            known.citations.setdefault(citation.url, citation)
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
                history_readable = False
                continue
            problem = StatusChange.date_problem(record.date, meeting_date)
            if problem:
                self.problem(_join(entry_path, "date"), problem[0].lower() + problem[1:])
                history_readable = False
                continue
            if problem := StatusChange.party_problem(set(parties), record.party):
                self.problem(_join(entry_path, "party"), _sentence(problem))
            if record.key in seen:
                what = "date and status" if record.party is None else "date, status and party"
                self.problem(entry_path, f"the same {what} as {seen[record.key]}")
                continue
            seen[record.key] = entry_path
            history.append(record)
        self.check_status(path, status, history, history_readable)

        agreement = fulfilled_by = links = None  # what a version cannot say stays as recorded
        if self.number >= 2:
            values["paragraph"] = _text(data, "paragraph")
            agreement = _slug(data, "agreement")
            if agreement:
                self.agreement_references.append((_join(path, "agreement"), agreement, self.document))
        if self.number >= 3:
            fulfilled_by = _slug(data, "fulfilled_by")
            if fulfilled_by:
                self.agreement_references.append((_join(path, "fulfilled_by"), fulfilled_by, self.document))
            links = self.read_links(path, data)
        if not topic or not summary or status not in Status.values:
            return None
        return CommitmentIn(
            path, topic, summary, values, parties, citations, history, agreement, fulfilled_by, links
        )

    def check_status(self, path, status, history, history_readable):
        """A commitment's `status` is that of its latest history entry for all parties."""
        if status not in Status.values:
            return
        shared = [entry for entry in history if entry.party is None]
        entry_for_all = "history entry for all parties" if len(shared) < len(history) else "history entry"
        if shared:
            latest = max(reversed(shared), key=lambda entry: entry.date)  # on one day, the last listed
            if latest.status != status:
                self.problem(
                    _join(path, "status"),
                    f"{_quote(status)} disagrees with the latest {entry_for_all} "
                    f"({latest.date.isoformat()}: {_quote(latest.status)})",
                )
        elif history_readable and status != Status.ANNOUNCED:
            self.problem(
                _join(path, "status"),
                f"{_quote(status)} is what a {entry_for_all} says: give the dated, sourced entry that "
                "shows it",
            )

    def read_history(self, path, data):
        date = self.date(data, "date", path)
        status = data.get("status")
        party, review = None, None
        if self.number >= 3:
            review = data.get("review") is True
            if data.get("party") is not None:
                party = self.country(data["party"], _join(path, "party"))
                if party is None:
                    return None
        url = self.source_reference(data.get("source"), _join(path, "source"))
        if date is None or status not in Status.values or url is None:
            return None
        return HistoryIn(path, date, status, _text(data, "note"), url, party, review)

    def read_links(self, path, data):
        """A commitment's links to earlier commitments, each named once (resolved once every
        commitment of the files is known)."""
        links, seen = [], {}
        items = data.get("links")
        for index, entry in enumerate(items if isinstance(items, list) else []):
            if not isinstance(entry, dict):
                continue
            entry_path = _join(_join(path, "links"), index)
            kind, meeting = entry.get("kind"), _slug(entry, "meeting")
            topic, summary = _text(entry, "topic"), _text(entry, "summary")
            if kind not in LinkKind.values or not meeting or not topic or not summary:
                continue  # the schema reports it
            link = LinkIn(entry_path, kind, meeting, topic, summary, _text(entry, "note"))
            if link.key in seen:
                self.problem(entry_path, f"the same commitment as {seen[link.key]}: link to it once")
                continue
            seen[link.key] = entry_path
            links.append(link)
        return links

    def source_reference(self, source, path):
        """A history entry's or an event's source: the URL of a source given elsewhere in the file or
        already recorded (checked once every source is known), or the source itself."""
        if isinstance(source, dict):
            return self.source_details(source, path)
        url = self.url(source, path)
        if url is not None:
            self.history_urls.append((path, url, self.document))
        return url

    # agreements ----------------------------------------------------------------------------

    def read_agreement(self, path, data):
        values = {
            "date": self.date(data, "date", path),
            "kind": _text(data, "kind"),
            "title": self.required_text(data, "title", path),
            "title_is_translation": data.get("title_is_translation") is True,
            "original_title": _text(data, "original_title"),
            "original_language": _text(data, "original_language"),
            "summary": _text(data, "summary"),
            "binding": data.get("binding"),
            "place": _text(data, "place"),
        }
        listed = data.get("parties")
        parties = self.countries(listed, _join(path, "parties"))
        if isinstance(listed, list):
            distinct = {value.upper() for value in listed if isinstance(value, str)}
            if problem := Agreement.parties_problem(distinct):
                self.problem(_join(path, "parties"), _sentence(problem))
        for message in self.constraint_problems(
            Agreement,
            original_title="title" if values["original_title"] else "",
            original_language="xx" if values["original_language"] else "",
        ):
            self.problem(_join(path, "original_language"), message)
        if values["original_language"]:
            for message in _validator_problems(validate_language_code, values["original_language"]):
                self.problem(_join(path, "original_language"), message)

        relations = {}
        for key in ("supersedes", "amends"):
            relations[key], seen = [], {}
            items = data.get(key)
            for index, value in enumerate(items if isinstance(items, list) else []):
                item_path = _join(_join(path, key), index)
                if not isinstance(value, str) or not re.fullmatch(SLUG_PATTERN, value):
                    continue
                if value in seen:
                    self.problem(item_path, f"{_quote(value)} is listed twice (also at {seen[value]})")
                    continue
                seen[value] = item_path
                relations[key].append((item_path, value))
        citations = self.citations(data.get("sources"), _join(path, "sources"))
        events = self.read_events(path, data, values["date"])
        signatories = self.read_signatories(path, data, values["date"])
        texts = self.read_texts(path, data)
        if not Agreement.parties_problem(parties):
            acting = [(event.path, "party", event.party) for event in events]
            acting += [(signatory.path, "country", signatory.country) for signatory in signatories]
            for entry_path, name, code in acting:
                if problem := Agreement.party_problem(set(parties), code):
                    self.problem(_join(entry_path, name), _sentence(problem))
        if problem := Agreement.date_problem(values["date"]):
            self.problem(_join(path, "date"), _sentence(problem))

        slug = _slug(data, "slug")
        if slug:
            self.agreement_slugs.add(slug)  # so that what names it is not a problem too
        if not slug and values["date"] and len(set(parties)) >= 2 and values["kind"]:
            slug = Agreement.build_slug(values["date"], parties, values["kind"])
        if (
            not slug
            or values["date"] is None
            or values["kind"] not in AgreementKind.values
            or not values["title"]
            or not isinstance(values["binding"], bool)
            or Agreement.parties_problem(parties)
            or len(parties) != len(listed)  # a list, since there are parties
        ):
            return
        self.agreements.append(
            AgreementIn(
                path,
                self.document,
                slug,
                bool(_slug(data, "slug")),
                values,
                parties,
                _slug(data, "meeting"),
                relations["supersedes"],
                relations["amends"],
                citations,
                events,
                signatories,
                texts,
            )
        )

    def read_events(self, path, data, agreed_on):
        """The agreement's events, and its `status` checked against them."""
        events, seen, readable = [], {}, True
        items = data.get("events")
        for index, entry in enumerate(items if isinstance(items, list) else []):
            if not isinstance(entry, dict):
                continue
            entry_path = _join(_join(path, "events"), index)
            date = self.date(entry, "date", entry_path)
            kind = entry.get("kind")
            party = None
            if entry.get("party") is not None:
                party = self.country(entry["party"], _join(entry_path, "party"))
                if party is None:
                    readable = False
                    continue
            url = self.source_reference(entry.get("source"), _join(entry_path, "source"))
            if date is None or kind not in EventKind.values or url is None:
                readable = False
                continue
            event = EventIn(entry_path, date, kind, party, _text(entry, "note"), url)
            problems = _clean_problems(
                AgreementEvent(date=date, kind=kind), agreement=Agreement(date=agreed_on)
            )
            for name, messages in problems.items():
                for message in messages:
                    self.problem(_join(entry_path, name), message)
            if problems:
                readable = False
                continue
            if event.key in seen:
                self.problem(entry_path, f"the same date, kind and party as {seen[event.key]}")
                continue
            seen[event.key] = entry_path
            events.append(event)

        status = data.get("status")
        if status not in AgreementStatus.values:
            return events  # absent, or reported by the schema
        listed = [(event.date, index, event.kind, event) for index, event in enumerate(events)]
        changing = Agreement.latest_changing_event(listed)
        derived = Agreement.derived_status(listed)
        if changing and status != derived:
            latest = changing[3]
            self.problem(
                _join(path, "status"),
                f"{_quote(status)} disagrees with the latest event that changes it "
                f"({latest.date.isoformat()}: {_quote(latest.kind)}, which gives {_quote(str(derived))})",
            )
        elif not changing and readable and status != derived:
            self.problem(
                _join(path, "status"),
                f"{_quote(status)} is what an event says: give the dated, sourced event that shows it",
            )
        return events

    def read_signatories(self, path, data, agreed_on):
        """Each names a leader (by slug, or the leader itself, as a meeting gives one) or a person."""
        signatories, seen = [], {}
        items = data.get("signatories")
        for index, entry in enumerate(items if isinstance(items, list) else []):
            if not isinstance(entry, dict):
                continue
            entry_path = _join(_join(path, "signatories"), index)
            country = self.country(entry.get("country"), _join(entry_path, "country"))
            given, name = entry.get("leader"), _text(entry, "name")
            if isinstance(given, dict):
                leader = self.leader(given, _join(entry_path, "leader"), agreed_on) or ""
            else:
                leader = _slug(entry, "leader")
            for message in self.constraint_problems(
                Signatory, leader_id=-1 if given else None, name="name" if name else ""
            ):
                self.problem(entry_path, message)
            if country is None or not (leader or name) or (given and name):
                continue
            signatory = SignatoryIn(entry_path, country, leader, name, _text(entry, "office"))
            if signatory.key in seen:
                self.problem(entry_path, f"the same signatory as {seen[signatory.key]}")
                continue
            seen[signatory.key] = entry_path
            signatories.append(signatory)
        return signatories

    def read_texts(self, path, data):
        texts, seen = [], {}
        items = data.get("texts")
        for index, entry in enumerate(items if isinstance(items, list) else []):
            if not isinstance(entry, dict):
                continue
            entry_path = _join(_join(path, "texts"), index)
            language = self.required_text(entry, "language", entry_path)
            for message in _validator_problems(validate_language_code, language) if language else []:
                self.problem(_join(entry_path, "language"), message)
                language = ""
            kind = entry.get("kind") or TextKind.PUBLISHED
            url = self.url(entry.get("url"), _join(entry_path, "url"))
            if not language or kind not in TextKind.values or url is None:
                continue
            if url in seen:
                self.problem(_join(entry_path, "url"), f"{_quote(url)} is listed twice (also at {seen[url]})")
                continue
            seen[url] = _join(entry_path, "url")
            texts.append(TextIn(entry_path, language, kind, url, _text(entry, "title")))
        return texts


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
    COMMITMENT_FIELDS = ["detail", "target_date", "target_precision", "level_from", "level_to", "paragraph"]
    LEADER_FIELDS = ["title", "native_name", "took_office", "left_office"]
    SOURCE_FIELDS = ["publisher", "title", "published", "kind", "issuer"]
    # not the status: the events written after the agreement set it
    AGREEMENT_FIELDS = [
        "kind",
        "title",
        "title_is_translation",
        "original_title",
        "original_language",
        "summary",
        "binding",
        "date",
        "place",
    ]

    def __init__(self, reader, dry_run):
        self.reader = reader
        self.report = Report(dry_run=dry_run)
        if reader.agreements:
            self.report.tallies.update({label: Tally() for label in AGREEMENT_LABELS})
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
        """Leaders by name and country; their sources are added to those recorded (never removed:
        a leader is shared by many meetings), after `plan_sources`."""
        leaders = self.reader.leaders
        names = {name for name, _ in leaders}
        existing = {
            (leader.name, leader.country_id): leader
            for leader in _filter_in(Leader.objects.all(), "name", names)
        }
        cited = defaultdict(dict)  # leader id -> {source id: citation}
        for citation in _filter_in(
            LeaderCitation.objects.all(), "leader_id", [leader.pk for leader in existing.values()]
        ):
            cited[citation.leader_id][citation.source_id] = citation
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
                self.add_leader_citations(leader, record.citations.values(), {})
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
                if self.add_leader_citations(leader, record.citations.values(), cited[leader.pk]):
                    changed.append("sources")
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

    def add_leader_citations(self, leader, records, existing):
        """Plan citing the sources of `records` the leader does not cite yet; True if any."""
        changed = False
        for record in records:
            source = self.sources[record.url]
            citation = existing.get(source.pk) if source.pk else None
            if citation is None:
                self.row_adds[LeaderCitation].append(
                    lambda leader=leader, source=source, excerpt=record.excerpt: LeaderCitation(
                        leader_id=leader.pk, source_id=source.pk, excerpt=excerpt
                    )
                )
                changed = True
            elif record.excerpt and citation.excerpt != record.excerpt:
                citation.excerpt = record.excerpt
                self.updates[LeaderCitation].append(citation)
                self.update_fields[LeaderCitation] = ["excerpt"]
                changed = True
        return changed

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
            if "issuer" in values:
                values["issuer_id"] = values.pop("issuer") or None
            if source is None:
                source = Source(
                    url=url,
                    publisher=values.get("publisher", ""),
                    title=values.get("title", ""),
                    published=values.get("published"),
                    kind=values.get("kind", SourceKind.REPORT),
                    issuer_id=values.get("issuer_id"),
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
        self.update_fields[Source] = ["publisher", "title", "published", "kind", "issuer_id", "updated_at"]

    # meetings ------------------------------------------------------------------------------

    def match_meetings(self):
        """Pair each record with a recorded meeting (or None), reporting duplicates and ambiguities."""
        records = self.reader.meetings
        by_slug = {
            meeting.slug: meeting
            for meeting in _filter_in(Meeting.objects.all(), "slug", {r.slug for r in records if r.slug})
        }
        candidates = list(_filter_in(Meeting.objects.all(), "date", {r.values["date"] for r in records}))
        candidate_countries = defaultdict(set)
        through = Meeting.countries.through
        for meeting_id, code in _filter_in(
            through.objects.values_list("meeting_id", "country_id"), "meeting_id", [m.pk for m in candidates]
        ):
            candidate_countries[meeting_id].add(code)
        by_key, by_day = defaultdict(list), defaultdict(list)
        for meeting in candidates:
            by_key[_natural_key(meeting.date, candidate_countries[meeting.pk], meeting.city)].append(meeting)
            by_day[Meeting.day_key(meeting.date, candidate_countries[meeting.pk])].append(meeting)

        # In the file: each slug once (and each day and countries once: `check_same_day`).
        slug_paths = {}
        for record in records:
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
        matched, claimed, ambiguous = [], {}, set()
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
                    ambiguous.add(record.path)
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
        self.check_same_day([(r, m) for r, m in matched if r.path not in ambiguous], by_day)
        self.check_terms(records)
        return matched

    def check_same_day(self, matched, recorded_by_day):
        """Countries' leaders meet once a day: a second meeting of the same day and countries, in the
        file or recorded under another slug, is a duplicate (two records of one meeting)."""
        in_file = {}
        for record, meeting in matched:
            day = Meeting.day_key(record.values["date"], record.countries)
            if day in in_file:
                self.problems.append(
                    Problem(
                        record.path,
                        f"the same day and countries as {in_file[day]}: record a meeting once",
                        record.document,
                    )
                )
                continue
            in_file[day] = record.path
            for other in recorded_by_day.get(day, []):
                if meeting is None or other.pk != meeting.pk:
                    slug = record.slug or "(no slug)"
                    self.problems.append(
                        Problem(
                            record.path,
                            f"{_quote(slug)} has the same day and countries as the recorded meeting "
                            f"{_quote(other.slug)}: record a meeting once (give its slug to update it)",
                            record.document,
                        )
                    )

    def check_terms(self, records):
        """Every leader of a meeting was in office on its day (with the file's terms and the recorded)."""
        for record in records:
            leaders = [  # a term that ends before it starts is reported as such
                leader
                for leader in (self.leaders[key] for key in record.leaders)
                if not (leader.took_office and leader.left_office and leader.left_office < leader.took_office)
            ]
            for problem in Meeting.leaders_out_of_office(leaders, record.values["date"]):
                self.problems.append(
                    Problem(_join(record.path, "leaders"), f"{problem}: not in office then", record.document)
                )

    # agreements: matching and references -------------------------------------------------------

    def match_agreements(self):
        """Pair each agreement record with the recorded agreement of its slug (or None), and check
        every slug the file names: agreements, meetings and leaders, in the file or recorded."""
        records = self.reader.agreements
        slug_paths = {}
        for record in records:
            if record.slug in slug_paths:
                where = _join(record.path, "slug") if record.slug_given else record.path
                message = f"{_quote(record.slug)} is also the slug of {slug_paths[record.slug]}"
                if not record.slug_given:
                    message = (
                        f"the same date, parties and kind as {slug_paths[record.slug]} (slug "
                        f"{_quote(record.slug)}); give each a slug to record them as separate agreements"
                    )
                self.problems.append(Problem(where, message, record.document))
            slug_paths.setdefault(record.slug, record.path)

        references = [
            (path, slug, record.document)
            for record in records
            for path, slug in [*record.supersedes, *record.amends]
        ]
        references += self.reader.agreement_references
        wanted = set(slug_paths) | {slug for _, slug, _ in references}
        self.recorded_agreements = {
            agreement.slug: agreement for agreement in _filter_in(Agreement.objects.all(), "slug", wanted)
        }
        for path, slug, document in references:
            given = slug in slug_paths or slug in self.reader.agreement_slugs
            if not given and slug not in self.recorded_agreements:
                self.problems.append(
                    Problem(
                        path,
                        f"{_quote(slug)} is not an agreement given in the file or already recorded",
                        document,
                    )
                )
        for record in records:
            for path, slug in record.supersedes + record.amends:
                if slug == record.slug:
                    itself = Agreement.relation_problem(record.slug, [slug])
                    self.problems.append(Problem(path, _sentence(itself), record.document))

        in_file = {meeting.slug for meeting in self.reader.meetings if meeting.slug}
        wanted = {record.meeting for record in records if record.meeting and record.meeting not in in_file}
        self.recorded_meetings = {
            meeting.slug: meeting for meeting in _filter_in(Meeting.objects.all(), "slug", wanted)
        }
        for record in records:
            if record.meeting and record.meeting not in in_file | set(self.recorded_meetings):
                self.problems.append(
                    Problem(
                        _join(record.path, "meeting"),
                        f"{_quote(record.meeting)} is not a meeting given in the file or already recorded",
                        record.document,
                    )
                )

        # Signatories: leaders by slug, those of the file's meetings (with the slugs they get) first.
        self.leaders_by_slug = {leader.slug: leader for leader in self.leaders.values()}
        wanted = {
            signatory.leader
            for record in records
            for signatory in record.signatories
            if isinstance(signatory.leader, str) and signatory.leader not in self.leaders_by_slug
        }
        self.leaders_by_slug.update(
            {leader.slug: leader for leader in _filter_in(Leader.objects.all(), "slug", wanted)}
        )
        for record in records:
            for signatory in record.signatories:
                if not signatory.leader:
                    continue
                leader = self.signatory_leader(signatory)
                if leader is None:
                    self.problems.append(
                        Problem(
                            _join(signatory.path, "leader"),
                            f"{_quote(signatory.leader)} is not a leader given in the file or "
                            "already recorded",
                            record.document,
                        )
                    )
                    continue
                problems = _clean_problems(Signatory(country_id=signatory.country), leader=leader)
                for name, messages in problems.items():
                    self.problems.extend(
                        Problem(
                            _join(signatory.path, name),
                            f"{message.rstrip('.')} "
                            f"({_quote(leader.name)} is a leader of {leader.country_id})",
                            record.document,
                        )
                        for message in messages
                    )
        return [(record, self.recorded_agreements.get(record.slug)) for record in records]

    def signatory_leader(self, signatory):
        """The leader a signatory names: given in the file (by name and country), or by slug."""
        if isinstance(signatory.leader, tuple):
            return self.leaders[signatory.leader]
        return self.leaders_by_slug.get(signatory.leader)

    # commitments: matching, history and links ---------------------------------------------------

    def match_commitments(self, matched):
        """Pair each commitment record with the recorded commitment of its meeting, topic and summary
        (or None); check each history with the entries already recorded, and each link."""
        ids = [meeting.pk for _, meeting in matched if meeting is not None]
        recorded = {
            (commitment.meeting_id, commitment.topic_id, commitment.summary): commitment
            for commitment in _filter_in(Commitment.objects.all(), "meeting_id", ids)
        }
        self.commitment_records = []  # (meeting record, commitment record, recorded commitment or None)
        for record, meeting in matched:
            for commitment in record.commitments:
                key = (meeting.pk if meeting else None, commitment.topic, commitment.summary)
                self.commitment_records.append((record, commitment, recorded.get(key)))
        self.recorded_history = defaultdict(list)  # commitment id -> [status change]
        for change in _filter_in(
            StatusChange.objects.all(),
            "commitment_id",
            [existing.pk for _, _, existing in self.commitment_records if existing is not None],
        ):
            self.recorded_history[change.commitment_id].append(change)
        for meeting, commitment, existing in self.commitment_records:
            recorded_history = self.recorded_history[existing.pk] if existing else []
            self.check_history(commitment, recorded_history, meeting.document)
        self.resolve_links(matched)

    def check_history(self, record, recorded, document):
        """The history the import leaves (the file's entries and those recorded, which it keeps)
        follows the model's rules: reviews restate the status before them, and a recorded entry for
        one party still concerns one of the parties."""
        recorded_by_key = {(change.date, change.status, change.party_id): change for change in recorded}
        entries, given = [], set()
        for index, entry in enumerate(record.history):
            change = recorded_by_key.get(entry.key)
            review = entry.review if entry.review is not None else bool(change and change.review)
            # Entries of one day count in the order recorded; new ones after those, in the file's order.
            order = (0, change.pk) if change else (1, index)
            entries.append((entry.date, order, entry.status, entry.party, review))
            if change:
                given.add(change.pk)
        kept = [change for change in recorded if change.pk not in given]
        entries += [(c.date, (0, c.pk), c.status, c.party_id, c.review) for c in kept]
        for index, message in sorted(StatusChange.history_problems(entries).items()):
            if index < len(record.history):
                where, message = _join(record.history[index].path, "review"), _sentence(message)
            else:
                change = kept[index - len(record.history)]
                where = _join(record.path, "history")
                message = (
                    f"the recorded entry of {change.date.isoformat()} ({change.status}): {_sentence(message)}"
                )
            self.problems.append(Problem(where, message, document))
        for change in kept:
            if problem := StatusChange.party_problem(set(record.parties), change.party_id):
                self.problems.append(
                    Problem(
                        _join(record.path, "parties"),
                        f"{_sentence(problem).rstrip('.')}, which the recorded history entry of "
                        f"{change.date.isoformat()} concerns",
                        document,
                    )
                )

    def resolve_links(self, matched):
        """Find the earlier commitment each link names: in the files (whose meetings give their
        slugs or match recorded ones) or already recorded; it was agreed on an earlier day."""
        linking = [
            (record, commitment) for record, commitment, _ in self.commitment_records if commitment.links
        ]
        self.link_targets = {}  # id(link) -> commitment record, or the id of a recorded commitment
        if not linking:
            return
        meeting_dates, in_files = {}, {}
        for record, meeting in matched:
            slug = record.slug or (meeting.slug if meeting else "")
            if slug:
                meeting_dates[slug] = record.values["date"]
                for commitment in record.commitments:
                    in_files[(slug, commitment.topic, commitment.summary)] = (
                        commitment,
                        record.values["date"],
                    )
        wanted = {
            link.meeting for _, commitment in linking for link in commitment.links if link.key not in in_files
        }
        recorded = {}
        for pk, slug, topic, summary, agreed_on in _filter_in(
            Commitment.objects.values_list("pk", "meeting__slug", "topic_id", "summary", "meeting_date"),
            "meeting__slug",
            wanted,
        ):
            # a recorded meeting the files give takes the files' date
            recorded[(slug, topic, summary)] = (pk, meeting_dates.get(slug, agreed_on))
        itself = {
            id(commitment): existing.pk for _, commitment, existing in self.commitment_records if existing
        }
        for record, commitment in linking:
            agreed_on = record.values["date"]
            for link in commitment.links:
                target, earlier_agreed_on = in_files.get(link.key) or recorded.get(link.key) or (None, None)
                if target is None:
                    self.problems.append(
                        Problem(
                            link.path,
                            f"{_quote(link.summary)} ({link.topic}, at meeting {_quote(link.meeting)}) is "
                            "not a commitment given in the file or already recorded",
                            record.document,
                        )
                    )
                elif target is commitment or target == itself.get(id(commitment)):
                    message = self.reader.constraint_problems(CommitmentLink, commitment_id=1, earlier_id=1)
                    self.problems.extend(Problem(link.path, text, record.document) for text in message)
                elif problem := CommitmentLink.order_problem(agreed_on, earlier_agreed_on):
                    self.problems.append(Problem(link.path, _sentence(problem), record.document))
                else:
                    self.link_targets[id(link)] = target

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

    # agreements ----------------------------------------------------------------------------

    def plan_agreements(self, matched):
        ids = [agreement.pk for _, agreement in matched if agreement is not None]
        parties_through = Agreement.parties.through
        party_rows = defaultdict(dict)
        for row_id, agreement_id, code in _filter_in(
            parties_through.objects.values_list("id", "agreement_id", "country_id"), "agreement_id", ids
        ):
            party_rows[agreement_id][code] = row_id
        relation_rows = {}
        for name in ("supersedes", "amends"):
            through = getattr(Agreement, name).through
            relation_rows[name] = defaultdict(dict)
            for row_id, from_id, to_id in _filter_in(
                through.objects.values_list("id", "from_agreement_id", "to_agreement_id"),
                "from_agreement_id",
                ids,
            ):
                relation_rows[name][from_id][to_id] = row_id
        citations = defaultdict(dict)
        for citation in _filter_in(AgreementCitation.objects.all(), "agreement_id", ids):
            citations[citation.agreement_id][citation.source_id] = citation
        events = defaultdict(dict)
        for event in _filter_in(AgreementEvent.objects.all(), "agreement_id", ids):
            events[event.agreement_id][(event.date, event.kind, event.party_id)] = event
        signatories = defaultdict(dict)
        for signatory in _filter_in(Signatory.objects.all(), "agreement_id", ids):
            key = ("leader", signatory.leader_id) if signatory.leader_id else ("name", signatory.name)
            signatories[signatory.agreement_id][(signatory.country_id, *key)] = signatory
        texts = defaultdict(dict)
        for text in _filter_in(AgreementText.objects.all(), "agreement_id", ids):
            texts[text.agreement_id][text.url] = text

        meetings = {meeting.slug: meeting for _, meeting in self.meetings}
        meetings.update(self.recorded_meetings)
        self.agreements = {
            record.slug: agreement or Agreement(slug=record.slug) for record, agreement in matched
        }
        self.agreements_by_slug = {**self.recorded_agreements, **self.agreements}
        self.agreement_meetings = []  # (agreement, meeting): meeting_id is set once the meeting is saved

        def key(obj):
            return obj.pk if obj.pk is not None else id(obj)

        for record, existing in matched:
            agreement = self.agreements[record.slug]
            meeting = meetings[record.meeting] if record.meeting else None
            if existing is None:
                for name, value in record.values.items():
                    setattr(agreement, name, value)
                self.creates[Agreement].append(agreement)
                changed = []
            else:
                changed = [
                    name for name in self.AGREEMENT_FIELDS if getattr(agreement, name) != record.values[name]
                ]
                for name in self.AGREEMENT_FIELDS:
                    setattr(agreement, name, record.values[name])
                if agreement.meeting_id != (meeting.pk if meeting else None) or (
                    meeting and meeting.pk is None
                ):
                    changed.append("meeting")
            self.agreement_meetings.append((agreement, meeting))

            if self.diff_rows(
                parties_through,
                party_rows[agreement.pk] if existing else {},
                {code: code for code in record.parties},
                lambda code, agreement=agreement: parties_through(agreement_id=agreement.pk, country_id=code),
            ):
                changed.append("parties")
            for name in ("supersedes", "amends"):
                through = getattr(Agreement, name).through
                targets = [self.agreements_by_slug[slug] for _, slug in getattr(record, name)]
                if self.diff_rows(
                    through,
                    relation_rows[name][agreement.pk] if existing else {},
                    {key(target): target for target in targets},
                    lambda target, agreement=agreement, through=through: through(
                        from_agreement_id=agreement.pk, to_agreement_id=target.pk
                    ),
                ):
                    changed.append(name)
            if self.diff_citations(
                AgreementCitation,
                citations[agreement.pk] if existing else {},
                record.citations,
                lambda source, excerpt, agreement=agreement: AgreementCitation(
                    agreement_id=agreement.pk, source_id=source.pk, excerpt=excerpt
                ),
            ):
                changed.append("sources")
            if self.diff_signatories(agreement, signatories[agreement.pk] if existing else {}, record):
                changed.append("signatories")
            if self.diff_texts(agreement, texts[agreement.pk] if existing else {}, record):
                changed.append("texts")
            if self.plan_events(agreement, events[agreement.pk] if existing else {}, record.events):
                changed.append("events")

            if existing is None:
                self.tally("agreements", "created")
                self.report.changes.append(
                    Change("created", agreement.slug, agreement.title, record="agreement")
                )
                if not record.events:
                    self.tally("agreement events", "created")  # signed or adopted, by complete()
            elif changed:
                agreement.updated_at = self.now
                self.updates[Agreement].append(agreement)
                self.tally("agreements", "updated")
                self.report.changes.append(
                    Change("updated", agreement.slug, agreement.title, changed, record="agreement")
                )
            else:
                self.tally("agreements", "unchanged")
        self.update_fields[Agreement] = [*self.AGREEMENT_FIELDS, "meeting", "updated_at"]

    def diff_children(self, model, existing, desired, fields):
        """Like `diff_rows`, for rows with fields of their own: `desired` maps each key to a
        callable building the row; a row kept whose `fields` differ is updated."""
        changed = False
        for key, row in existing.items():
            if key not in desired:
                self.row_deletes[model].append(row.pk)
                changed = True
        for key, build in desired.items():
            row = existing.get(key)
            if row is None:
                self.row_adds[model].append(build)
                changed = True
                continue
            wanted = build()
            if any(getattr(row, name) != getattr(wanted, name) for name in fields):
                for name in fields:
                    setattr(row, name, getattr(wanted, name))
                self.updates[model].append(row)
                self.update_fields[model] = fields
                changed = True
        return changed

    def diff_signatories(self, agreement, existing, record):
        desired = {}
        for signatory in record.signatories:
            leader = self.signatory_leader(signatory) if signatory.leader else None
            key = (
                (signatory.country, "leader", leader.pk if leader.pk is not None else id(leader))
                if leader
                else (signatory.country, "name", signatory.name)
            )
            desired[key] = lambda signatory=signatory, leader=leader: Signatory(
                agreement_id=agreement.pk,
                country_id=signatory.country,
                leader_id=leader.pk if leader else None,
                name=signatory.name,
                office=signatory.office,
            )
        return self.diff_children(Signatory, existing, desired, ["office"])

    def diff_texts(self, agreement, existing, record):
        desired = {
            text.url: lambda text=text: AgreementText(
                agreement_id=agreement.pk,
                language=text.language,
                kind=text.kind,
                url=text.url,
                title=text.title,
            )
            for text in record.texts
        }
        return self.diff_children(AgreementText, existing, desired, ["language", "kind", "title"])

    def plan_events(self, agreement, existing, records):
        """Events are matched by date, kind and party, added or updated, never deleted (as status changes)."""
        changed = False
        for record in records:
            source = self.sources[record.url]
            event = existing.get(record.key)
            if event is None:
                self.row_adds[AgreementEvent].append(
                    lambda record=record, source=source, agreement=agreement: AgreementEvent(
                        agreement_id=agreement.pk,
                        date=record.date,
                        kind=record.kind,
                        party_id=record.party,
                        note=record.note,
                        source_id=source.pk,
                    )
                )
                self.tally("agreement events", "created")
                changed = True
            elif event.note != record.note or event.source_id != source.pk:
                event.note = record.note
                event.source = source
                self.updates[AgreementEvent].append(event)
                self.update_fields[AgreementEvent] = ["note", "source"]
                self.tally("agreement events", "updated")
                changed = True
            else:
                self.tally("agreement events", "unchanged")
        return changed

    # commitments ---------------------------------------------------------------------------

    def plan_commitments(self):
        meetings = {id(record): meeting for record, meeting in self.meetings}
        pairs = [
            (record, meetings[id(meeting_record)], existing)
            for meeting_record, record, existing in self.commitment_records
        ]
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
        links = defaultdict(dict)  # commitment id -> {earlier commitment id: link}
        if any(record.links is not None for record, _, _ in pairs):
            for link in _filter_in(CommitmentLink.objects.all(), "commitment_id", ids):
                links[link.commitment_id][link.earlier_id] = link
        commitments = {
            id(record): existing or Commitment(topic_id=record.topic, summary=record.summary)
            for record, _, existing in pairs
        }

        # (commitment, field, agreement): the agreement's id is set once it is saved
        self.commitment_agreements = []
        for record, meeting, existing in pairs:
            commitment = commitments[id(record)]
            if existing is None:
                commitment.meeting = meeting
                for name, value in record.values.items():
                    setattr(commitment, name, value)
                self.creates[Commitment].append(commitment)
                changed = True
            else:
                changed = False
                for name in self.COMMITMENT_FIELDS:
                    if name in record.values and getattr(commitment, name) != record.values[name]:
                        setattr(commitment, name, record.values[name])
                        changed = True
            # What a version cannot say (None) stays as recorded.
            for name in ("agreement", "fulfilled_by"):
                slug = getattr(record, name)
                if slug is None:
                    continue
                agreement = self.agreements_by_slug[slug] if slug else None
                if getattr(commitment, f"{name}_id") != (agreement.pk if agreement else None) or (
                    agreement is not None and agreement.pk is None
                ):
                    changed = True
                self.commitment_agreements.append((commitment, name, agreement))
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
            if record.links is not None and self.diff_links(
                commitment, links[commitment.pk] if existing else {}, record.links, commitments
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
            self.plan_history(
                commitment, self.recorded_history[commitment.pk] if existing else [], record.history
            )
            if existing is None and not record.history:
                self.tally("status changes", "created")  # announced, by complete_from_meetings()
        self.update_fields[Commitment] = [*self.COMMITMENT_FIELDS, "agreement", "fulfilled_by", "updated_at"]

    def diff_links(self, commitment, existing, records, commitments):
        """Plan the commitment's links (`existing`: earlier commitment id -> link) to become the
        file's; a link's target is a commitment of the files or the id of a recorded one."""
        desired = {}
        for record in records:
            target = self.link_targets[id(record)]
            earlier = target if isinstance(target, int) else commitments[id(target)]
            key = earlier if isinstance(earlier, int) else earlier.pk or id(earlier)
            desired[key] = lambda record=record, earlier=earlier: CommitmentLink(
                commitment_id=commitment.pk,
                earlier_id=earlier if isinstance(earlier, int) else earlier.pk,
                kind=record.kind,
                note=record.note,
            )
        return self.diff_children(CommitmentLink, existing, desired, ["kind", "note"])

    def plan_history(self, commitment, recorded, records):
        existing = {(change.date, change.status, change.party_id): change for change in recorded}
        for record in records:
            source = self.sources[record.url]
            change = existing.get(record.key)
            if change is None:
                self.row_adds[StatusChange].append(
                    lambda record=record, source=source, commitment=commitment: StatusChange(
                        commitment_id=commitment.pk,
                        date=record.date,
                        status=record.status,
                        party_id=record.party,
                        review=bool(record.review),
                        note=record.note,
                        source_id=source.pk,
                    )
                )
                self.tally("status changes", "created")
                continue
            review = change.review if record.review is None else record.review
            if (change.note, change.source_id, change.review) != (record.note, source.pk, review):
                change.note = record.note
                change.source = source
                change.review = review
                self.updates[StatusChange].append(change)
                self.update_fields[StatusChange] = ["note", "source", "review"]
                self.tally("status changes", "updated")
            else:
                self.tally("status changes", "unchanged")

    # write ---------------------------------------------------------------------------------

    def write(self):
        """Apply the plan: parents before children, deletes of rows before their replacements."""
        self.save(Leader)
        self.save(Source)
        self.add_rows(LeaderCitation)
        self.save(LeaderCitation)
        self.save(Meeting)
        meeting_rows = (Meeting.countries.through, Meeting.leaders.through, MeetingCitation)
        for model in meeting_rows:
            self.delete_rows(model)
        for model in meeting_rows:
            self.add_rows(model)
        self.save(MeetingCitation)
        self.write_agreements()
        for commitment in self.creates[Commitment]:
            commitment.meeting_id = commitment.meeting.pk
        for commitment, name, agreement in self.commitment_agreements:
            setattr(commitment, f"{name}_id", agreement.pk if agreement else None)
        self.save(Commitment)
        commitment_rows = (Commitment.parties.through, CommitmentCitation, CommitmentLink)
        for model in commitment_rows:
            self.delete_rows(model)
        for model in (*commitment_rows, StatusChange):
            self.add_rows(model)
        for model in (CommitmentCitation, CommitmentLink, StatusChange):
            self.save(model)
        created = [commitment.pk for commitment in self.creates[Commitment]]
        announced = Commitment.objects.filter(pk__in=created).complete_from_meetings()
        self.report.written[StatusChange][0].extend(announced)

    def write_agreements(self):
        """Agreements, after the meetings they name; their rows; a first event where a new one has none."""
        for agreement, meeting in self.agreement_meetings:
            agreement.meeting_id = meeting.pk if meeting else None
        self.save(Agreement)
        rows = (
            Agreement.parties.through,
            Agreement.supersedes.through,
            Agreement.amends.through,
            AgreementCitation,
            Signatory,
            AgreementText,
        )
        for model in rows:
            self.delete_rows(model)
        for model in (*rows, AgreementEvent):
            self.add_rows(model)
        for model in (AgreementCitation, Signatory, AgreementText, AgreementEvent):
            self.save(model)
        created = [agreement.pk for agreement in self.creates[Agreement]]
        completed = Agreement.objects.filter(pk__in=created).complete()
        self.report.written[AgreementEvent][0].extend(completed)

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


IMPORT_LOCK = 0x6167726565  # PostgreSQL advisory lock key: "agree"


def one_import_at_a_time():
    """Wait for any other import to end, so that each reads the record as the last one left it.

    PostgreSQL: an advisory lock held until the transaction ends. SQLite: its transactions
    begin IMMEDIATE (settings), which already lets one writer in at a time."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def import_documents(documents, *, dry_run=False, progress=None, may_delete=None):
    """Check and import parsed documents as one; return a `Report`, or raise `ImportFailed`.

    `progress(iterable, description)`, if given, wraps the per-meeting loop (for a progress bar).
    `may_delete(model)`, if given, says whether rows of `model` may be deleted (an editor's
    permissions): an import that would delete others is refused.
    """
    try:
        with transaction.atomic():
            one_import_at_a_time()
            reader = _Reader(documents, progress).read()
            plan = _Plan(reader, dry_run)
            plan.plan_sources()
            plan.plan_leaders()
            matched = plan.match_meetings()
            matched_agreements = plan.match_agreements()
            plan.match_commitments(matched)
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
            plan.plan_agreements(matched_agreements)
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
