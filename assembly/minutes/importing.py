"""Years of past minutes, brought into the archive from files (`assembly import-minutes`).

Each Markdown or plain-text file becomes a closed meeting of the organisation with one version of
minutes, approved through the route `imported` and sealed into the hash chain like any approval.
The file's name within the folder is the key (unique per organisation in the database), so a
second run adds nothing; a file whose bytes changed since it came in is reported, never imported
twice or overwritten. Plain functions; the caller commits.

Title and date: from front matter (`---`, `title: ...`, `date: 2023-05-12`, `---`; Spanish keys
too), otherwise the title is the first non-empty line (without its leading `#`) and the date comes
from the file's name (`2023-05-12-asamblea.md`) or else the first lines ("12 de mayo de 2023",
"12/05/2023", "2023-05-12"). A file without a date it can read is skipped, and said so.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assembly.extensions import db
from assembly.meetings.models import Meeting, MeetingKind, MeetingStatus
from assembly.meetings.service import PLACE_MAX, TITLE_MAX, from_local
from assembly.minutes import service
from assembly.minutes.models import Minutes, MinutesVersion
from assembly.organisations.models import Organisation

SUFFIXES = {".md", ".markdown", ".txt"}
NAME_MAX = 500  # Minutes.imported_from
DATE_LINES = 10  # non-empty lines searched for a date when neither front matter nor name has one
# No hour is known for most old minutes: midday keeps the date the same in any nearby time zone.
DEFAULT_TIME = time(12, 0)
DURATION = timedelta(hours=2)

_KEYS = {
    "title": "title",
    "titulo": "title",
    "título": "title",
    "date": "date",
    "fecha": "date",
    "time": "time",
    "hora": "time",
    "place": "place",
    "lugar": "place",
}
_MONTHS = {
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
}
# (pattern, order of the groups as year, month, day)
_DATES = [
    (re.compile(r"(?<!\d)(\d{4})[-_./](\d{1,2})[-_./](\d{1,2})(?!\d)"), (1, 2, 3)),
    (re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)"), (3, 2, 1)),  # day first
    (
        re.compile(
            r"(?<!\w)(\d{1,2})(?:\s*[º°]|ro|ero)?\s+de\s+("
            + "|".join(_MONTHS)
            + r")(?:\s+|\s*,\s*)(?:(?:de|del)\s+)?(\d{4})(?!\d)",
            re.IGNORECASE,
        ),
        (3, 2, 1),
    ),
]
_COMPACT = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")  # 20230512, in file names only
_TIME = re.compile(r"^(\d{1,2})\s*(?:[:.h]\s*(\d{2}))?\s*(?:h|hs|horas)?\.?$", re.IGNORECASE)


class Outcome(StrEnum):
    IMPORTED = "imported"
    ALREADY = "already there"
    CHANGED = "changed since imported"
    SKIPPED = "skipped"


@dataclass
class FileResult:
    name: str  # the file's path within the imported folder
    outcome: Outcome
    message: str = ""
    meeting_id: int | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in (Outcome.SKIPPED, Outcome.CHANGED)


@dataclass
class ParsedMinutes:
    title: str
    day: date
    at: time
    place: str
    text: str


class NotImportable(Exception):
    """The file cannot become minutes; the message says why, for the operator."""


# --- reading a file ------------------------------------------------------------------------------


def minutes_files(directory: Path) -> list[Path]:
    """Markdown and text files under the folder, subfolders included, hidden ones left out."""
    found = []
    for path in directory.rglob("*"):
        parts = path.relative_to(directory).parts
        if any(part.startswith(".") for part in parts):
            continue
        if path.suffix.lower() in SUFFIXES and path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def decode(raw: bytes) -> str:
    """UTF-8 (with or without a byte-order mark); old files in Windows-1252 or Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # never fails


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """({key: value}, the text after it) for a `---` block of `key: value` lines at the top."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, min(len(lines), 60)):
        if lines[end].strip() in ("---", "..."):
            fields = {}
            for line in lines[1:end]:
                key, colon, value = line.partition(":")
                key = key.strip().lower()
                if colon and key and not key.startswith("#"):
                    fields[_KEYS.get(key, key)] = _unquote(value)
            return fields, "\n".join(lines[end + 1 :])
    return {}, text  # no closing line: not front matter


def find_date(text: str, *, compact: bool = False) -> date | None:
    """The first date written in the text that is a real day."""
    found = []
    patterns = list(_DATES) + ([(_COMPACT, (1, 2, 3))] if compact else [])
    for pattern, (y, m, d) in patterns:
        for match in pattern.finditer(text):
            month = match.group(m)
            month = _MONTHS.get(month.lower()) if not month.isdigit() else int(month)
            try:
                day = date(int(match.group(y)), month, int(match.group(d)))
            except (TypeError, ValueError):
                continue
            if 1800 <= day.year <= 2200:
                found.append((match.start(), day))
    return min(found)[1] if found else None


def _parse_time(value: str) -> time:
    match = _TIME.match(value.strip())
    if match:
        try:
            return time(int(match.group(1)), int(match.group(2) or 0))
        except ValueError:
            pass
    raise NotImportable(f"its time {value!r} is not a time of day (write it as 18:30)")


def _title_line(text: str) -> str:
    for line in text.split("\n"):
        title = line.strip().strip("#").strip()
        if title:
            return title
    return ""


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse(name: str, raw: bytes) -> ParsedMinutes:
    """The minutes in one file, or NotImportable saying why not."""
    text = decode(raw).replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise NotImportable("it is not a text file")
    fields, body = split_front_matter(text)
    body = body.strip()
    if not body:
        raise NotImportable("it has no text")
    if len(body) > service.TEXT_MAX:
        raise NotImportable(f"it is longer than {service.TEXT_MAX:,} characters")
    if fields.get("date"):
        day = find_date(fields["date"])
        if day is None:
            raise NotImportable(
                f"its date {fields['date']!r} is not a date (write it as 2023-05-12)"
            )
    else:
        day = find_date(Path(name).stem, compact=True)
        if day is None:
            first_lines = [line for line in body.split("\n") if line.strip()][:DATE_LINES]
            day = find_date("\n".join(first_lines))
    if day is None:
        raise NotImportable(
            "no date found: give it front matter (date: 2023-05-12), a date in its name "
            "(2023-05-12-asamblea.md) or in its first lines (12 de mayo de 2023)"
        )
    title = fields.get("title") or _title_line(body) or Path(name).stem
    at = _parse_time(fields["time"]) if fields.get("time") else DEFAULT_TIME
    return ParsedMinutes(
        title=_shorten(title, TITLE_MAX),
        day=day,
        at=at,
        place=_shorten(fields.get("place", ""), PLACE_MAX),
        text=body + "\n",
    )


# --- into the archive ----------------------------------------------------------------------------


def imported_minutes(organisation: Organisation, name: str) -> Minutes | None:
    return db.session.scalar(
        select(Minutes).where(
            Minutes.organisation_id == organisation.id, Minutes.imported_from == name
        )
    )


def _kind(organisation: Organisation, title: str) -> MeetingKind:
    if organisation.is_network:
        return MeetingKind.PLENARY
    if "extraordinari" in title.lower():
        return MeetingKind.EXTRAORDINARY
    return MeetingKind.ORDINARY


def add_historical_minutes(
    organisation: Organisation, name: str, sha256: str, parsed: ParsedMinutes
) -> Minutes:
    """A closed meeting with these minutes, approved as imported and sealed into the chain."""
    starts = from_local(parsed.day, parsed.at)
    meeting = Meeting(
        organisation_id=organisation.id,
        organisation=organisation,
        kind=_kind(organisation, parsed.title),
        title=parsed.title,
        starts_at=starts,
        planned_end_at=starts + DURATION,
        place=parsed.place,
        status=MeetingStatus.CLOSED,
        projector_token=secrets.token_urlsafe(24),
        version=0,
    )
    db.session.add(meeting)
    db.session.flush()
    minutes = Minutes(
        meeting_id=meeting.id,
        organisation_id=organisation.id,
        imported_from=name,
        imported_sha256=sha256,
    )
    minutes.versions.append(
        MinutesVersion(
            number=1,
            text=parsed.text,
            author_id=None,
            reason=_shorten(f"Acta histórica importada del archivo «{name}»", service.REASON_MAX),
        )
    )
    db.session.add(minutes)
    db.session.flush()
    service.approve_imported(minutes)
    return minutes


def import_file(organisation: Organisation, directory: Path, path: Path) -> FileResult:
    name = path.relative_to(directory).as_posix()
    if len(name) > NAME_MAX:
        return FileResult(name, Outcome.SKIPPED, f"its name is longer than {NAME_MAX} characters")
    try:
        raw = path.read_bytes()
    except OSError as error:
        return FileResult(name, Outcome.SKIPPED, f"could not be read ({error.strerror})")
    sha256 = hashlib.sha256(raw).hexdigest()
    existing = imported_minutes(organisation, name)
    if existing is not None:
        if existing.imported_sha256 == sha256:
            return FileResult(name, Outcome.ALREADY, meeting_id=existing.meeting_id)
        return FileResult(
            name,
            Outcome.CHANGED,
            "it changed since it was imported; the archive keeps the text as imported "
            "(correct the minutes in the app, with a reason, if the change should count)",
            meeting_id=existing.meeting_id,
        )
    try:
        parsed = parse(name, raw)
    except NotImportable as why:
        return FileResult(name, Outcome.SKIPPED, str(why))
    try:
        with db.session.begin_nested():
            minutes = add_historical_minutes(organisation, name, sha256, parsed)
    except IntegrityError:  # another import of the same folder got there first
        return FileResult(name, Outcome.ALREADY)
    return FileResult(name, Outcome.IMPORTED, meeting_id=minutes.meeting_id)


def import_directory(organisation: Organisation, directory: Path) -> list[FileResult]:
    """Every minutes file under the folder, in the order of their names."""
    return [import_file(organisation, directory, path) for path in minutes_files(directory)]
