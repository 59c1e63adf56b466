"""Preparing meetings: the meeting itself, its agenda, proposals, templates, series and the
notice that convenes it. Plain functions; callers commit.

Times are naive UTC in the database (see assembly/core/clock.py); people enter and read them in
the organisation's local time, America/Argentina/Buenos_Aires (the app's default time zone).
"""

from __future__ import annotations

import calendar
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import force_locale, format_date, format_time, gettext, lazy_gettext
from sqlalchemy import delete, func, select, update

from assembly.accounts.models import User
from assembly.core import signals
from assembly.core.clock import utcnow
from assembly.core.errors import Conflict, DomainError
from assembly.core.i18n import normalise
from assembly.core.mail import deliver
from assembly.core.urls import absolute_url
from assembly.extensions import db
from assembly.meetings.agenda_templates import (
    BUILTIN_PREFIX,
    BUILTIN_TEMPLATES,
    SAVED_PREFIX,
    expand,
)
from assembly.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    AgendaItemState,
    AgendaTemplate,
    Meeting,
    MeetingKind,
    MeetingSeries,
    MeetingStatus,
    Notification,
    RecurrenceUnit,
    SpeakerPolicy,
)
from assembly.organisations.models import Organisation
from assembly.organisations.service import delegates, directory, network_members
from assembly.permissions import is_delegate

LOCAL_TIMEZONE = "America/Argentina/Buenos_Aires"
MEETING_CONVENED = "meeting_convened"

TITLE_MAX = 160
ITEM_TITLE_MAX = 200
PLACE_MAX = 200
LINK_MAX = 500
DESCRIPTION_MAX = 5000
ITEM_MINUTES_MAX = 600
SPEAKING_LIMIT_MIN = 10
SPEAKING_LIMIT_MAX = 3600
SERIES_AHEAD_MAX = 12
SERIES_EVERY_MAX = 52
# A series never looks further than this many occurrences for the next free date.
_SERIES_SEARCH_LIMIT = 5000


# --- errors ----------------------------------------------------------------------------------


class MeetingClosed(Conflict):
    code = "meeting_closed"

    def default_message(self):
        return lazy_gettext("This meeting is closed: its agenda can no longer be changed.")


class MeetingNotEditable(Conflict):
    code = "meeting_not_editable"

    def default_message(self):
        return lazy_gettext("This meeting has already started: its details can no longer change.")


class AlreadyConvened(Conflict):
    code = "already_convened"

    def default_message(self):
        return lazy_gettext("This meeting has already been convened.")


class NoPlace(DomainError):
    code = "no_place"

    def default_message(self):
        return lazy_gettext(
            "Say where the meeting is held (a place or an online link) before convening it."
        )


class EndBeforeStart(DomainError):
    code = "end_before_start"

    def default_message(self):
        return lazy_gettext("The planned end must be after the start.")


class PlenaryOnlyForNetworks(DomainError):
    code = "plenary_only_for_networks"

    def default_message(self):
        return lazy_gettext("Only a network holds network plenaries.")


class NotAMember(DomainError):
    code = "not_a_member"

    def default_message(self):
        return lazy_gettext("Choose an active member of the organisation.")


class BadLink(DomainError):
    code = "bad_link"

    def default_message(self):
        return lazy_gettext("Enter a link that starts with http:// or https://.")


class BadValue(DomainError):
    code = "bad_value"

    def default_message(self):
        return lazy_gettext("One of the values is out of range.")


class InvalidParent(DomainError):
    code = "invalid_parent"

    def default_message(self):
        return lazy_gettext("A sub-item can only go under a top-level item of the same agenda.")


class HasSubItems(DomainError):
    code = "has_sub_items"

    def default_message(self):
        return lazy_gettext("An item with sub-items cannot become a sub-item itself.")


class InvalidOrder(DomainError):
    code = "invalid_order"

    def default_message(self):
        return lazy_gettext(
            "The new order must list every item of that part of the agenda exactly once."
        )


class BadPayload(DomainError):
    code = "bad_request"

    def default_message(self):
        return lazy_gettext('Send the new order as JSON: {"parent": null, "order": [ids]}.')


class NotAProposal(Conflict):
    code = "not_a_proposal"

    def default_message(self):
        return lazy_gettext("This proposal has already been dealt with.")


class ProposalsClosed(Conflict):
    code = "proposals_closed"

    def default_message(self):
        return lazy_gettext("Items can only be proposed before the meeting starts.")


class UnknownTemplate(DomainError):
    code = "unknown_template"
    status = 404

    def default_message(self):
        return lazy_gettext("This agenda template does not exist.")


class NothingToCopy(DomainError):
    code = "nothing_to_copy"

    def default_message(self):
        return lazy_gettext("That meeting has no agenda to copy.")


class EmptyAgenda(DomainError):
    code = "empty_agenda"

    def default_message(self):
        return lazy_gettext("The agenda is empty: add items before saving it as a template.")


class CannotDelete(Conflict):
    code = "cannot_delete"

    def default_message(self):
        return lazy_gettext("Only a meeting that has not been convened can be deleted.")


class SeriesMeeting(Conflict):
    code = "series_meeting"

    def default_message(self):
        return lazy_gettext(
            "This meeting belongs to a series: change its date, or end the series, instead."
        )


class InvalidSeries(DomainError):
    code = "invalid_series"

    def default_message(self):
        return lazy_gettext("The series must end after its first meeting.")


# --- time ------------------------------------------------------------------------------------


def local_zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or LOCAL_TIMEZONE)


def from_local(day: date, at: time) -> datetime:
    """A local date and time, as naive UTC for the database."""
    aware = datetime.combine(day, at.replace(tzinfo=None), tzinfo=local_zone())
    return aware.astimezone(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """Naive UTC from the database, as an aware local time."""
    return moment.replace(tzinfo=UTC).astimezone(local_zone())


def end_of_local_day(day: date) -> datetime:
    return from_local(day, time(23, 59, 59))


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months: Jan 31 + 1 month is Feb 28 (or 29), not March."""
    year, month_index = divmod(moment.month - 1 + months, 12)
    year += moment.year
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# --- people ----------------------------------------------------------------------------------


def members(organisation: Organisation) -> list[User]:
    """Active members, who may facilitate, take the minutes or present."""
    return [m.user for m in directory(organisation) if m.user.active]


def presenter_candidates(organisation: Organisation) -> list[User]:
    """Members, and in a network also the member organisations' delegates."""
    people = {user.id: user for user in members(organisation)}
    if organisation.is_network:
        for link in network_members(organisation):
            for delegate in delegates(link):
                if delegate.user.active:
                    people.setdefault(delegate.user_id, delegate.user)
    return sorted(people.values(), key=lambda u: u.display_name.lower())


def recipients(meeting: Meeting) -> list[User]:
    """Everyone a convened meeting is announced to: members, and a network's delegates."""
    people = presenter_candidates(meeting.organisation)
    if meeting.organisation.is_network:
        # Only delegates of organisations still in the network, who still belong to them.
        member_ids = {u.id for u in members(meeting.organisation)}
        people = [
            u for u in people if u.id in member_ids or is_delegate(u.id, meeting.organisation_id)
        ]
    return people


def _check_person(organisation: Organisation, user_id: int | None, *, delegates_too=False):
    if user_id is None:
        return
    people = presenter_candidates(organisation) if delegates_too else members(organisation)
    if user_id not in {u.id for u in people}:
        raise NotAMember()


# --- meetings --------------------------------------------------------------------------------


def meeting_kinds(organisation: Organisation) -> list[MeetingKind]:
    return [k for k in MeetingKind if k != MeetingKind.PLENARY or organisation.is_network]


def check_link(link: str) -> None:
    if not link:
        return
    try:
        parts = urlsplit(link)
    except ValueError:  # e.g. a broken IPv6 address
        raise BadLink() from None
    if (
        parts.scheme not in {"http", "https"}
        or not parts.netloc
        or any(c.isspace() or ord(c) < 32 for c in link)
        or len(link) > LINK_MAX
    ):
        raise BadLink()


def _check_meeting(
    organisation: Organisation,
    *,
    title: str,
    kind: MeetingKind,
    starts_at: datetime,
    planned_end_at: datetime,
    place: str,
    online_link: str,
    facilitator_id: int | None,
    secretary_id: int | None,
    speaking_limit_seconds: int,
) -> None:
    if not title or len(title) > TITLE_MAX or len(place) > PLACE_MAX:
        raise BadValue()
    if kind not in meeting_kinds(organisation):
        raise PlenaryOnlyForNetworks()
    if planned_end_at <= starts_at:
        raise EndBeforeStart()
    if not SPEAKING_LIMIT_MIN <= speaking_limit_seconds <= SPEAKING_LIMIT_MAX:
        raise BadValue()
    check_link(online_link)
    _check_person(organisation, facilitator_id)
    _check_person(organisation, secretary_id)


def announce_change(meeting: Meeting, *, urgent: bool = False, roster: bool = True) -> None:
    """Something the room shows changed: bump the meeting's version and say so.

    Screens keep the state with the highest version; the live package sends the new state once
    this transaction commits. `urgent` for what every screen needs at once (a poll opening).
    """
    meeting.version = Meeting.version + 1
    signals.room_changed.send(meeting, urgent=urgent, roster=roster)


def create_meeting(
    organisation: Organisation,
    *,
    title: str,
    kind: MeetingKind,
    starts_at: datetime,
    planned_end_at: datetime,
    place: str = "",
    online_link: str = "",
    facilitator_id: int | None = None,
    secretary_id: int | None = None,
    speaker_policy: SpeakerPolicy = SpeakerPolicy.FIRST_COME,
    speaking_limit_seconds: int = 180,
    created_by: User | None = None,
    template_key: str | None = None,
    series: MeetingSeries | None = None,
) -> Meeting:
    """A new draft meeting, its agenda started from a template if one is named."""
    title, place, online_link = title.strip(), place.strip(), online_link.strip()
    _check_meeting(
        organisation,
        title=title,
        kind=kind,
        starts_at=starts_at,
        planned_end_at=planned_end_at,
        place=place,
        online_link=online_link,
        facilitator_id=facilitator_id,
        secretary_id=secretary_id,
        speaking_limit_seconds=speaking_limit_seconds,
    )
    items = template_items(organisation, template_key) if template_key else []
    meeting = Meeting(
        organisation_id=organisation.id,
        organisation=organisation,
        series_id=series.id if series is not None else None,
        kind=kind,
        title=title,
        starts_at=starts_at,
        planned_end_at=planned_end_at,
        place=place,
        online_link=online_link,
        facilitator_id=facilitator_id,
        secretary_id=secretary_id,
        status=MeetingStatus.DRAFT,
        speaker_policy=speaker_policy,
        speaking_limit_seconds=speaking_limit_seconds,
        projector_token=secrets.token_urlsafe(24),
        version=0,
        created_by_id=created_by.id if created_by is not None else None,
    )
    db.session.add(meeting)
    db.session.flush()
    if items:
        _add_tree(meeting, items)
    from assembly.commitments.review import ensure_review_item  # commitments build on meetings

    ensure_review_item(meeting)
    return meeting


def update_meeting(
    meeting: Meeting,
    *,
    title: str,
    kind: MeetingKind,
    starts_at: datetime,
    planned_end_at: datetime,
    place: str,
    online_link: str,
    facilitator_id: int | None,
    secretary_id: int | None,
    speaker_policy: SpeakerPolicy,
    speaking_limit_seconds: int,
) -> None:
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.CONVENED):
        raise MeetingNotEditable()
    title, place, online_link = title.strip(), place.strip(), online_link.strip()
    _check_meeting(
        meeting.organisation,
        title=title,
        kind=kind,
        starts_at=starts_at,
        planned_end_at=planned_end_at,
        place=place,
        online_link=online_link,
        facilitator_id=facilitator_id,
        secretary_id=secretary_id,
        speaking_limit_seconds=speaking_limit_seconds,
    )
    meeting.title = title
    meeting.kind = kind
    meeting.starts_at = starts_at
    meeting.planned_end_at = planned_end_at
    meeting.place = place
    meeting.online_link = online_link
    meeting.facilitator_id = facilitator_id
    meeting.secretary_id = secretary_id
    meeting.speaker_policy = speaker_policy
    meeting.speaking_limit_seconds = speaking_limit_seconds
    announce_change(meeting)
    from assembly.commitments.review import ensure_review_item  # e.g. no longer a workshop

    ensure_review_item(meeting)


def delete_meeting(meeting: Meeting) -> None:
    """Only drafts: nobody has been told about them yet."""
    if meeting.status != MeetingStatus.DRAFT:
        raise CannotDelete()
    if meeting.series_id is not None:
        raise SeriesMeeting()
    _delete_meetings([meeting.id])


def _delete_meetings(ids: list[int]) -> None:
    if not ids:
        return
    db.session.execute(
        update(Meeting).where(Meeting.id.in_(ids)).values(current_item_id=None),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        delete(AgendaItem).where(AgendaItem.meeting_id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        delete(Notification).where(Notification.meeting_id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        delete(Meeting).where(Meeting.id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    db.session.expire_all()


def meeting_in(organisation: Organisation, meeting_id: int) -> Meeting | None:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.organisation_id != organisation.id:
        return None
    return meeting


def upcoming_meetings(
    organisation: Organisation, now: datetime, *, include_drafts: bool
) -> list[Meeting]:
    query = select(Meeting).where(
        Meeting.organisation_id == organisation.id,
        Meeting.status != MeetingStatus.CLOSED,
        (Meeting.planned_end_at >= now) | (Meeting.status == MeetingStatus.LIVE),
    )
    if not include_drafts:
        query = query.where(Meeting.status != MeetingStatus.DRAFT)
    return list(db.session.scalars(query.order_by(Meeting.starts_at, Meeting.id)))


def past_meetings(
    organisation: Organisation, now: datetime, *, include_drafts: bool, limit: int = 100
) -> list[Meeting]:
    query = select(Meeting).where(
        Meeting.organisation_id == organisation.id,
        (Meeting.status == MeetingStatus.CLOSED)
        | ((Meeting.planned_end_at < now) & (Meeting.status != MeetingStatus.LIVE)),
    )
    if not include_drafts:
        query = query.where(Meeting.status != MeetingStatus.DRAFT)
    return list(
        db.session.scalars(query.order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(limit))
    )


# --- convening -------------------------------------------------------------------------------


def convene(meeting: Meeting, *, now: datetime | None = None) -> list[User]:
    """Publish the meeting to its people: an in-app notice each, and mail if there is SMTP."""
    if meeting.status != MeetingStatus.DRAFT:
        raise AlreadyConvened()
    if not (meeting.place or meeting.online_link):
        raise NoPlace()
    meeting.status = MeetingStatus.CONVENED
    meeting.convened_at = now or utcnow()
    announce_change(meeting)
    people = recipients(meeting)
    for user in people:
        db.session.add(
            Notification(
                user_id=user.id,
                organisation_id=meeting.organisation_id,
                meeting_id=meeting.id,
                kind=MEETING_CONVENED,
            )
        )
    if current_app.config.get("MAIL_SERVER"):
        for user in people:
            _mail_convocation(meeting, user)
    db.session.flush()
    return people


def _mail_convocation(meeting: Meeting, user: User) -> None:
    locale = normalise(user.locale) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        where = ", ".join(part for part in (meeting.place, meeting.online_link) if part)
        agenda = "\n".join(
            f"{n}. {item.title}" + "".join(f"\n   - {child.title}" for child in children)
            for n, (item, children) in enumerate(agenda_tree(meeting), start=1)
        )
        link = absolute_url(
            "meetings.detail", slug=meeting.organisation.slug, meeting_id=meeting.id
        )
        when = (
            f"{format_date(meeting.starts_at, 'full')}, {format_time(meeting.starts_at, 'short')}"
        )
        subject = gettext(
            "%(organisation)s convenes: %(meeting)s",
            organisation=meeting.organisation.name,
            meeting=meeting.title,
        )
        body = gettext(
            "%(organisation)s has convened %(meeting)s.\n\nWhen: %(when)s\nWhere: %(where)s"
            "\n\nAgenda:\n%(agenda)s\n\nSee the meeting, propose items and add it to your "
            "calendar:\n%(link)s",
            organisation=meeting.organisation.name,
            meeting=meeting.title,
            when=when,
            where=where,
            agenda=agenda or "-",
            link=link,
        )
    deliver(
        user.email,
        subject,
        body,
        organisation_id=meeting.organisation_id,
        recipient_user_id=user.id,
    )


def meeting_event(meeting: Meeting, *, stamp: datetime | None = None):
    """The meeting as an iCalendar event (UTC), the same in its .ics file and in calendar feeds
    (one uid, so a calendar app holding both shows it once)."""
    from icalendar import Event

    link = absolute_url("meetings.detail", slug=meeting.organisation.slug, meeting_id=meeting.id)
    event = Event()
    host = urlsplit(link).hostname or "assembly"
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", stamp or utcnow().replace(tzinfo=UTC))
    event.add("dtstart", meeting.starts_at.replace(tzinfo=UTC))
    event.add("dtend", meeting.planned_end_at.replace(tzinfo=UTC))
    event.add("summary", f"{meeting.title} ({meeting.organisation.name})")
    if meeting.place or meeting.online_link:
        event.add("location", meeting.place or meeting.online_link)
    event.add("url", link)
    lines = [f"{n}. {item.title}" for n, (item, _c) in enumerate(agenda_tree(meeting), start=1)]
    if meeting.online_link:
        lines.append(meeting.online_link)
    lines.append(link)
    event.add("description", "\n".join(lines))
    event.add("status", "TENTATIVE" if meeting.status == MeetingStatus.DRAFT else "CONFIRMED")
    event.add("sequence", meeting.version or 0)
    return event


def calendar_file(meeting: Meeting) -> bytes:
    """The meeting as an iCalendar (.ics) file."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//Assembly//Meetings//ES")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(meeting_event(meeting))
    return cal.to_ical()


# --- the agenda ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaPlan:
    """The agenda in order, with the time it plans against the time the meeting has."""

    tree: list[tuple[AgendaItem, list[AgendaItem]]]
    total_minutes: int
    available_minutes: int

    @property
    def fits(self) -> bool:
        return self.total_minutes <= self.available_minutes

    @property
    def over_minutes(self) -> int:
        return max(0, self.total_minutes - self.available_minutes)


def agenda_tree(meeting: Meeting) -> list[tuple[AgendaItem, list[AgendaItem]]]:
    """Accepted top-level items in order, each with its accepted sub-items in order."""
    items = db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.state == AgendaItemState.ACCEPTED)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    children: dict[int | None, list[AgendaItem]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    return [(item, children.get(item.id, [])) for item in children.get(None, [])]


def item_minutes(item: AgendaItem, children: list[AgendaItem]) -> int:
    """Sub-items share their item's time; if they need more, the item takes longer."""
    return max(item.planned_minutes, sum(child.planned_minutes for child in children))


def agenda_plan(meeting: Meeting) -> AgendaPlan:
    tree = agenda_tree(meeting)
    total = sum(item_minutes(item, children) for item, children in tree)
    return AgendaPlan(tree=tree, total_minutes=total, available_minutes=meeting.planned_minutes)


def item_in(meeting: Meeting, item_id: int) -> AgendaItem | None:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        return None
    return item


def _require_open_agenda(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CLOSED:
        raise MeetingClosed()


def _siblings(meeting_id: int, parent_id: int | None) -> list[AgendaItem]:
    query = select(AgendaItem).where(
        AgendaItem.meeting_id == meeting_id,
        AgendaItem.state == AgendaItemState.ACCEPTED,
        AgendaItem.parent_id.is_(None) if parent_id is None else AgendaItem.parent_id == parent_id,
    )
    return list(db.session.scalars(query.order_by(AgendaItem.position, AgendaItem.id)))


def _renumber(meeting_id: int, parent_id: int | None) -> None:
    db.session.flush()
    for position, item in enumerate(_siblings(meeting_id, parent_id)):
        item.position = position


def _parent(meeting: Meeting, parent_id: int | None) -> AgendaItem | None:
    if parent_id is None:
        return None
    parent = item_in(meeting, parent_id)
    if parent is None or parent.parent_id is not None or parent.state != AgendaItemState.ACCEPTED:
        raise InvalidParent()
    return parent


def _check_item_values(title: str, planned_minutes: int, description: str) -> None:
    if (
        not title
        or len(title) > ITEM_TITLE_MAX
        or len(description) > DESCRIPTION_MAX
        or not 1 <= planned_minutes <= ITEM_MINUTES_MAX
    ):
        raise BadValue()


def add_item(
    meeting: Meeting,
    *,
    title: str,
    kind: AgendaItemKind = AgendaItemKind.DEBATE,
    planned_minutes: int = 10,
    description: str = "",
    presenter_id: int | None = None,
    parent_id: int | None = None,
) -> AgendaItem:
    """An accepted item at the end of the agenda (or of its parent's sub-items)."""
    _require_open_agenda(meeting)
    title = title.strip()
    _check_item_values(title, planned_minutes, description)
    parent = _parent(meeting, parent_id)
    _check_person(meeting.organisation, presenter_id, delegates_too=True)
    item = AgendaItem(
        meeting_id=meeting.id,
        parent_id=parent.id if parent else None,
        position=len(_siblings(meeting.id, parent.id if parent else None)),
        title=title,
        kind=kind,
        planned_minutes=planned_minutes,
        description=description,
        presenter_id=presenter_id,
        state=AgendaItemState.ACCEPTED,
    )
    db.session.add(item)
    db.session.flush()
    announce_change(meeting)
    return item


def update_item(
    item: AgendaItem,
    *,
    title: str,
    kind: AgendaItemKind,
    planned_minutes: int,
    description: str,
    presenter_id: int | None,
    parent_id: int | None,
) -> None:
    meeting = item.meeting
    _require_open_agenda(meeting)
    title = title.strip()
    _check_item_values(title, planned_minutes, description)
    _check_person(meeting.organisation, presenter_id, delegates_too=True)
    if item.kind == AgendaItemKind.COMMITMENTS_REVIEW and kind != item.kind:
        from assembly.commitments.review import check_removable

        check_removable(meeting, {item.id})
    if parent_id != item.parent_id and item.state == AgendaItemState.ACCEPTED:
        if parent_id == item.id:
            raise InvalidParent()
        parent = _parent(meeting, parent_id)
        if parent is not None and _siblings(meeting.id, item.id):
            raise HasSubItems()
        old_parent_id, new_parent_id = item.parent_id, parent.id if parent else None
        position = len(_siblings(meeting.id, new_parent_id))
        item.parent_id, item.position = new_parent_id, position
        _renumber(meeting.id, old_parent_id)
    item.title = title
    item.kind = kind
    item.planned_minutes = planned_minutes
    item.description = description
    item.presenter_id = presenter_id
    announce_change(meeting)


def delete_item(item: AgendaItem) -> None:
    """Remove an item and its sub-items; the rest close ranks."""
    meeting = item.meeting
    _require_open_agenda(meeting)
    from assembly.commitments.review import check_removable

    check_removable(meeting, {item.id} | {c.id for c in _all_children(item)})
    meeting_id, parent_id, accepted = item.meeting_id, item.parent_id, item.state
    if meeting.current_item_id is not None:
        doomed = {item.id} | {c.id for c in _all_children(item)}
        if meeting.current_item_id in doomed:
            meeting.current_item_id = None
    for child in _all_children(item):
        db.session.delete(child)
    db.session.flush()
    db.session.delete(item)
    db.session.flush()
    if accepted == AgendaItemState.ACCEPTED:
        _renumber(meeting_id, parent_id)
    announce_change(meeting)


def _all_children(item: AgendaItem) -> list[AgendaItem]:
    return list(db.session.scalars(select(AgendaItem).where(AgendaItem.parent_id == item.id)))


def move_item(item: AgendaItem, offset: int) -> bool:
    """Move one place up (-1) or down (+1) among its siblings. False if already at the edge."""
    meeting = item.meeting
    _require_open_agenda(meeting)
    if item.state != AgendaItemState.ACCEPTED or offset not in (-1, 1):
        raise InvalidOrder()
    siblings = _siblings(item.meeting_id, item.parent_id)
    index = next(i for i, s in enumerate(siblings) if s.id == item.id)
    target = index + offset
    if not 0 <= target < len(siblings):
        return False
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    announce_change(meeting)
    return True


def reorder(meeting: Meeting, parent_id: int | None, order: list[int]) -> list[int]:
    """Put the items under `parent_id` (None: the top level) in the given order.

    The order must be a permutation of exactly those items' ids.
    """
    _require_open_agenda(meeting)
    if parent_id is not None:
        _parent(meeting, parent_id)
    siblings = _siblings(meeting.id, parent_id)
    by_id = {item.id: item for item in siblings}
    if len(order) != len(siblings) or set(order) != set(by_id):
        raise InvalidOrder()
    for position, item_id in enumerate(order):
        by_id[item_id].position = position
    announce_change(meeting)
    return list(order)


# --- proposals -------------------------------------------------------------------------------


def propose_item(
    meeting: Meeting,
    user: User,
    *,
    title: str,
    description: str = "",
    planned_minutes: int = 10,
    kind: AgendaItemKind = AgendaItemKind.DEBATE,
) -> AgendaItem:
    """A member suggests an item; it joins the agenda only once a preparer accepts it."""
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.CONVENED):
        raise ProposalsClosed()
    title = title.strip()
    _check_item_values(title, planned_minutes, description)
    item = AgendaItem(
        meeting_id=meeting.id,
        position=0,
        title=title,
        kind=kind,
        planned_minutes=planned_minutes,
        description=description,
        state=AgendaItemState.PROPOSED,
        proposed_by_id=user.id,
    )
    db.session.add(item)
    db.session.flush()
    return item


def accept_proposal(item: AgendaItem) -> None:
    meeting = item.meeting
    _require_open_agenda(meeting)
    if item.state != AgendaItemState.PROPOSED:
        raise NotAProposal()
    item.parent_id = None
    item.position = len(_siblings(meeting.id, None))
    item.state = AgendaItemState.ACCEPTED
    announce_change(meeting)


def decline_proposal(item: AgendaItem) -> None:
    _require_open_agenda(item.meeting)
    if item.state != AgendaItemState.PROPOSED:
        raise NotAProposal()
    item.state = AgendaItemState.DECLINED


def pending_proposals(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(
                AgendaItem.meeting_id == meeting.id,
                AgendaItem.state == AgendaItemState.PROPOSED,
            )
            .order_by(AgendaItem.id)
        )
    )


def proposals_by(meeting: Meeting, user: User) -> list[AgendaItem]:
    """What the person proposed for this meeting, in every state."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.proposed_by_id == user.id)
            .order_by(AgendaItem.id)
        )
    )


# --- templates -------------------------------------------------------------------------------


def saved_templates(organisation: Organisation) -> list[AgendaTemplate]:
    return list(
        db.session.scalars(
            select(AgendaTemplate)
            .where(AgendaTemplate.organisation_id == organisation.id)
            .order_by(func.lower(AgendaTemplate.name), AgendaTemplate.id)
        )
    )


def builtin_templates(organisation: Organisation):
    return [t for t in BUILTIN_TEMPLATES.values() if organisation.is_network or not t.networks_only]


def template_choices(organisation: Organisation) -> list[tuple[str, str]]:
    """Keys and names of the templates an organisation may start an agenda from."""
    return [(t.choice_key, t.name) for t in builtin_templates(organisation)] + [
        (f"{SAVED_PREFIX}{t.id}", t.name) for t in saved_templates(organisation)
    ]


def _find_template(organisation: Organisation, key: str | None):
    """(kind, items) of a template key (`builtin:<name>` or `saved:<id>`), or None."""
    key = key or ""
    if key.startswith(BUILTIN_PREFIX):
        builtin = BUILTIN_TEMPLATES.get(key[len(BUILTIN_PREFIX) :])
        if builtin is not None and builtin in builtin_templates(organisation):
            return builtin.kind, list(builtin.items)
    elif key.startswith(SAVED_PREFIX) and key[len(SAVED_PREFIX) :].isdigit():
        template = template_in(organisation, int(key[len(SAVED_PREFIX) :]))
        if template is not None:
            return MeetingKind(template.kind), list(template.items or [])
    return None


def template_kind(organisation: Organisation, key: str | None) -> MeetingKind | None:
    """The kind of meeting a template was made for, if the organisation may use it."""
    found = _find_template(organisation, key)
    return found[0] if found else None


def template_in(organisation: Organisation, template_id: int) -> AgendaTemplate | None:
    template = db.session.get(AgendaTemplate, template_id)
    if template is None or template.organisation_id != organisation.id:
        return None
    return template


def template_items(organisation: Organisation, key: str | None) -> list[dict]:
    """The items of a template key the organisation may use; UnknownTemplate otherwise."""
    found = _find_template(organisation, key)
    if found is None:
        raise UnknownTemplate()
    return found[1]


def _clean_kind(value) -> AgendaItemKind:
    try:
        return AgendaItemKind(value)
    except ValueError:
        return AgendaItemKind.OTHER


def _clean_minutes(value) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = 10
    return min(max(minutes, 1), ITEM_MINUTES_MAX)


def _add_tree(meeting: Meeting, items: list[dict]) -> int:
    """Append items (dicts as templates keep them) to the end of the agenda. Returns how many."""
    presenters = {u.id for u in presenter_candidates(meeting.organisation)}
    position = len(_siblings(meeting.id, None))
    added = 0
    organisation = meeting.organisation
    names = (
        [link.member.name for link in network_members(organisation)]
        if organisation.is_network
        else None
    )
    items = expand(items, names)

    def make(spec: dict, parent_id: int | None, position: int) -> AgendaItem:
        presenter_id = spec.get("presenter_id")
        item = AgendaItem(
            meeting_id=meeting.id,
            parent_id=parent_id,
            position=position,
            title=str(spec.get("title") or "-").strip()[:ITEM_TITLE_MAX] or "-",
            kind=_clean_kind(spec.get("kind")),
            planned_minutes=_clean_minutes(spec.get("planned_minutes")),
            description=str(spec.get("description") or "")[:DESCRIPTION_MAX],
            presenter_id=presenter_id if presenter_id in presenters else None,
            state=AgendaItemState.ACCEPTED,
        )
        db.session.add(item)
        return item

    # One commitments review per meeting: a template's or a copied agenda's joins none.
    reviewing = _has_review_item(meeting)
    for spec in items:
        if reviewing and _clean_kind(spec.get("kind")) == AgendaItemKind.COMMITMENTS_REVIEW:
            continue
        parent = make(spec, None, position)
        db.session.flush()
        position += 1
        added += 1
        children = [c for c in spec.get("children") or [] if isinstance(c, dict)]
        for child_position, child in enumerate(children):
            make(child, parent.id, child_position)
            added += 1
    db.session.flush()
    announce_change(meeting)
    return added


def _has_review_item(meeting: Meeting) -> bool:
    return (
        db.session.scalar(
            select(AgendaItem.id)
            .where(
                AgendaItem.meeting_id == meeting.id,
                AgendaItem.kind == AgendaItemKind.COMMITMENTS_REVIEW,
                AgendaItem.state == AgendaItemState.ACCEPTED,
            )
            .limit(1)
        )
        is not None
    )


def _tree_as_specs(meeting: Meeting, *, with_presenters: bool) -> list[dict]:
    def spec(item: AgendaItem) -> dict:
        values = {
            "title": item.title,
            "kind": AgendaItemKind(item.kind).value,
            "planned_minutes": item.planned_minutes,
            "description": item.description or "",
        }
        if with_presenters and item.presenter_id is not None:
            values["presenter_id"] = item.presenter_id
        return values

    return [
        {**spec(item), "children": [spec(child) for child in children]}
        for item, children in agenda_tree(meeting)
    ]


def apply_template(meeting: Meeting, key: str) -> int:
    _require_open_agenda(meeting)
    return _add_tree(meeting, template_items(meeting.organisation, key))


def save_as_template(meeting: Meeting, name: str) -> AgendaTemplate:
    specs = _tree_as_specs(meeting, with_presenters=False)
    name = name.strip()
    if not specs:
        raise EmptyAgenda()
    if not name or len(name) > TITLE_MAX:
        raise BadValue()
    template = AgendaTemplate(
        organisation_id=meeting.organisation_id, name=name, kind=meeting.kind, items=specs
    )
    db.session.add(template)
    db.session.flush()
    return template


def delete_template(template: AgendaTemplate) -> None:
    db.session.delete(template)


def copy_sources(meeting: Meeting, limit: int = 50) -> list[Meeting]:
    """Other meetings of the organisation whose agenda may be copied, newest first."""
    has_items = (
        select(AgendaItem.id)
        .where(AgendaItem.meeting_id == Meeting.id, AgendaItem.state == AgendaItemState.ACCEPTED)
        .exists()
    )
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.organisation_id == meeting.organisation_id,
                Meeting.id != meeting.id,
                has_items,
            )
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(limit)
        )
    )


def copy_agenda(meeting: Meeting, source: Meeting) -> int:
    """Append a copy of another meeting's agenda (same organisation) to this one's."""
    _require_open_agenda(meeting)
    if source.organisation_id != meeting.organisation_id or source.id == meeting.id:
        raise NothingToCopy()
    specs = _tree_as_specs(source, with_presenters=True)
    if not specs:
        raise NothingToCopy()
    return _add_tree(meeting, specs)


# --- series ----------------------------------------------------------------------------------


def create_series(
    organisation: Organisation,
    *,
    title: str,
    kind: MeetingKind,
    every: int,
    unit: RecurrenceUnit,
    first_starts_at: datetime,
    duration_minutes: int,
    place: str = "",
    ahead: int = 2,
    ends_on: datetime | None = None,
    template_key: str | None = None,
    now: datetime | None = None,
) -> MeetingSeries:
    """A schedule of meetings; the next `ahead` of them are created at once, as drafts."""
    title, place = title.strip(), place.strip()
    if kind not in meeting_kinds(organisation):
        raise PlenaryOnlyForNetworks()
    if (
        not title
        or len(title) > TITLE_MAX
        or len(place) > PLACE_MAX
        or not 1 <= every <= SERIES_EVERY_MAX
        or not 1 <= ahead <= SERIES_AHEAD_MAX
    ):
        raise BadValue()
    if duration_minutes <= 0:
        raise EndBeforeStart()
    if ends_on is not None and ends_on < first_starts_at:
        raise InvalidSeries()
    if template_key:
        template_items(organisation, template_key)  # raises if unknown
    series = MeetingSeries(
        organisation_id=organisation.id,
        organisation=organisation,
        title=title,
        kind=kind,
        every=every,
        unit=unit,
        first_starts_at=first_starts_at,
        duration_minutes=duration_minutes,
        place=place,
        ahead=ahead,
        ends_on=ends_on,
        template_key=template_key or None,
    )
    db.session.add(series)
    db.session.flush()
    schedule_series(series, now or utcnow())
    return series


def occurrence(series: MeetingSeries, n: int) -> datetime:
    """The start of the series' n-th meeting (0: the first), as naive UTC.

    Counted in local time from the first meeting, so the hour stays put and month ends are
    respected (the 31st becomes the last day of shorter months, then the 31st again).
    """
    first = to_local(series.first_starts_at).replace(tzinfo=None)
    steps = series.every * n
    if RecurrenceUnit(series.unit) == RecurrenceUnit.MONTHS:
        local = add_months(first, steps)
    else:
        local = first + timedelta(weeks=steps)
    return from_local(local.date(), local.time())


def series_meetings(series: MeetingSeries) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.series_id == series.id)
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def schedule_series(series: MeetingSeries, now: datetime) -> list[Meeting]:
    """Top the series up to `ahead` meetings after `now`. Idempotent: returns those it created.

    New meetings take the series' next dates after its latest meeting, so a meeting moved by
    hand is not scheduled again. Call it when a meeting of the series closes.
    """
    # On PostgreSQL two simultaneous calls queue here instead of both creating meetings.
    db.session.execute(
        select(MeetingSeries.id).where(MeetingSeries.id == series.id).with_for_update()
    )
    existing = series_meetings(series)
    missing = series.ahead - sum(1 for m in existing if m.starts_at > now)
    if missing <= 0:
        return []
    latest = max((m.starts_at for m in existing), default=None)
    created: list[Meeting] = []
    duration = timedelta(minutes=series.duration_minutes)
    for n in range(_SERIES_SEARCH_LIMIT):
        if len(created) >= missing:
            break
        starts_at = occurrence(series, n)
        if series.ends_on is not None and starts_at > series.ends_on:
            break
        if starts_at <= now or (latest is not None and starts_at <= latest):
            continue
        created.append(
            create_meeting(
                series.organisation,
                title=series.title,
                kind=MeetingKind(series.kind),
                starts_at=starts_at,
                planned_end_at=starts_at + duration,
                place=series.place or "",
                template_key=_usable_template(series),
                series=series,
            )
        )
    return created


def _usable_template(series: MeetingSeries) -> str | None:
    """The series' template, unless it has since been deleted."""
    if not series.template_key:
        return None
    try:
        template_items(series.organisation, series.template_key)
    except UnknownTemplate:
        return None
    return series.template_key


def schedule_series_of(meeting: Meeting, now: datetime) -> list[Meeting]:
    """For the live room, when a meeting closes: keep its series scheduled ahead."""
    if meeting.series_id is None or meeting.series is None:
        return []
    return schedule_series(meeting.series, now)


def series_of(organisation: Organisation) -> list[MeetingSeries]:
    return list(
        db.session.scalars(
            select(MeetingSeries)
            .where(MeetingSeries.organisation_id == organisation.id)
            .order_by(MeetingSeries.created_at, MeetingSeries.id)
        )
    )


def series_in(organisation: Organisation, series_id: int) -> MeetingSeries | None:
    series = db.session.get(MeetingSeries, series_id)
    if series is None or series.organisation_id != organisation.id:
        return None
    return series


def series_active(series: MeetingSeries, now: datetime) -> bool:
    return series.ends_on is None or series.ends_on > now


def stop_series(series: MeetingSeries, now: datetime) -> int:
    """No more meetings: the series ends now and its future drafts go. Returns how many."""
    series.ends_on = now
    drafts = [
        m.id
        for m in series_meetings(series)
        if m.status == MeetingStatus.DRAFT and m.starts_at > now
    ]
    _delete_meetings(drafts)
    return len(drafts)


def schedule_all_series(organisation: Organisation, now: datetime) -> list[Meeting]:
    created = []
    for series in series_of(organisation):
        if series_active(series, now):
            created += schedule_series(series, now)
    return created


# --- notifications ---------------------------------------------------------------------------


def notifications_for(user: User, limit: int = 100) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def notification_of(user: User, notification_id: int) -> Notification | None:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(notification: Notification, now: datetime | None = None) -> None:
    if notification.read_at is None:
        notification.read_at = now or utcnow()


def mark_all_read(user: User, now: datetime | None = None) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    )


def mark_meeting_read(user: User, meeting: Meeting, now: datetime | None = None) -> int:
    """Seeing a meeting reads its notices. Returns how many were unread."""
    return db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.meeting_id == meeting.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
