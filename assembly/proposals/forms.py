from __future__ import annotations

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from assembly.core.forms import strip
from assembly.proposals import service


def _an_id(form, field):
    """Empty, or a whole number that could be a row's id."""
    value = field.data or ""
    if value and not (value.isdigit() and int(value) <= service.ID_MAX):
        raise ValidationError(_l("Choose one of the options offered."))


def id_or_none(value: str | None) -> int | None:
    return int(value) if value else None


def meeting_choices(meetings, empty_label) -> list[tuple[str, str]]:
    return [("", empty_label)] + [
        (str(m.id), f"{m.title} ({format_date(m.starts_at, 'medium')})") for m in meetings
    ]


def item_choices(meetings, items_by_meeting) -> list[tuple[str, str]]:
    choices = [("", str(_l("No particular item")))]
    for meeting in meetings:
        for item in items_by_meeting.get(meeting.id, []):
            prefix = "— " if item.parent_id is not None else ""
            choices.append((str(item.id), f"{meeting.title}: {prefix}{item.title}"))
    return choices


class _MeetingLink:
    """The meeting (and agenda item) a proposal goes to; checked by the service, so that
    another organisation's meeting is not found rather than merely not offered."""

    def setup_link(self, meetings, items_by_meeting, empty_label):
        self.meeting.choices = meeting_choices(meetings, empty_label)
        self.agenda_item.choices = item_choices(meetings, items_by_meeting)


class ProposalForm(FlaskForm, _MeetingLink):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=service.TITLE_MAX)],
        filters=[strip],
    )
    body = TextAreaField(
        _l("The proposal (Markdown)"),
        validators=[DataRequired(), Length(max=service.BODY_MAX)],
        filters=[strip],
    )
    co_authors = SelectMultipleField(
        _l("Co-authors"),
        coerce=int,
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    meeting = SelectField(_l("Meeting it is meant for"), validators=[_an_id], validate_choice=False)
    agenda_item = SelectField(_l("Agenda item"), validators=[_an_id], validate_choice=False)
    # The version the author started from: an edit never silently overwrites a newer text.
    version = HiddenField(validators=[_an_id])

    def setup(self, co_authors, meetings, items_by_meeting) -> ProposalForm:
        self.co_authors.choices = [(u.id, u.display_name) for u in co_authors]
        self.setup_link(meetings, items_by_meeting, str(_l("No meeting yet")))
        return self


class ScheduleForm(FlaskForm, _MeetingLink):
    meeting = SelectField(_l("Meeting"), validators=[DataRequired(), _an_id], validate_choice=False)
    agenda_item = SelectField(_l("Agenda item"), validators=[_an_id], validate_choice=False)

    def setup(self, meetings, items_by_meeting) -> ScheduleForm:
        self.setup_link(meetings, items_by_meeting, str(_l("Choose…")))
        return self


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment (Markdown)"),
        validators=[DataRequired(), Length(max=service.COMMENT_MAX)],
        filters=[strip],
    )


class AmendmentForm(FlaskForm):
    body = TextAreaField(
        _l("The whole text, as you propose it (Markdown)"),
        validators=[DataRequired(), Length(max=service.BODY_MAX)],
        filters=[strip],
    )
    rationale = TextAreaField(
        _l("Why (optional)"),
        validators=[Optional(), Length(max=service.RATIONALE_MAX)],
        filters=[strip],
    )
    base_version = HiddenField(validators=[DataRequired(), _an_id])
