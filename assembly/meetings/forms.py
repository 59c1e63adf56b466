from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from assembly.core.forms import strip
from assembly.core.labels import LABELS, choices
from assembly.meetings import service
from assembly.meetings.models import (
    AgendaItemKind,
    RecurrenceUnit,
    SpeakerPolicy,
)

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _http_link(form, field):
    if not field.data:
        return
    try:
        service.check_link(field.data)
    except service.BadLink as error:
        raise ValidationError(str(error)) from None


def _nobody(label):
    return [("", label)]


class MeetingForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=service.TITLE_MAX)],
        filters=[strip],
    )
    kind = SelectField(_l("Kind of meeting"))
    date = DateField(_l("Date"), validators=[DataRequired()])
    starts = TimeField(_l("Starts at"), format=TIME_FORMATS, validators=[DataRequired()])
    ends = TimeField(_l("Planned end"), format=TIME_FORMATS, validators=[DataRequired()])
    place = StringField(
        _l("Place"), validators=[Optional(), Length(max=service.PLACE_MAX)], filters=[strip]
    )
    online_link = URLField(
        _l("Online link"),
        validators=[Optional(), Length(max=service.LINK_MAX), _http_link],
        filters=[strip],
    )
    facilitator = SelectField(_l("Facilitator"), validators=[Optional()])
    secretary = SelectField(_l("Secretary (takes the minutes)"), validators=[Optional()])
    speaker_policy = SelectField(
        _l("How the speakers list is ordered"),
        choices=lambda: choices(SpeakerPolicy),
        default=SpeakerPolicy.FIRST_COME.value,
    )
    speaking_limit_seconds = IntegerField(
        _l("Speaking time limit (seconds)"),
        default=180,
        validators=[
            InputRequired(),
            NumberRange(
                min=service.SPEAKING_LIMIT_MIN,
                max=service.SPEAKING_LIMIT_MAX,
                message=_l("Enter a whole number between %(min)s and %(max)s."),
            ),
        ],
    )
    template = SelectField(_l("Start the agenda from"), validators=[Optional()])

    def setup(self, organisation, *, with_template: bool) -> MeetingForm:
        self.kind.choices = [(k.value, LABELS[k]) for k in service.meeting_kinds(organisation)]
        people = [(str(u.id), u.display_name) for u in service.members(organisation)]
        self.facilitator.choices = _nobody(_l("Not named yet")) + people
        self.secretary.choices = _nobody(_l("Not named yet")) + people
        if with_template:
            self.template.choices = _nobody(_l("An empty agenda")) + service.template_choices(
                organisation
            )
        else:
            del self.template
        return self

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.starts.data and self.ends.data and self.ends.data <= self.starts.data:
            self.ends.errors.append(_l("The planned end must be after the start."))
            valid = False
        return valid


class AgendaItemForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=service.ITEM_TITLE_MAX)],
        filters=[strip],
    )
    kind = SelectField(
        _l("Kind of item"),
        choices=lambda: choices(AgendaItemKind),
        default=AgendaItemKind.DEBATE.value,
    )
    planned_minutes = IntegerField(
        _l("Planned minutes"),
        default=10,
        validators=[
            InputRequired(),
            NumberRange(
                min=1,
                max=service.ITEM_MINUTES_MAX,
                message=_l("Enter a whole number between %(min)s and %(max)s."),
            ),
        ],
    )
    presenter = SelectField(_l("Presented by"), validators=[Optional()])
    parent = SelectField(_l("Place in the agenda"), validators=[Optional()])
    description = TextAreaField(
        _l("Description (Markdown)"),
        validators=[Optional(), Length(max=service.DESCRIPTION_MAX)],
    )

    def setup(self, organisation, tree, *, item=None) -> AgendaItemForm:
        self.presenter.choices = _nobody(_l("Nobody in particular")) + [
            (str(u.id), u.display_name) for u in service.presenter_candidates(organisation)
        ]
        self.parent.choices = _nobody(_l("A main item")) + [
            (str(top.id), str(_l("Sub-item of: %(title)s", title=top.title)))
            for top, _children in tree
            if item is None or top.id != item.id
        ]
        return self


class ProposalForm(FlaskForm):
    title = StringField(
        _l("What do you propose to discuss?"),
        validators=[DataRequired(), Length(max=service.ITEM_TITLE_MAX)],
        filters=[strip],
    )
    planned_minutes = IntegerField(
        _l("Minutes it needs"),
        default=10,
        validators=[
            InputRequired(),
            NumberRange(
                min=1,
                max=service.ITEM_MINUTES_MAX,
                message=_l("Enter a whole number between %(min)s and %(max)s."),
            ),
        ],
    )
    description = TextAreaField(
        _l("Why, and what you would like to decide (Markdown)"),
        validators=[Optional(), Length(max=service.DESCRIPTION_MAX)],
    )


class TemplateChoiceForm(FlaskForm):
    template = SelectField(_l("Template"), validators=[DataRequired()], validate_choice=False)


class CopyAgendaForm(FlaskForm):
    source = SelectField(_l("Meeting"), validators=[DataRequired()], validate_choice=False)


class SaveTemplateForm(FlaskForm):
    name = StringField(
        _l("Template name"),
        validators=[DataRequired(), Length(max=service.TITLE_MAX)],
        filters=[strip],
    )


class SeriesForm(FlaskForm):
    title = StringField(
        _l("Title of its meetings"),
        validators=[DataRequired(), Length(max=service.TITLE_MAX)],
        filters=[strip],
    )
    kind = SelectField(_l("Kind of meeting"))
    every = IntegerField(
        _l("Every"),
        default=1,
        validators=[
            InputRequired(),
            NumberRange(
                min=1,
                max=service.SERIES_EVERY_MAX,
                message=_l("Enter a whole number between %(min)s and %(max)s."),
            ),
        ],
    )
    unit = SelectField(
        _l("Weeks or months"),
        choices=lambda: choices(RecurrenceUnit),
        default=RecurrenceUnit.MONTHS.value,
    )
    first_date = DateField(_l("Date of the first meeting"), validators=[DataRequired()])
    starts = TimeField(_l("Starts at"), format=TIME_FORMATS, validators=[DataRequired()])
    ends = TimeField(_l("Planned end"), format=TIME_FORMATS, validators=[DataRequired()])
    place = StringField(
        _l("Place"), validators=[Optional(), Length(max=service.PLACE_MAX)], filters=[strip]
    )
    ahead = IntegerField(
        _l("Meetings kept scheduled ahead"),
        default=2,
        validators=[
            InputRequired(),
            NumberRange(
                min=1,
                max=service.SERIES_AHEAD_MAX,
                message=_l("Enter a whole number between %(min)s and %(max)s."),
            ),
        ],
    )
    ends_on = DateField(_l("Last date (optional)"), validators=[Optional()])
    template = SelectField(_l("Agenda template"), validators=[Optional()])

    def setup(self, organisation) -> SeriesForm:
        self.kind.choices = [(k.value, LABELS[k]) for k in service.meeting_kinds(organisation)]
        self.template.choices = _nobody(_l("An empty agenda")) + service.template_choices(
            organisation
        )
        return self

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.starts.data and self.ends.data and self.ends.data <= self.starts.data:
            self.ends.errors.append(_l("The planned end must be after the start."))
            valid = False
        if self.ends_on.data and self.first_date.data and self.ends_on.data < self.first_date.data:
            self.ends_on.errors.append(_l("The series must end after its first meeting."))
            valid = False
        return valid
