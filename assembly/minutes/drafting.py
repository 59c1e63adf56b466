"""The first draft of a meeting's minutes, written from its record.

Minutes (actas) are a formal document of the organisation, kept in Argentine Spanish whatever
language the person closing the meeting reads the app in: the sentences are written here in
Spanish, and what other packages already word (the quorum, a poll's rule and result, the kinds
of meetings and polls) is rendered through their own functions under the `es_AR` locale, so the
minutes say exactly what the room said. Every figure comes from the services that show it
elsewhere (room.service, room.participation, voting.pages, commitments.service).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask_babel import force_locale, format_date, format_datetime, format_decimal
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from assembly.accounts.models import User
from assembly.commitments.forms import STATUS_LABELS
from assembly.commitments.models import Commitment, CommitmentOwner, CommitmentReview
from assembly.commitments.review import review_item, review_record
from assembly.commitments.service import commitments_from
from assembly.core.labels import label
from assembly.extensions import db
from assembly.meetings.models import AgendaItem, AgendaItemKind, Meeting
from assembly.meetings.service import agenda_tree
from assembly.organisations.models import Delegate, NetworkMembership, Organisation
from assembly.proposals.models import Proposal
from assembly.room import participation
from assembly.room import service as room
from assembly.room.wording import quorum_text
from assembly.voting.explain import percent
from assembly.voting.models import Decision, Poll, PollStatus
from assembly.voting.pages import result_view
from assembly.voting.service import meeting_polls
from assembly.workshops.models import Topic

LOCALE = "es_AR"


def draft_text(meeting: Meeting) -> str:
    """The minutes' first draft, in Markdown."""
    with force_locale(LOCALE):
        return "\n".join(_Draft(meeting).lines()).strip() + "\n"


def clock(moment: datetime | None) -> str:
    """18:07, in the organisation's time zone."""
    return format_datetime(moment, "HH:mm") if moment else "—"


def long_date(moment: datetime | None) -> str:
    return format_date(moment, "d 'de' MMMM 'de' y") if moment else "—"


def _siendo(moment: datetime | None) -> str:
    """ "Siendo las 18:07" (but "la 1:05")."""
    text = clock(moment)
    article = "la" if text.startswith("01:") else "las"
    return f"Siendo {article} {text.lstrip('0') if text.startswith('01:') else text}"


def _names(names) -> str:
    names = [n for n in names if n]
    if not names:
        return "—"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " y " + names[-1]


def _person(user: User | None) -> str:
    return user.display_name if user else "no designada"


def _status(status) -> str:
    return str(STATUS_LABELS[status]).lower()


def _number(value) -> str:
    return format_decimal(value)


def _indent(text: str, prefix: str = "  ") -> str:
    """A multi-line text kept inside its list item."""
    lines = [line.rstrip() for line in (text or "").strip().splitlines()]
    return ("\n" + prefix).join(line for line in lines if line)


def _item_notes(text: str | None) -> str:
    """An item's notes as paragraphs under its heading: their own headings, if any, become bold
    lines, so they do not break the minutes' outline."""
    lines = []
    for line in (text or "").strip().splitlines():
        if line.startswith("#"):
            title = line.strip().strip("#").strip()
            line = f"**{title}**" if title else ""
        lines.append(line.rstrip())
    return "\n".join(lines).strip()


class _Draft:
    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self.organisation: Organisation = meeting.organisation
        self.roster = room.roster(meeting)
        self.quorum = room.quorum(meeting)
        self.figures = participation.meeting_figures(meeting)
        self.polls = meeting_polls(meeting.id)
        self.topics: dict[int, list[Topic]] = defaultdict(list)
        for topic in db.session.scalars(
            select(Topic)
            .where(Topic.meeting_id == meeting.id, Topic.removed_at.is_(None))
            .order_by(Topic.position, Topic.id)
        ):
            self.topics[topic.agenda_item_id].append(topic)
        self.commitments = commitments_from(meeting_id=meeting.id)
        self._loaded = self._preload()

    def _preload(self) -> list:
        """What the parts below would otherwise read row by row (one query per poll's options,
        per commitment's owners and per owner), in three queries. Kept referenced so the
        session's identity map holds on to them while drafting."""
        polls = db.session.scalars(
            select(Poll)
            .where(Poll.id.in_([p.id for p in self.polls] or [0]))
            .options(selectinload(Poll.options))
        ).all()
        reviewed = (
            select(CommitmentReview.commitment_id)
            .join(AgendaItem, AgendaItem.id == CommitmentReview.agenda_item_id)
            .where(AgendaItem.meeting_id == self.meeting.id)
        )
        commitments = db.session.scalars(
            select(Commitment)
            .where(or_(Commitment.meeting_id == self.meeting.id, Commitment.id.in_(reviewed)))
            .options(
                selectinload(Commitment.owners).options(
                    joinedload(CommitmentOwner.user), joinedload(CommitmentOwner.owner_organisation)
                )
            )
        ).all()
        return [*polls, *commitments]

    # --- the parts, in order ---------------------------------------------------------------

    def lines(self) -> list[str]:
        return [
            *self.header(),
            *self.opening(),
            *self.attendance(),
            *self.agenda(),
            *self.decisions(),
            *self.commitments_made(),
            *self.commitments_reviewed(),
            *self.participation(),
            *self.closing(),
        ]

    def header(self) -> list[str]:
        m = self.meeting
        return [
            f"## Acta: {m.title}",
            "",
            f"- **Organización:** {self.organisation.name}",
            f"- **Tipo de reunión:** {label(m.kind)}",
            f"- **Fecha:** {long_date(m.started_at or m.starts_at)}",
            f"- **Lugar:** {m.place or 'no consignado'}",
            f"- **Inicio:** {clock(m.started_at)} · **Cierre:** {clock(m.ended_at)}",
            f"- **Coordinación:** {_person(m.facilitator)}",
            f"- **Secretaría:** {_person(m.secretary)}",
            "",
        ]

    def attendees(self) -> list[dict]:
        return [row for row in self.roster if row["arrived_at"] is not None]

    def opening(self) -> list[str]:
        m = self.meeting
        attendees = self.attendees()
        where = f", en {m.place}," if m.place else ""
        return [
            f"{_siendo(m.started_at)} del día {long_date(m.started_at or m.starts_at)}{where} "
            f"se inicia la reunión de {self.organisation.name} con la presencia de "
            f"{_number(len(attendees))} "
            f"{'persona' if len(attendees) == 1 else 'personas'}: "
            f"{_names(r['name'] for r in attendees)}.",
            "",
        ]

    def attendance(self) -> list[str]:
        attendees = self.attendees()
        late = [r for r in attendees if r["minutes_late"]]
        left = [r for r in attendees if r["left_at"] is not None]
        absent = [r for r in self.roster if r["arrived_at"] is None]
        names = {r["user_id"]: r["name"] for r in self.roster}
        out = ["### Asistencia", ""]
        out.append(
            f"- **Presentes ({_number(len(attendees))}):** " + _names(r["name"] for r in attendees)
        )
        if self.organisation.is_network:
            out.append(f"- **Delegaciones presentes:** {self._delegations(attendees)}")
        out.append(
            f"- **Llegaron tarde ({_number(len(late))}):** "
            + _names(
                f"{r['name']} ({_number(r['minutes_late'])} "
                f"{'minuto' if r['minutes_late'] == 1 else 'minutos'})"
                for r in late
            )
        )
        out.append(
            f"- **Se retiraron antes del cierre ({_number(len(left))}):** "
            + _names(f"{r['name']} (a las {clock(_parse(r['left_at']))})" for r in left)
        )
        out.append(f"- **Ausentes ({_number(len(absent))}):** {_names(r['name'] for r in absent)}")
        represented = [r for r in self.roster if r["represented_by"]]
        if not self.organisation.is_network:
            out.append(
                f"- **Representados por poder ({_number(len(represented))}):** "
                + _names(
                    f"{r['name']}, por {names.get(r['represented_by'], '—')}" for r in represented
                )
            )
        met = "Se cuenta con quórum" if self.quorum["met"] else "No se alcanza el quórum"
        out += [f"- **Quórum al cierre:** {quorum_text(self.quorum)}. {met}.", ""]
        return out

    def _delegations(self, attendees: list[dict]) -> str:
        """Each member organisation with its delegates present."""
        present = {r["user_id"] for r in attendees}
        rows = db.session.execute(
            select(Organisation.name, User.display_name)
            .select_from(Delegate)
            .join(NetworkMembership, Delegate.network_membership_id == NetworkMembership.id)
            .join(Organisation, Organisation.id == NetworkMembership.member_id)
            .join(User, User.id == Delegate.user_id)
            .where(
                NetworkMembership.network_id == self.organisation.id,
                NetworkMembership.left_at.is_(None),
                Delegate.ended_at.is_(None),
                Delegate.user_id.in_(present or {0}),
            )
            .order_by(Organisation.name, User.display_name)
        ).all()
        by_org: dict[str, list[str]] = defaultdict(list)
        for organisation, person in rows:
            by_org[organisation].append(person)
        return "; ".join(f"{o} ({_names(p)})" for o, p in by_org.items()) or "—"

    def agenda(self) -> list[str]:
        out = ["### Orden del día", ""]
        tree = agenda_tree(self.meeting)
        if not tree:
            out += ["No se registraron puntos del orden del día.", ""]
        for n, (item, children) in enumerate(tree, 1):
            out += self.item(f"{n}", item, level=4)
            for k, child in enumerate(children, 1):
                out += self.item(f"{n}.{k}", child, level=5)
        loose = [p for p in self.polls if p.agenda_item_id is None]
        if loose:
            out += ["#### Otras votaciones", ""]
            for poll in loose:
                out += self.poll(poll)
        return out

    def item(self, number: str, item: AgendaItem, *, level: int) -> list[str]:
        out = [f"{'#' * level} {number}. {item.title}", ""]
        if item.description.strip():
            out += [item.description.strip(), ""]
        notes = _item_notes(item.notes)
        if notes:  # taken live in the room (room/notes.py), for the secretary to edit here
            out += ["Notas de la secretaría:", "", notes, ""]
        if item.kind == AgendaItemKind.COMMITMENTS_REVIEW:
            out += ["Se revisa el estado de los compromisos asumidos.", ""]
        topics = self.topics.get(item.id, [])
        if topics:
            out += ["Ejes trabajados en el taller:", ""]
            for topic in topics:
                points = _indent(topic.main_points) or "sin puntos principales registrados"
                out.append(f"- **{topic.title}** — {points}")
            out.append("")
        for poll in (p for p in self.polls if p.agenda_item_id == item.id):
            out += self.poll(poll)
        return out

    def poll(self, poll: Poll) -> list[str]:
        proposal = db.session.get(Proposal, poll.proposal_id) if poll.proposal_id else None
        what = f"la propuesta «{proposal.title}»" if proposal else f"«{poll.title}»"
        out = [f"Se pone a consideración {what} (método: {label(poll.method)})."]
        if poll.status == PollStatus.CANCELLED:
            return [*out, "La votación fue anulada.", ""]
        if poll.status != PollStatus.CLOSED or not poll.result:
            closes = f" hasta el {long_date(poll.closes_at)}" if poll.closes_at else ""
            return [*out, f"La votación queda abierta{closes}.", ""]
        view = result_view(poll)
        result = poll.result
        out.append(f"Regla: {view['rule']}")
        if result.get("voted") is not None and result.get("eligible") is not None:
            out.append(
                f"Votaron {_number(result['voted'])} de {_number(result['eligible'])} "
                f"{'habilitado' if result['eligible'] == 1 else 'habilitados'}"
                f"{' (votación secreta)' if poll.secret else ''}"
                f"{' (a mano alzada)' if poll.show_of_hands else ''}."
            )
        counts = "; ".join(
            f"{row['label']}: {row['value']}"
            + (f" ({row['percent']})" if row["percent"] != "—" else "")
            for row in view["rows"]
        )
        if counts:
            out.append(f"Recuento: {counts}.")
        out.append(f"**Resultado: {view['outcome']}.** {view['explanation']}")
        return [*(line + "  " for line in out[:-1]), out[-1], ""]

    def decisions(self) -> list[str]:
        decisions = db.session.scalars(
            select(Decision)
            .where(Decision.meeting_id == self.meeting.id)
            .order_by(Decision.decided_at, Decision.id)
        ).all()
        out = ["### Decisiones", ""]
        if not decisions:
            return [*out, "No se tomaron decisiones por votación.", ""]
        for decision in decisions:
            text = _indent(decision.text)
            out.append(f"- **{decision.title}**" + (f": {text}" if text else ""))
        return [*out, ""]

    def commitments_made(self) -> list[str]:
        out = ["### Compromisos asumidos", ""]
        if not self.commitments:
            return [*out, "No se registraron compromisos.", ""]
        for commitment in self.commitments:
            owners = _names(
                owner.user.display_name
                + (f" ({owner.owner_organisation.name})" if owner.owner_organisation else "")
                for owner in commitment.owners
            )
            due = f"; plazo: {long_date(commitment.due_on)}" if commitment.due_on else ""
            out.append(f"- {_indent(commitment.what)} — responsables: {owners}{due}.")
        return [*out, ""]

    def commitments_reviewed(self) -> list[str]:
        """The meeting's "commitments review": each commitment it went through, with its status
        and due date before and what the meeting recorded (or that it was carried forward)."""
        lines = review_record(self.meeting)
        if review_item(self.meeting) is None:
            return []
        out = ["### Revisión de compromisos", ""]
        if not lines:
            return [*out, "No había compromisos pendientes para revisar.", ""]
        out += ["Se revisan los compromisos pendientes de reuniones anteriores:", ""]
        for line in lines:
            commitment, review = line.commitment, line.review
            owners = _names(owner.user.display_name for owner in commitment.owners)
            due = f"; plazo: {long_date(line.due_before)}" if line.due_before else ""
            late = " (vencido)" if line.overdue else ""
            before = _status(line.status_before)
            out.append(f"- {_indent(commitment.what)} — responsables: {owners}{due}{late}.")
            if review is None or review.carried_forward:
                out.append(f"  Estado: {before}. Sin cambios: continúa pendiente.")
            elif review.outcome == line.status_before:
                out.append(f"  Estado: {before}. Se informa su avance.")
            else:
                out.append(f"  Estado: {before}; pasa a {_status(review.outcome)}.")
            if review is not None and review.new_due_on:
                out.append(f"  Nuevo plazo: {long_date(review.new_due_on)}.")
            if review is not None and review.note:
                out.append(f"  Nota: {_indent(review.note).strip()}")
        return [*out, ""]

    def participation(self) -> list[str]:
        f = self.figures
        out = ["### Participación", ""]
        rate = percent(f.attendance_rate * 100) if f.attendance_rate is not None else "—"
        out.append(
            f"- Asistieron {_number(f.present)} de {_number(f.eligible)} "
            f"{'persona habilitada' if f.eligible == 1 else 'personas habilitadas'} ({rate})."
        )
        if f.on_time_rate is not None:
            on_time = percent(f.on_time_rate * 100)
            out.append(f"- Llegó a horario el {on_time} de quienes asistieron.")
        speeches = sum(p.speeches for p in f.people)
        minutes = round(f.speaking_seconds / 60)
        if minutes == 0:
            length = "menos de un minuto" if f.speaking_seconds else "ningún tiempo"
        else:
            length = f"unos {_number(minutes)} {'minuto' if minutes == 1 else 'minutos'}"
        out.append(
            f"- Hicieron uso de la palabra {_number(f.speakers)} "
            f"{'persona' if f.speakers == 1 else 'personas'}, en {_number(speeches)} "
            f"{'intervención' if speeches == 1 else 'intervenciones'} ({length} en total)."
        )
        if f.gender_share:
            out.append(
                "- Tiempo de palabra: varones "
                f"{percent(f.gender_share[participation.MEN] * 100)}; el resto de las personas "
                f"{percent(f.gender_share[participation.EVERYONE_ELSE] * 100)}."
            )
        return [*out, ""]

    def closing(self) -> list[str]:
        return [
            f"{_siendo(self.meeting.ended_at)}, sin más temas que tratar, "
            "se da por finalizada la reunión.",
        ]


def _parse(value: str | None) -> datetime | None:
    """roster() gives times as ISO strings ending in Z (UTC, as stored)."""
    if not value:
        return None
    return datetime.fromisoformat(value.removesuffix("Z"))
