from __future__ import annotations

from datetime import time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from assembly.core.clock import utcnow
from assembly.core.forms import strip
from assembly.meetings import service as meetings
from assembly.meetings.forms import TIME_FORMATS
from assembly.proposals import service as proposals
from assembly.workshops.models import ISSUE_MAX
from assembly.workshops.processes import DESCRIPTION_MAX, PROCESS_TITLE_MAX


class ProcessForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=PROCESS_TITLE_MAX)], filters=[strip]
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)]
    )
    proposals_open = BooleanField(_l("Members can propose questions"), default=True)


class IssueForm(FlaskForm):
    text = TextAreaField(
        _l("The question you propose"),
        validators=[DataRequired(), Length(max=ISSUE_MAX)],
        filters=[strip],
    )


class AddSessionForm(FlaskForm):
    meeting = SelectField(_l("Workshop meeting"), validators=[DataRequired()])

    def setup(self, candidates) -> AddSessionForm:
        self.meeting.choices = [
            (str(m.id), f"{m.title} ({meetings.to_local(m.starts_at):%d/%m/%Y})")
            for m in candidates
        ]
        return self


class NewSessionForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=meetings.TITLE_MAX)],
        filters=[strip],
    )
    date = DateField(_l("Date"), validators=[DataRequired()])
    starts = TimeField(_l("Starts at"), format=TIME_FORMATS, validators=[DataRequired()])
    ends = TimeField(_l("Planned end"), format=TIME_FORMATS, validators=[DataRequired()])

    @classmethod
    def defaults(cls) -> dict:
        return {
            "date": meetings.to_local(utcnow()).date() + timedelta(days=7),
            "starts": time(10, 0),
            "ends": time(13, 0),
        }


class _DotsPoll(FlaskForm):
    dots = IntegerField(
        _l("Dots for each voter"),
        default=3,
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
    closes_on = DateField(_l("Voting closes on"), validators=[Optional()])
    closes_time = TimeField(_l("at"), format=TIME_FORMATS, validators=[Optional()])

    @classmethod
    def defaults(cls) -> dict:
        return {
            "dots": 3,
            "closes_on": meetings.to_local(utcnow()).date() + timedelta(days=7),
            "closes_time": time(20, 0),
        }

    def closes_at(self):
        if not self.closes_on.data:
            return None
        return meetings.from_local(self.closes_on.data, self.closes_time.data or time(20, 0))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.closes_at() is not None and self.closes_at() <= utcnow():
            self.closes_on.errors.append(_l("The poll must close in the future."))
            return False
        return valid


class IssuePollForm(_DotsPoll):
    # Members answer it over days: it needs a closing date (as any poll outside a meeting).
    closes_on = DateField(
        _l("Voting closes on"), validators=[DataRequired(_l("Say until when people can vote."))]
    )


class TopicPollForm(_DotsPoll):
    pass


class ChooseForm(FlaskForm):
    candidates = SelectMultipleField(
        _l("Proposed questions to turn into points of debate"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one proposed question."))],
    )
    session = SelectField(_l("Session"), validators=[DataRequired()])

    def setup(self, pending, sessions) -> ChooseForm:
        self.candidates.choices = [(c.id, c.text) for c in pending]
        self.session.choices = [(str(m.id), m.title) for m in sessions]
        return self


class TopicProposalForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=proposals.TITLE_MAX)],
        filters=[strip],
    )
    body = TextAreaField(
        _l("Text of the proposal"),
        validators=[DataRequired(), Length(max=proposals.BODY_MAX)],
    )
